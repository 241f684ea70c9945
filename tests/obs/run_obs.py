#!/usr/bin/env python3
"""tests/obs/run_obs.py — weft's observability: WEFT_DEBUG (schedtrace,
scheddetail, stats), the launcher's flags for them, and the gdb extension
(scripts/weft-gdb.py).

Usage: run_obs.py PROGRAM  (build/tests/obs/obs_parked, see obs_parked.c).

Each check runs PROGRAM under weft (WEFT_STRICT=1) and parses what it prints
on stderr, or what gdb prints over it:
  stats        one "weft: stats:" line at exit, every counter present, and
               the counters add up: threads created and exited equal the
               program's count, the peak is all of them plus main, stack
               cache hits plus misses equal the threads created, with hits
               once a second round reuses the first round's stacks.
  schedtrace   SCHED lines at the period, every field present and coherent
               (idle Ps <= Ps, one queue length per P); scheddetail blocks
               with a line per P and M, and while all threads are parked a
               G list of the first 64 plus "... N more" adding up to the
               SCHED line's thread count, main first, the workers waiting on
               a futex.
  churn        schedtrace=1,scheddetail=1 while threads are created and
               exit all the time (the tracer walks them under glibc's lock):
               the program's output unchanged, every line parseable.
  errors       a bad WEFT_DEBUG item gives exactly one "weft:" warning and
               the valid items still apply; without WEFT_DEBUG, nothing.
  launcher     scripts/weft --stats, --schedtrace --scheddetail.
  gdb          gdb in batch mode over PROGRAM with 1,000 threads parked:
               'weft threads' lists 1,001 with states, start functions and
               futexes; 'weft bt' of a parked thread shows the program's
               obs_parked_worker under pthread_cond_wait, of the running
               main thread its breakpoint frame; the stopped thread's
               registers and selected frame are intact afterwards and the
               program finishes.
One "ok"/"FAIL" line per check, then "obs: N passed, M failed"; the exit
status is non-zero on any failure. OBS_TIMEOUT: seconds per run (120).
"""
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIB = os.path.join(ROOT, "build", "libweft.so")
LAUNCHER = os.path.join(ROOT, "scripts", "weft")
GDB_SCRIPT = os.path.join(ROOT, "scripts", "weft-gdb.py")
TIMEOUT = int(os.environ.get("OBS_TIMEOUT", "120"))
STAT_KEYS = ("threads_created threads_exited threads_peak ms_created ms_exited ms_peak steals "
             "handoffs spare_lent preemptions netpoll_wakeups stack_hits stack_misses").split()

SCHED_RE = re.compile(
    r"^weft: SCHED (\d+)ms: procs=(\d+) idleprocs=(\d+) ms=(\d+) spinningms=(\d+) idlems=(\d+) "
    r"syscallprocs=(\d+) sparelent=(\d+) gs=(\d+) runqueue=(\d+) \[([\d ]*)\]$")
P_RE = re.compile(r"^weft:   P(\d+): status=(idle|running|syscall|spareidle) m=(-?\d+) runqsize=(\d+) "
                  r"timers=(\d+) schedtick=(\d+) syscalltick=(\d+) freegs=(\d+)( spare)?$")
M_RE = re.compile(r"^weft:   M(\d+): p=(-?\d+) spinning=([01]) idle=([01]) ktid=(\d+)$")
G_RE = re.compile(r"^weft:   G(\d+): status=(\w+) m=(-?\d+) fn=(\S+)( futex=0x[0-9a-f]+)?"
                  r"( fd=\d+(\+\d+)?)?( timer=-?\d+ms)?( name=.*)?$")
MORE_RE = re.compile(r"^weft:   \.\.\. (\d+) more (Ps|Ms|Gs)$")

results = []


class CheckFailed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise CheckFailed(what)


