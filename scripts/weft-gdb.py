# scripts/weft-gdb.py — gdb commands for programs running under weft.
#
# Load it in gdb with `source PATH/weft-gdb.py` (installed as
# PREFIX/share/weft/weft-gdb.py by `make install`). Commands:
#
#   weft threads            (alias: info weft-threads)
#       Lists every user-space thread (G) with its id, pthread_t, state, the
#       kernel thread (M) running it, its start function and what it waits
#       on: a futex address (mutexes, condition variables, joins ...), file
#       descriptors (the netpoller), a timer (sleeps and timed waits).
#   weft bt [full] ID|all ...
#       The backtrace of the Gs named by id (or pthread_t), or of all of them.
#       A parked G's backtrace starts from the context it saved when it was
#       switched out; a running G's is its kernel thread's.
#
# `info threads` and `thread apply all bt` still show the kernel threads
# (Ms): under weft those run whichever G they hold at the moment.
#
# How it finds the Gs: weft links every G's glibc thread control block
# (TCB) into glibc's thread lists, as NPTL does for its threads, and keeps
# a pointer to the G in the TCB (core/self.h, core/tls.cpp). libweft.so
# describes where both are in `weft_debug_thread_lists`, and its debug
# information describes struct weft::G. A G's saved context is the frame
# weft_switch pushed (core/context_switch.S): from G::sp, 8 bytes of control
# words, then r15, r14, r13, r12, rbx, rbp and the return address.
# `weft bt` of a parked G loads those registers into the selected kernel
# thread, prints its backtrace and puts that thread's registers back, so the
# program must be stopped (as gdb stops it at a breakpoint or a signal).
#
# A G's id is the tid glibc keeps in its TCB: the process id for the main
# thread, a number above 4194304 (above any kernel tid) for the others. It is
# the value glibc stores as the owner of a mutex (pthread_mutex_t.__data.
# __owner), so `weft threads` tells which thread holds a lock.

import time

import gdb

_SAVED_REGS = ("r15", "r14", "r13", "r12", "rbx", "rbp")  # above the control words


