#!/usr/bin/env python3
"""Thousands of Python threads through every threading primitive CPython offers.

Run natively and under weft; stdout must be byte-identical, so it holds only
results that do not depend on scheduling (sums, counts, booleans about
invariants such as "never more than K inside the semaphore"). Under CPython
3.11 every primitive sits on a pthread mutex/condvar or a semaphore with
sem_clockwait, the GIL on a mutex+condvar pair, so this drives weft's shim with
a real program rather than a test written for it.

At two moments (stage "swarm" and stage "pool_wide") a known number of
threads is alive at once, all parked; the script then counts its kernel tasks
in /proc/self/task and writes the peak to --tasks-out (not stdout, as it
differs between NPTL, where it is about one per thread, and weft, where it is
about WEFT_PROCS plus helpers). Nothing here sleeps to synchronise: the only
timeouts are waits that must time out because nobody will ever wake them.

usage: py_threads.py [--threads N] [--tasks-out FILE]   (N alive at once, default 3000)
"""
import argparse
import concurrent.futures as cf
import os
import queue
import sys
import threading

PEAK = [0]


def note_peak():
    PEAK[0] = max(PEAK[0], len(os.listdir("/proc/self/task")))


def start_all(threads):
    for t in threads:
        t.start()


def join_all(threads):
    for t in threads:
        t.join()


def spawn(n, target, *args):
    ts = [threading.Thread(target=target, args=(i,) + args) for i in range(n)]
    start_all(ts)
    return ts


def swarm(n):
    """n threads alive at once, held between two barriers while main counts tasks."""
    lock = threading.Lock()
    total = [0]
    leaders = [0]
    idents = set()
    arrive = threading.Barrier(n + 1)
    leave = threading.Barrier(n + 1)

    def body(i):
        v = (i * i) % 1000003
        with lock:
            total[0] += v
            idents.add(threading.get_ident())
        if arrive.wait() == 0:
            with lock:
                leaders[0] += 1
        if leave.wait() == 0:
            with lock:
                leaders[0] += 1

    ts = spawn(n, body)
    if arrive.wait() == 0:
        leaders[0] += 1
    alive = threading.active_count()
    note_peak()
    if leave.wait() == 0:
        with lock:
            leaders[0] += 1
    join_all(ts)
    print("swarm: threads=%d alive_at_once=%d sum=%d distinct_idents=%d leaders=%d"
          % (n, alive, total[0], len(idents), leaders[0]))


def lock_counter(n, rounds):
    """Contended Lock and nested RLock increments; released together by an Event."""
    lock = threading.Lock()
    rlock = threading.RLock()
    go = threading.Event()
    count = [0, 0]

    def body(i):
        go.wait()
        for _ in range(rounds):
            with lock:
                count[0] += 1
            with rlock:
                with rlock:
                    count[1] += i

    ts = spawn(n, body)
    go.set()
    join_all(ts)
    print("lock_counter: lock=%d rlock=%d" % tuple(count))


def bounded_buffer(producers, consumers, items, capacity):
    """Classic bounded buffer: two Conditions on one Lock, wait_for and notify."""
    lock = threading.Lock()
    not_full = threading.Condition(lock)
    not_empty = threading.Condition(lock)
    buf = []
    got = [0, 0]  # count, sum

    def put(x):
        with not_full:
            not_full.wait_for(lambda: len(buf) < capacity)
            buf.append(x)
            not_empty.notify()

    def produce(p):
        for k in range(items):
            put(p * items + k)

    def consume(_c):
        while True:
            with not_empty:
                not_empty.wait_for(lambda: buf)
                x = buf.pop(0)
                not_full.notify()
                if x is None:
                    return
                got[0] += 1
                got[1] += x

    cs = spawn(consumers, consume)
    ps = spawn(producers, produce)
    join_all(ps)
    for _ in range(consumers):
        put(None)
    join_all(cs)
    print("bounded_buffer: items=%d sum=%d left=%d" % (got[0], got[1], len(buf)))


def events(n):
    """Fan-out wake-up of n waiters, plus waits that must time out."""
    ready = threading.Semaphore(0)
    go = threading.Event()
    never = threading.Event()
    woke = [0, 0]
    lock = threading.Lock()

    def body(i):
        ready.release()
        r = go.wait()
        t = never.wait(0.002) if i % 20 == 0 else None
        with lock:
            woke[0] += bool(r)
            woke[1] += t is False

    ts = spawn(n, body)
    for _ in range(n):
        ready.acquire()
    go.set()
    join_all(ts)
    print("events: woke=%d timed_out=%d" % tuple(woke))


def semaphores(n, limit):
    """BoundedSemaphore admits at most `limit`; over-release raises; timed acquire fails."""
    sem = threading.BoundedSemaphore(limit)
    lock = threading.Lock()
    inside = [0, 0, 0]  # now, most, entries

    def body(i):
        with sem:
            with lock:
                inside[0] += 1
                inside[1] = max(inside[1], inside[0])
                inside[2] += 1
            with lock:
                inside[0] -= 1

    ts = spawn(n, body)
    join_all(ts)
    try:
        sem.release()
        over = "no error"
    except ValueError:
        over = "ValueError"
    empty = threading.Semaphore(0)
    print("semaphores: entries=%d most_inside_ok=%s over_release=%s timed_acquire=%s"
          % (inside[2], 1 <= inside[1] <= limit, over, empty.acquire(timeout=0.002)))


