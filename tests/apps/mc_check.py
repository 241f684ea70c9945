#!/usr/bin/env python3
"""An event-loop server whose worker threads wait in epoll_wait: memcached
with -t THREADS (libevent; the main thread accepts and hands connections to
the workers through pipes), started by this script on a Unix socket in DIR,
and CLIENTS client threads here that each store and fetch 50 values of their
own and check every reply.

usage: mc_check.py DIR THREADS CLIENTS -- MEMCACHED [ARG]...

memcached inherits this process's environment (so it runs under weft when
this script does). Prints one digest per client of the values it got back,
the server's item and hit counts, and the server's exit status after the
"shutdown" command: the same on every run.
"""
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time


def connect(path, proc):
    # The server makes its socket after start-up: poll for it, bounded.
    deadline = time.monotonic() + 30
    while True:
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("memcached did not start (exit %s)" % proc.poll())
            time.sleep(0.02)


def client(path, i, results):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        f = s.makefile("rwb")
        h = hashlib.sha256()
        for k in range(50):
            key = b"k%d_%d" % (i, k)
            val = (b"v%d-%d-" % (i, k)) * (1 + (i * k) % 50)
            f.write(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(val), val))
            f.flush()
            if f.readline() != b"STORED\r\n":
                raise SystemExit("client %d: set %d not stored" % (i, k))
            f.write(b"get %s\r\n" % key)
            f.flush()
            hdr = f.readline().split()
            got = f.read(int(hdr[3]) + 2)[:-2]
            if got != val or f.readline() != b"END\r\n":
                raise SystemExit("client %d: get %d differs" % (i, k))
            h.update(got)
        f.close()
    results[i] = h.hexdigest()[:16]


def main():
    if len(sys.argv) < 6 or sys.argv[4] != "--":
        raise SystemExit(__doc__)
    d, threads, n, cmd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[5:]
    path = os.path.join(d, "mc.%d.sock" % os.getpid())
    proc = subprocess.Popen(cmd + ["-s", path, "-t", str(threads), "-A", "-U", "0", "-u", "root"])
    try:
        connect(path, proc).close()
        results = [None] * n
        ts = [threading.Thread(target=client, args=(path, i, results)) for i in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for i, r in enumerate(results):
            print("client", i, r)
        with connect(path, proc) as s:
            s.sendall(b"stats\r\n")
            buf = b""
            while not buf.endswith(b"END\r\n"):
                buf += s.recv(65536)
            st = dict(l.split()[1:3] for l in buf.decode().splitlines() if l.startswith("STAT"))
            print("threads", st["threads"], "items", st["curr_items"], "sets", st["cmd_set"],
                  "hits", st["get_hits"])
            s.sendall(b"shutdown\r\n")
        print("server exit", proc.wait(30))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if os.path.exists(path):
            os.unlink(path)
    print("done")


if __name__ == "__main__":
    main()