class _Layout:
    """Offsets of the fields read from a G and an M, from the debug info."""

    def __init__(self):
        try:
            self.lists = gdb.parse_and_eval("weft_debug_thread_lists")
        except gdb.error:
            raise gdb.GdbError("weft is not loaded in this process (no weft_debug_thread_lists; "
                               "is libweft.so preloaded, with its debug information?)")
        g_type = gdb.lookup_type("weft::G")
        m_type = gdb.lookup_type("weft::M")
        self.g_size = g_type.sizeof
        self.g = self._fields(g_type)
        timer_off = self.g["timer"][0]
        for name, (off, size) in self._fields(gdb.lookup_type("weft::Timer")).items():
            self.g["timer." + name] = (timer_off + off, size)
        self.m = self._fields(m_type)
        self.status_names = {}
        for f in gdb.lookup_type("weft::GStatus").fields():
            name = f.name.split("::")[-1]
            name = name[2:].lower() if name.startswith("kG") else name
            # Readied while still switching out: queued by the next context.
            self.status_names[int(f.enumval)] = "runnable" if name == "parkreadied" else name

    @staticmethod
    def _fields(t):
        return {f.name: (f.bitpos // 8, f.type.sizeof) for f in t.fields() if not f.is_base_class}


def _int(buf, field_table, name, signed=False):
    off, size = field_table[name]
    return int.from_bytes(bytes(buf[off:off + size]), "little", signed=signed)


class _G:
    """One G, read in a few memory reads."""

    def __init__(self, layout, inferior, g_addr, tcb, tid):
        raw = bytes(inferior.read_memory(g_addr, layout.g_size))
        f = layout.g
        self.addr = g_addr
        self.tcb = tcb
        self.id = tid
        self.status_code = _int(raw, f, "status")
        self.status = layout.status_names.get(self.status_code, str(self.status_code))
        self.is_g0 = _int(raw, f, "is_g0") != 0
        self.is_main = _int(raw, f, "is_main") != 0
        self.sp = _int(raw, f, "sp")
        self.fn = _int(raw, f, "fn")
        self.m_addr = _int(raw, f, "m")
        self.futex = _int(raw, f, "wq_addr") if _int(raw, f, "wq_queued") else 0
        self.timer_armed = _int(raw, f, "timer.heap") != 0
        self.timer_when = _int(raw, f, "timer.when", signed=True)
        self.poll_nfds = _int(raw, f, "poll_nfds", signed=True)
        self.poll_fd = _int(raw, f, "poll_fd", signed=True)
        off, size = f["name"]
        self.name = raw[off:off + size].split(b"\0", 1)[0].decode(errors="replace")
        self.m_id = None
        self.m_ktid = None
        if self.status in ("running", "syscall") and self.m_addr:
            mraw = bytes(inferior.read_memory(self.m_addr, layout.m["ktid"][0] + 4))
            self.m_id = _int(mraw, layout.m, "id", signed=True)
            self.m_ktid = _int(mraw, layout.m, "ktid", signed=True)

    @property
    def on_kernel_thread(self):
        return self.m_ktid is not None


def _read_ptr(inferior, addr):
    return int.from_bytes(bytes(inferior.read_memory(addr, 8)), "little")


def all_gs():
    """Every live G, oldest first (the main thread first)."""
    layout = _Layout()
    inferior = gdb.selected_inferior()
    lists = layout.lists
    list_off = int(lists["list_off"])
    g_off = int(lists["g_off"])
    tid_off = int(lists["tid_off"])
    gs = []
    for i in range(2):
        head = int(lists["lists"][i])
        if not head:
            continue
        entry = _read_ptr(inferior, head + 8)  # list_t.prev: oldest first
        steps = 0
        while entry != head:
            steps += 1
            if steps > 50_000_000:
                raise gdb.GdbError("glibc's thread list does not end; is the process corrupted?")
            tcb = entry - list_off
            g_addr = _read_ptr(inferior, tcb + g_off)
            if g_addr:
                tid = int.from_bytes(bytes(inferior.read_memory(tcb + tid_off, 4)), "little", signed=True)
                g = _G(layout, inferior, g_addr, tcb, tid)
                if not g.is_g0:
                    gs.append(g)
            entry = _read_ptr(inferior, entry + 8)
    return gs


_symbol_cache = {}


def _symbol(addr, data=False):
    """`name` (code) or `name+off` (data), or '' when gdb knows none."""
    key = (addr, data)
    if key in _symbol_cache:
        return _symbol_cache[key]
    name = ""
    if not data:
        block = gdb.block_for_pc(addr) if addr else None
        while block is not None and block.function is None:
            block = block.superblock
        if block is not None and block.function is not None:
            name = block.function.print_name
    if not name and addr:
        out = gdb.execute("info symbol 0x%x" % addr, to_string=True).strip()
        if not out.startswith("No symbol"):
            name = out.split(" in section")[0].replace(" + ", "+")
    _symbol_cache[key] = name
    return name


def waits_on(g):
    """What a G waits on, as weft knows it."""
    parts = []
    if g.futex:
        sym = _symbol(g.futex, data=True)
        parts.append("futex 0x%x%s" % (g.futex, " <%s>" % sym if sym else ""))
    if g.poll_nfds > 0:
        parts.append("fd %d" % g.poll_fd + (" (+%d more)" % (g.poll_nfds - 1) if g.poll_nfds > 1 else ""))
    if g.timer_armed:
        left_ms = (g.timer_when - time.monotonic_ns()) / 1e6
        parts.append("timer %+.0fms" % left_ms)
    if not parts:
        if g.status == "runnable":
            parts.append("runnable")
        elif g.status == "syscall":
            parts.append("system call")
    return ", ".join(parts)


def start_function(g):
    if g.is_main:
        return "main"
    return _symbol(g.fn) or ("0x%x" % g.fn)


def _current_tcb():
    try:
        return int(gdb.parse_and_eval("$fs_base"))
    except gdb.error:
        return None


class WeftPrefix(gdb.Command):
    """Commands for programs under weft: weft threads, weft bt."""

    def __init__(self):
        super().__init__("weft", gdb.COMMAND_RUNNING, gdb.COMPLETE_NONE, True)


class WeftThreads(gdb.Command):
    """List weft's user-space threads (Gs): weft threads.

Columns: id (glibc's tid of the thread, the owner field of a mutex it holds),
pthread_t, state, the kernel thread running it (M and LWP), its start
function and what it waits on (futex address, file descriptors, timer).
'*' marks the G that the selected kernel thread runs."""

    def __init__(self, name):
        super().__init__(name, gdb.COMMAND_STATUS, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        gs = all_gs()
        current = _current_tcb()
        rows = [("", "Id", "pthread_t", "State", "M (LWP)", "Start function", "Waits on")]
        for g in gs:
            m = "%d (%d)" % (g.m_id, g.m_ktid) if g.on_kernel_thread else "-"
            fn = start_function(g) + (" [%s]" % g.name if g.name else "")
            rows.append(("*" if g.tcb == current else "", str(g.id), "0x%x" % g.tcb, g.status, m, fn, waits_on(g)))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
        for r in rows:
            gdb.write("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1] + "\n")
        gdb.write("%d threads\n" % len(gs))


def _find(gs, token):
    try:
        want = int(token, 0)
    except ValueError:
        raise gdb.GdbError("weft bt: '%s' is not a thread id, pthread_t or 'all'" % token)
    for g in gs:
        if g.id == want or g.tcb == want:
            return g
    raise gdb.GdbError("weft bt: no thread %s (see 'weft threads')" % token)


def _backtrace_running(g, bt_cmd):
    """A G on a kernel thread: that thread's backtrace."""
    previous = gdb.selected_thread()
    for t in gdb.selected_inferior().threads():
        if t.ptid[1] == g.m_ktid:
            t.switch()
            try:
                gdb.execute(bt_cmd)
            finally:
                previous.switch()
            return
    gdb.write("(running on LWP %d, which gdb does not know)\n" % g.m_ktid)


def _backtrace_parked(g, bt_cmd):
    """A parked G: its saved context loaded into the selected kernel thread."""
    if not g.sp:
        gdb.write("(no saved context)\n")
        return
    inferior = gdb.selected_inferior()
    words = [_read_ptr(inferior, g.sp + 8 * i) for i in range(8)]
    regs = dict(zip(_SAVED_REGS, words[1:7]))
    regs["rip"] = words[7]
    regs["rsp"] = g.sp + 64
    regs["fs_base"] = g.tcb  # its TLS (errno, __thread variables) for `full`
    level = gdb.selected_frame().level()
    gdb.newest_frame().select()
    saved = {}
    try:
        for name in regs:
            try:
                saved[name] = int(gdb.parse_and_eval("$" + name))
            except gdb.error:
                continue
        for name, value in regs.items():
            if name in saved:
                gdb.execute("set $%s = 0x%x" % (name, value), to_string=True)
        gdb.execute(bt_cmd)
    finally:
        for name, value in saved.items():
            gdb.execute("set $%s = 0x%x" % (name, value), to_string=True)
        gdb.execute("frame %d" % level, to_string=True)


class WeftBacktrace(gdb.Command):
    """Backtrace of weft threads (Gs): weft bt [full] ID|all ...

ID is a thread id or pthread_t from 'weft threads'. A parked thread's
backtrace starts where it was switched out (inside weft's switch); a
running one's is that of its kernel thread. 'full' prints locals too."""

    def __init__(self):
        super().__init__("weft bt", gdb.COMMAND_STACK, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        tokens = gdb.string_to_argv(arg)
        bt_cmd = "bt full" if "full" in tokens else "bt"
        tokens = [t for t in tokens if t != "full"]
        if not tokens:
            raise gdb.GdbError("usage: weft bt [full] ID|all ...")
        gs = all_gs()
        chosen = gs if "all" in tokens else [_find(gs, t) for t in tokens]
        for g in chosen:
            gdb.write("\nG %d (pthread_t 0x%x) %s, start function %s%s:\n" %
                      (g.id, g.tcb, g.status, start_function(g),
                       ", waits on " + waits_on(g) if waits_on(g) else ""))
            if g.on_kernel_thread:
                _backtrace_running(g, bt_cmd)
            else:
                _backtrace_parked(g, bt_cmd)


WeftPrefix()
WeftThreads("weft threads")
WeftThreads("info weft-threads")
WeftBacktrace()
