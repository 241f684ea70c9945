#!/usr/bin/env python3
"""Writes a git fast-import stream to stdout: 40 commits over 300 files of
200 lines, each commit after the first editing 5 lines in each of 60 files,
so that the repository's pack is full of deltas (index-pack resolves them in
threads). Fixed seed: the same history, and so the same commit ids, on every
run. usage: git_repo.py | git -C REPO fast-import --quiet"""
import random
import sys

rng = random.Random(7)
files = {"f%03d.txt" % i: ["line %d of file %d %x\n" % (k, i, rng.getrandbits(64)) for k in range(200)]
         for i in range(300)}
out = sys.stdout.buffer


def data(b):
    out.write(b"data %d\n" % len(b))
    out.write(b)


for c in range(40):
    out.write(b"commit refs/heads/main\n")
    out.write(b"committer T <t@example.org> %d +0000\n" % (1700000000 + c))
    data(b"commit %d\n" % c)
    names = sorted(files) if c == 0 else rng.sample(sorted(files), 60)
    for name in names:
        lines = files[name]
        if c:
            for _ in range(5):
                lines[rng.randrange(len(lines))] = "edit %d %x\n" % (c, rng.getrandbits(64))
        out.write(b"M 644 inline %s\n" % name.encode())
        data("".join(lines).encode())
    out.write(b"\n")
