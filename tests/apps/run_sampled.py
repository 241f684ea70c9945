#!/usr/bin/env python3
"""Runs a command and records the most kernel tasks (threads) it had at once.

usage: run_sampled.py [-e VAR=VALUE]... [-u VAR]... [-m LIB] TIMEOUT_S OUTFILE -- CMD [ARG]...

Model: the sampler itself always runs natively; only CMD gets the -e variables
(so LD_PRELOAD=libweft.so reaches the program and nothing else) and loses the
-u ones (so a WEFT_PROCS of the caller's cannot replace weft's default). CMD inherits
stdin/stdout/stderr. While CMD runs, the 'Threads:' line of /proc/PID/status
(the kernel's own count of tasks in the thread group, O(1) to read) is read
about every millisecond through one open descriptor with pread, and the
maximum is written to OUTFILE as "TASKS MAPPED". Sampling can miss a short
spike, which is why callers also prefer programs that keep their threads alive
for a long time (and py_threads.py measures its own peak from inside at a
known moment).

MAPPED answers "did LIB really get loaded?": ld.so only warns and runs the
program natively when an LD_PRELOAD object cannot be loaded, which would make
every comparison pass vacuously. With -m, /proc/PID/maps is searched for LIB's
real path on each sample until it is found: "yes" or "no" ("-" without -m).
A program that ends within about a millisecond may be reported "no".

Exit status: CMD's status (128+N if killed by signal N); 124 if it ran past
TIMEOUT_S, after which it gets SIGTERM and, 5 s later, SIGKILL.
"""
import os
import subprocess
import sys
import time


def threads_in(status):
    for line in status.split(b"\n"):
        if line.startswith(b"Threads:"):
            return int(line.split()[1])
    return 0


def main():
    args = sys.argv[1:]
    env = dict(os.environ)
    lib = None
    while args and args[0] in ("-e", "-u", "-m"):
        if args[0] == "-e":
            name, _, value = args[1].partition("=")
            env[name] = value
        elif args[0] == "-u":
            env.pop(args[1], None)
        else:
            lib = os.path.realpath(args[1]).encode()
        args = args[2:]
    if len(args) < 4 or args[2] != "--":
        sys.exit(__doc__)
    limit, outfile, cmd = float(args[0]), args[1], args[3:]

    proc = subprocess.Popen(cmd, env=env)
    deadline = time.monotonic() + limit
    most = 0
    mapped = False
    timed_out = False
    try:
        fd = os.open("/proc/%d/status" % proc.pid, os.O_RDONLY)
    except OSError:
        fd = -1  # already gone: nothing to sample
    while proc.poll() is None:
        if fd >= 0:
            try:
                most = max(most, threads_in(os.pread(fd, 8192, 0)))
                if lib and not mapped:
                    with open("/proc/%d/maps" % proc.pid, "rb") as maps:
                        mapped = any(line.rstrip().endswith(lib) for line in maps)
            except OSError:
                pass  # reaped between poll() and the read
        if time.monotonic() > deadline:
            timed_out = True
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            break
        time.sleep(0.001)
    if fd >= 0:
        os.close(fd)
    with open(outfile, "w") as f:
        f.write("%d %s\n" % (most, "-" if lib is None else "yes" if mapped else "no"))
    if timed_out:
        sys.exit(124)
    rc = proc.returncode
    sys.exit(128 - rc if rc < 0 else rc)


if __name__ == "__main__":
    main()