def run(prog_args, env_extra, launcher=False):
    env = dict(os.environ)
    env.pop("WEFT_DEBUG", None)
    env.update({"WEFT_STRICT": "1"})
    env.update(env_extra)
    if not launcher:
        env["LD_PRELOAD"] = LIB
    p = subprocess.run(prog_args, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    return p


def stats_of(stderr, pid=None):
    lines = [l for l in stderr.splitlines() if l.startswith("weft: stats:")]
    expect(len(lines) == 1, "one stats line, got %d: %r" % (len(lines), stderr[-500:]))
    fields = dict(kv.split("=", 1) for kv in lines[0][len("weft: stats: "):].split())
    expect(list(fields) == ["pid"] + STAT_KEYS, "stats keys: %s" % list(fields))
    expect(all(re.fullmatch(r"\d+", v) for v in fields.values()), "stats values: %s" % fields)
    return {k: int(v) for k, v in fields.items()}


def check_stats(prog):
    n, rounds = 300, 2
    p = run([prog, str(n), "0", str(rounds)], {"WEFT_DEBUG": "stats", "WEFT_PROCS": "1"})
    expect(p.returncode == 0 and p.stdout == "done %d %d\n" % (n, rounds), "program: %r %r" % (p.returncode, p.stdout))
    s = stats_of(p.stderr)
    expect(s["threads_created"] == n * rounds, "threads_created %d != %d" % (s["threads_created"], n * rounds))
    expect(s["threads_exited"] == n * rounds, "threads_exited %d != %d" % (s["threads_exited"], n * rounds))
    expect(s["threads_peak"] == n + 1, "threads_peak %d != %d" % (s["threads_peak"], n + 1))
    expect(s["stack_hits"] + s["stack_misses"] == n * rounds,
           "stack hits %d + misses %d != %d" % (s["stack_hits"], s["stack_misses"], n * rounds))
    expect(s["stack_hits"] >= 1, "no stack reused in the second round")
    expect(s["stack_misses"] >= n, "the first round's %d stacks were not all new" % n)
    expect(s["ms_created"] >= s["ms_exited"], "more Ms exited than created")
    expect(1 <= s["ms_peak"] <= s["ms_created"] + 1, "ms_peak %d" % s["ms_peak"])
    # Two Ps: the parked threads wake on both, some by stealing.
    p = run([prog, str(n)], {"WEFT_DEBUG": "stats", "WEFT_PROCS": "2"})
    expect(p.returncode == 0, "program at WEFT_PROCS=2: %r" % p.returncode)
    s = stats_of(p.stderr)
    expect(s["threads_created"] == n and s["threads_exited"] == n and s["threads_peak"] == n + 1,
           "thread counts at WEFT_PROCS=2: %s" % s)
    expect(s["ms_peak"] >= 2, "WEFT_PROCS=2 with %d runnable threads never had a second M" % n)


def parse_trace(stderr):
    """SCHED blocks: [(sched_match, [detail lines])]."""
    blocks = []
    for line in stderr.splitlines():
        m = SCHED_RE.match(line)
        if m:
            blocks.append((m, []))
        elif line.startswith("weft:   "):
            expect(blocks, "detail line before any SCHED line: %r" % line)
            blocks[-1][1].append(line)
        elif line.startswith("weft:"):
            raise CheckFailed("unexpected weft line: %r" % line)
    return blocks


def check_sched_line(m, procs):
    t, nprocs, idle, ms, spinning, idlems, syscall, spare, gs, runq, lens = m.groups()
    expect(int(nprocs) == procs, "procs=%s" % nprocs)
    expect(int(idle) <= procs, "idleprocs=%s" % idle)
    expect(int(idlems) <= int(ms) and int(spinning) <= int(ms), "Ms: %s" % m.group(0))
    expect(len(lens.split()) >= procs, "queue lengths: %s" % lens)  # Ps, then any spares
    expect(int(gs) >= 1, "gs=%s" % gs)


def check_schedtrace(prog):
    n, sleep_ms, period = 200, 400, 10
    p = run([prog, str(n), str(sleep_ms)], {"WEFT_DEBUG": "schedtrace=%d,scheddetail=1" % period, "WEFT_PROCS": "2"})
    expect(p.returncode == 0 and p.stdout == "done %d 1\n" % n, "program: %r %r" % (p.returncode, p.stdout))
    blocks = parse_trace(p.stderr)
    expect(len(blocks) >= 3, "only %d SCHED lines in %d ms at %d ms" % (len(blocks), sleep_ms, period))
    times = [int(m.group(1)) for m, _ in blocks]
    expect(times == sorted(times), "SCHED times go back: %s" % times)
    parked_blocks = 0
    for m, detail in blocks:
        check_sched_line(m, 2)
        nps = len(m.group(11).split())
        ps = [P_RE.match(l) for l in detail if l.startswith("weft:   P")]
        ms = [M_RE.match(l) for l in detail if l.startswith("weft:   M")]
        gs = [G_RE.match(l) for l in detail if l.startswith("weft:   G")]
        more = [MORE_RE.match(l) for l in detail if l.startswith("weft:   ...")]
        expect(all(ps) and all(ms) and all(gs) and all(more), "unparsed detail line in %s" % detail[:70])
        expect(len(ps) == nps, "%d P lines for %d Ps" % (len(ps), nps))
        expect(1 <= len(ms) <= 64, "%d M lines" % len(ms))
        more_gs = [int(x.group(1)) for x in more if x.group(2) == "Gs"]
        expect(len(gs) <= 64 and (not more_gs or len(gs) == 64), "%d G lines, then %s more" % (len(gs), more_gs))
        # While every worker is parked, main sleeps: the list is complete and stable.
        if int(m.group(9)) == n + 1 and len(gs) == 64:
            if more_gs != [n + 1 - 64]:
                continue  # a worker exited between the two reads
            main = gs[0]
            expect(main.group(4) == "main", "first G is not main: %s" % main.group(0))
            waiting = [g for g in gs[1:] if g.group(2) == "waiting" and g.group(5)]
            if len(waiting) == 63:
                expect(all(g.group(4) == gs[1].group(4) for g in waiting), "workers' start functions differ")
                expect(all(int(g.group(1)) > 4194304 for g in waiting), "worker ids not glibc's fake tids")
                parked_blocks += 1
    expect(parked_blocks >= 1, "no scheddetail block showed the %d parked threads" % n)


def check_churn(prog):
    n, rounds = 100, 30
    p = run([prog, str(n), "0", str(rounds)], {"WEFT_DEBUG": "schedtrace=1,scheddetail=1,stats", "WEFT_PROCS": "2"})
    expect(p.returncode == 0 and p.stdout == "done %d %d\n" % (n, rounds), "program: %r %r" % (p.returncode, p.stdout))
    stats = [l for l in p.stderr.splitlines() if l.startswith("weft: stats:")]
    blocks = parse_trace("\n".join(l for l in p.stderr.splitlines() if not l.startswith("weft: stats:")))
    expect(len(blocks) >= 1, "no SCHED line")
    for m, detail in blocks:
        check_sched_line(m, 2)
        for l in detail:
            expect(P_RE.match(l) or M_RE.match(l) or G_RE.match(l) or MORE_RE.match(l), "unparsed: %r" % l)
    expect(stats_of(p.stderr)["threads_created"] == n * rounds, "threads_created: %s" % stats)


def check_errors(prog):
    p = run([prog, "10"], {"WEFT_DEBUG": "schedtrace=abc,stats,frobnicate=1"})
    warnings = [l for l in p.stderr.splitlines() if l.startswith("weft:") and not l.startswith("weft: stats:")]
    expect(len(warnings) == 1 and "WEFT_DEBUG" in warnings[0] and "'schedtrace=abc'" in warnings[0],
           "warnings: %r" % warnings)
    stats_of(p.stderr)
    expect(not any(SCHED_RE.match(l) for l in p.stderr.splitlines()), "SCHED line after a bad period")
    for bad in ("schedtrace=", "scheddetail=2", "stats=yes", ",,schedtrace=-5", "schedtrace=3600001"):
        p = run([prog, "10"], {"WEFT_DEBUG": bad})
        warnings = [l for l in p.stderr.splitlines() if l.startswith("weft:")]
        expect(len(warnings) == 1 and "WEFT_DEBUG" in warnings[0], "WEFT_DEBUG=%s: %r" % (bad, warnings))
    for quiet in ({}, {"WEFT_DEBUG": ""}, {"WEFT_DEBUG": "schedtrace=0,stats=0,scheddetail=0"}):
        p = run([prog, "10"], quiet)
        expect(p.returncode == 0 and p.stderr == "", "with %s: %r" % (quiet, p.stderr))


def check_launcher(prog):
    p = run([LAUNCHER, "--stats", "-p", "1", prog, "20"], {}, launcher=True)
    expect(p.returncode == 0, "weft --stats: rc %d %r" % (p.returncode, p.stderr[-300:]))
    s = stats_of(p.stderr)
    expect(s["threads_created"] == 20, "weft --stats: threads_created %d" % s["threads_created"])
    p = run([LAUNCHER, "--schedtrace", "5", "--scheddetail", "-p", "2", "--", prog, "20", "100"], {}, launcher=True)
    expect(p.returncode == 0, "weft --schedtrace: rc %d" % p.returncode)
    blocks = parse_trace(p.stderr)
    expect(len(blocks) >= 2 and any(any(l.startswith("weft:   G") for l in d) for _, d in blocks),
           "weft --schedtrace --scheddetail: %r" % p.stderr[:300])
    p = run([LAUNCHER, "--scheddetail", prog], {}, launcher=True)
    expect(p.returncode == 2 and "--schedtrace" in p.stderr, "--scheddetail alone: %r" % p.stderr)


def check_gdb(prog):
    n = 1000
    if not shutil.which("gdb"):
        raise CheckFailed("gdb is not installed (make deps installs it)")
    cmds = [
        "set startup-with-shell off", "set pagination off", "set width 0", "set confirm off",
        "set environment LD_PRELOAD=" + LIB, "set environment WEFT_PROCS=2", "set environment WEFT_STRICT=1",
        "source " + GDB_SCRIPT, "break obs_all_parked", "run", "up",
        "echo @@threads\\n", "weft threads", "echo @@info\\n", "info weft-threads",
        "echo @@regs-before\\n", "info registers rip rsp rbp",
        "echo @@bt-parked\\n", "python gdb.execute('weft bt %d' % sorted(g.id for g in all_gs() if not g.is_main)[500])",
        "echo @@bt-main\\n", "python gdb.execute('weft bt %d' % [g.id for g in all_gs() if g.is_main][0])",
        "echo @@regs-after\\n", "info registers rip rsp rbp", "echo @@frame\\n", "frame",
        "echo @@continue\\n", "delete", "continue",
    ]
    args = ["gdb", "-nx", "-batch"]
    for c in cmds:
        args += ["-ex", c]
    args += ["--args", prog, str(n)]
    p = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT)
    out = p.stdout + p.stderr
    if "ptrace: Operation not permitted" in out:
        raise CheckFailed("gdb cannot trace processes here (ptrace not permitted)")
    sections = dict(re.findall(r"@@([\w-]+)\n(.*?)(?=@@|\Z)", out, re.S))
    expect(set(sections) >= {"threads", "info", "regs-before", "bt-parked", "bt-main", "regs-after", "frame",
                             "continue"},
           "gdb did not get through the script: %r" % out[-2000:])
    rows = sections["threads"].splitlines()
    expect(rows and rows[0].split()[:3] == ["Id", "pthread_t", "State"], "weft threads header: %r" % rows[:1])
    expect(("%d threads" % (n + 1)) in sections["threads"], "weft threads count: %r" % rows[-1:])
    workers = [r for r in rows if re.search(r"^\s+\d+\s+0x[0-9a-f]+\s+waiting\s+-\s+obs_parked_worker .*"
                                            r"futex 0x[0-9a-f]+ <release_cv>", r)]
    expect(len(workers) == n, "%d of %d workers listed as waiting on release_cv" % (len(workers), n))
    main_rows = [r for r in rows if re.search(r"^\*\s+\d+\s+0x[0-9a-f]+\s+running\s+\d+ \(\d+\)\s+main\b", r)]
    expect(len(main_rows) == 1, "main is not listed as the running, selected thread: %r" % rows[:3])
    expect(sections["info"].strip() == sections["threads"].strip(), "info weft-threads differs from weft threads")
    bt = sections["bt-parked"]
    frames = re.findall(r"^#\d+\s+.*?\b(\w+) \(", bt, re.M)
    expect("obs_parked_worker" in frames and "pthread_cond_wait" in frames,
           "parked backtrace lacks the program's frames: %r" % bt[:1500])
    expect(frames.index("pthread_cond_wait") < frames.index("obs_parked_worker"), "frames out of order")
    expect("obs_all_parked" in sections["bt-main"], "main's backtrace: %r" % sections["bt-main"][:500])
    expect(sections["regs-before"] == sections["regs-after"], "registers changed by weft bt: %r / %r" %
           (sections["regs-before"], sections["regs-after"]))
    expect(re.match(r"#1\s.*\bin one_round ", sections["frame"]), "selected frame not kept: %r" % sections["frame"][:200])
    expect("done %d 1" % n in sections["continue"] and "exited normally" in sections["continue"],
           "the program did not finish after the debugger looked: %r" % sections["continue"][-500:])


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    prog = sys.argv[1]
    for name, fn in (("stats", check_stats), ("schedtrace", check_schedtrace), ("churn", check_churn),
                     ("errors", check_errors),
                     ("launcher", check_launcher), ("gdb", check_gdb)):
        try:
            fn(prog)
            results.append(True)
            print("ok   obs %s" % name, flush=True)
        except (CheckFailed, subprocess.TimeoutExpired) as e:
            results.append(False)
            print("FAIL obs %s: %s" % (name, e), flush=True)
    print("obs: %d passed, %d failed" % (results.count(True), results.count(False)))
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
