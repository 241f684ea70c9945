#!/usr/bin/env python3
"""Writes SIZE bytes of deterministic, compressible-but-not-trivial data to stdout.

Model: a sequence of segments drawn from one seeded random.Random, so the same
SIZE and SEED give the same bytes on every run and every CPython >= 3.9
(random()/getrandbits() are specified to be reproducible). Segment kinds mix
what real compressors meet: Zipf-ish English-like text with numbers (good
ratio), structured little-endian records (delta-friendly, medium ratio), raw
random bytes (incompressible: forces stored/literal paths), and copies of
earlier output far back (long-distance matches, beyond a gzip window). The
compressors are only compared against themselves (native vs weft), so the exact
mix matters for coverage, not for any expected size.

usage: gen_data.py SIZE_BYTES [SEED] > file
"""
import array
import random
import sys


def make_vocab(rng, n):
    syll = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "ve", "zu", "an",
            "or", "el", "im", "us", "th", "qu", "ex", "y", "ba"]
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(syll) for _ in range(rng.randint(1, 4))))
    return sorted(words)


def text_segment(rng, vocab, cum, length):
    out = []
    size = 0
    while size < length:
        words = rng.choices(vocab, cum_weights=cum, k=rng.randint(6, 18))
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), str(rng.randrange(100000)))
        line = " ".join(words).capitalize() + (".\n" if rng.random() < 0.8 else ",\n")
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:length]


def record_segment(rng, length):
    # Records of (counter, slowly drifting value with noise, small flags).
    n = length // 12 + 1
    base = rng.randrange(1 << 20)
    drift = rng.randint(1, 9)
    vals = array.array("I")
    noise = rng.randbytes(n)
    for i in range(n):
        vals.append(base + i)
        vals.append((base * 3 + i * drift + noise[i]) & 0xFFFFFFFF)
        vals.append(noise[i] & 0x07)
    if sys.byteorder != "little":
        vals.byteswap()
    return vals.tobytes()[:length]


def main():
    total = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 20240601)
    vocab = make_vocab(rng, 3000)
    cum = []
    acc = 0.0
    for rank in range(1, len(vocab) + 1):
        acc += 1.0 / rank
        cum.append(acc)
    done = bytearray()
    out = sys.stdout.buffer
    while len(done) < total:
        length = min(rng.randint(4 << 10, 256 << 10), total - len(done))
        kind = rng.random()
        if kind < 0.60:
            seg = text_segment(rng, vocab, cum, length)
        elif kind < 0.85:
            seg = record_segment(rng, length)
        elif kind < 0.93 or len(done) < (1 << 20):
            seg = rng.randbytes(length)
        else:
            start = rng.randrange(len(done) - length) if len(done) > length else 0
            seg = bytes(done[start:start + length])
        done += seg
    out.write(done)
    out.flush()


if __name__ == "__main__":
    main()