def pipeline(workers, items):
    """Two worker stages joined by bounded Queues, task_done/join, sentinel shutdown."""
    q1 = queue.Queue(maxsize=64)
    q2 = queue.Queue(maxsize=64)
    sums = []
    lock = threading.Lock()

    def square(_i):
        while True:
            x = q1.get()
            if x is not None:
                q2.put(x * x % 7919)
            q1.task_done()
            if x is None:
                return

    def total(_i):
        s = 0
        while True:
            x = q2.get()
            q2.task_done()
            if x is None:
                break
            s += x
        with lock:
            sums.append(s)

    st1 = spawn(workers, square)
    st2 = spawn(workers, total)
    for x in range(items):
        q1.put(x)
    q1.join()
    for _ in range(workers):
        q1.put(None)
    join_all(st1)
    for _ in range(workers):
        q2.put(None)
    join_all(st2)
    try:
        q1.get(timeout=0.002)
        empty = "item"
    except queue.Empty:
        empty = "Empty"
    print("pipeline: items=%d sum=%d stage2_threads=%d get_timeout=%s"
          % (items, sum(sums), len(sums), empty))


def pool_map(workers, items):
    """ThreadPoolExecutor.map keeps order; exceptions come back through futures."""
    def work(x):
        if x == items // 2:
            raise KeyError(x)
        return (x * 31 + 7) % 1009

    with cf.ThreadPoolExecutor(max_workers=workers) as ex:
        futs = [ex.submit(work, x) for x in range(items)]
        done = 0
        s = 0
        errors = []
        for f in cf.as_completed(futs):
            done += 1
            if f.exception() is not None:
                errors.append(type(f.exception()).__name__)
            else:
                s += f.result()
        ordered = list(ex.map(lambda x: x * 2, range(1000)))
    print("pool_map: done=%d sum=%d errors=%s ordered=%s"
          % (done, s, errors, ordered == [x * 2 for x in range(1000)]))


def pool_wide(workers):
    """Every task blocks on one barrier, so the executor must start all `workers` threads."""
    meet = threading.Barrier(workers + 1)

    def task(x):
        meet.wait()
        return x

    with cf.ThreadPoolExecutor(max_workers=workers) as ex:
        futs = [ex.submit(task, x) for x in range(workers)]
        meet.wait()
        s = sum(f.result() for f in futs)
        alive = threading.active_count()
        note_peak()
    print("pool_wide: workers=%d alive_after=%d sum=%d" % (workers, alive, s))


def locals_and_hooks(n):
    """threading.local is per thread; uncaught exceptions reach threading.excepthook."""
    tls = threading.local()
    meet = threading.Barrier(n)
    lock = threading.Lock()
    bad = [0]
    hooked = []

    def body(i):
        tls.value = i
        meet.wait()  # all threads have set theirs before anyone reads
        if tls.value != i:
            with lock:
                bad[0] += 1
        if i % 100 == 0:
            raise RuntimeError("thread %d" % i)

    old = threading.excepthook
    threading.excepthook = lambda a: hooked.append(a.exc_type.__name__)
    join_all(spawn(n, body))
    threading.excepthook = old
    print("locals: threads=%d wrong=%d main_has_value=%s hooked=%d %s"
          % (n, bad[0], hasattr(tls, "value"), len(hooked), sorted(set(hooked))))


def timers(n):
    """Timers fire once; a cancelled timer never fires."""
    fired = []
    lock = threading.Lock()

    def fire(i):
        with lock:
            fired.append(i)

    ts = [threading.Timer(0.001, fire, args=(i,)) for i in range(n)]
    start_all(ts)
    late = threading.Timer(3600, fire, args=(-1,))
    late.start()
    late.cancel()
    join_all(ts)
    late.join()
    print("timers: fired=%d sum=%d cancelled_fired=%s" % (len(fired), sum(fired), -1 in fired))


def gil_churn(n, loops):
    """CPU-bound threads with a tiny switch interval: constant GIL hand-offs."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    out = [0] * n

    def body(i):
        s = 0
        for k in range(loops):
            s = (s * 31 + k + i) % 1000000007
        out[i] = s

    join_all(spawn(n, body))
    sys.setswitchinterval(old)
    print("gil_churn: threads=%d result=%d" % (n, sum(out) % 1000000007))


def daemons_left_blocked(n):
    """Daemon threads still blocked when the interpreter exits must not hang the exit."""
    never = threading.Event()
    started = threading.Semaphore(0)

    def body(_i):
        started.release()
        never.wait()

    for i in range(n):
        threading.Thread(target=body, args=(i,), daemon=True).start()
    for _ in range(n):
        started.acquire()
    print("daemons: blocked=%d" % n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=3000)
    ap.add_argument("--tasks-out")
    a = ap.parse_args()
    n = a.threads
    # Default-sized stacks (8 MiB of address space each) for the small stages;
    # the crowded ones use pthread_attr_setstacksize, as real servers do.
    gil_churn(8, 200000)
    timers(50)
    threading.stack_size(256 * 1024)
    swarm(n)
    lock_counter(n * 2 // 3, 50)
    bounded_buffer(n // 6, n // 6, 40, 16)
    events(n * 2 // 3)
    semaphores(n * 2 // 3, 8)
    pipeline(n // 15, 20000)
    pool_map(64, 20000)
    pool_wide(n * 2 // 3)
    locals_and_hooks(n // 3)
    daemons_left_blocked(100)
    if a.tasks_out:
        with open(a.tasks_out, "w") as f:
            f.write("%d\n" % PEAK[0])
    print("done")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
