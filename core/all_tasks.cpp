// core/all_tasks.cpp — a system call on every kernel task (core/all_tasks.h).
//
// Why. Linux keeps credentials per task, and POSIX wants setuid() & co. to
// change the whole process, so glibc signals each of its threads with
// SIGSETXID and has it make the call. Under weft its handler clears a bit in
// the TCB of whatever G runs on the signalled M, not in the M's own, so glibc
// signals the same M forever (DESIGN-NOTES). weft therefore does it itself.
//
// Model. The caller wires its G to its M for the duration (so "the calling
// task" stays one task), holds glibc's lock on its thread lists (as glibc's
// own set*id does: no kernel thread is allocated meanwhile) and makes the
// call. If it fails, nothing else was touched: its error is the result. If
// it succeeds, every other task listed in /proc/self/task gets SIGSETXID, one
// at a time; weft's handler (installed for each request, since glibc puts
// its own back when its first pthread_create runs) makes the same call and
// posts its result; the caller waits for it, or until the task is gone.
// A task cloned by one that had not been reached yet shows up in the next
// listing, which is read again until it holds no task not yet done; a task
// cloned after its creator was reached copies the new credentials. Tasks
// made later (new Ms) inherit them from their creator in any case.
//
// Invariants. One request at a time (the thread-list lock). The handler
// uses no TLS, takes no lock and acts only for a request addressed to its
// own task by this process (si_code SI_TKILL, si_pid, target tid), so a
// stray SIGSETXID is ignored. Signal 33 must stay unblocked in every task
// (glibc's sigprocmask never blocks it).
#include "core/all_tasks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/sigmask.h"
#include "core/sys.h"
#include "core/tls.h"
#include "core/warn.h"
#include "core/wire.h"

extern "C" void weft_setxid_restorer();
// The signal frame's return path: rt_sigreturn, in the exact encoding
// unwinders recognise as a signal trampoline.
__asm__(
    ".text\n"
    ".globl weft_setxid_restorer\n"
    ".hidden weft_setxid_restorer\n"
    ".type weft_setxid_restorer,@function\n"
    "weft_setxid_restorer:\n"
    "  movq $15, %rax\n"
    "  syscall\n"
    ".size weft_setxid_restorer, .-weft_setxid_restorer\n");

namespace weft {
namespace {

constexpr int kSigSetxid = 33;  // glibc's SIGSETXID (internal-signals.h)
constexpr long kPidMaxLimit = 1 << 22;  // the kernel's PID_MAX_LIMIT on 64-bit

struct Request {
  long nr, a0, a1, a2;
  int pid;
  int target;            // the task asked now
  uint32_t done;         // futex: 1 once target answered
  long result;
};
Request* current;        // under the thread-list lock; read by the handler

void on_setxid(int, siginfo_t* si, void*) {
  Request* r = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
  if (!r || si->si_code != SI_TKILL || si->si_pid != r->pid) return;
  if (sys::gettid() != __atomic_load_n(&r->target, __ATOMIC_ACQUIRE)) return;
  if (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) return;
  r->result = sys::call6(r->nr, r->a0, r->a1, r->a2);
  __atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
  sys::futex_wake(&r->done, 1);
}

void install_handler() {
  constexpr unsigned long kSaRestorer = 0x04000000;
  KernelAction act{};
  act.action = on_setxid;
  act.flags = SA_SIGINFO | SA_RESTART | kSaRestorer;
  act.restorer = weft_setxid_restorer;
  act.mask = ~uint64_t{0};  // nothing interrupts the handler
  sys::call6(SYS_rt_sigaction, kSigSetxid, long(&act), 0, 8);
}

// Has task tid make the request; false if it no longer exists.
bool run_on(Request* r, int tid) {
  __atomic_store_n(&r->done, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&r->target, tid, __ATOMIC_RELEASE);
  for (;;) {
    long k = sys::call6(SYS_tgkill, r->pid, tid, kSigSetxid);
    if (k == -ESRCH) return false;
    if (k == 0) break;
    timespec pause{0, 1000000};  // EAGAIN: the signal queue is full for now
    sys::call6(SYS_nanosleep, long(&pause), 0);
  }
  while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
    timespec until = sys::ns_to_timespec(sys::now_ns() + 10000000);
    sys::futex_wait(&r->done, 0, &until);
    // A task that exits with the signal pending never answers.
    if (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) &&
        sys::call6(SYS_tgkill, r->pid, tid, 0) == -ESRCH)
      return false;
  }
  return true;
}

// Every task of /proc/self/task (dirfd) but the caller, until a listing
// holds none not done yet. `done`: one bit per tid.
void run_on_others(Request* r, int dirfd, uint8_t* done) {
  int self = sys::gettid();
  for (bool fresh = true; fresh;) {
    fresh = false;
    sys::call6(SYS_lseek, dirfd, 0, SEEK_SET);
    alignas(8) char buf[4096];
    long n;
    while ((n = sys::call6(SYS_getdents64, dirfd, long(buf), sizeof buf)) > 0) {
      for (long off = 0; off < n;) {
        auto* d = reinterpret_cast<dirent64*>(buf + off);
        off += d->d_reclen;
        long tid = 0;
        for (const char* c = d->d_name; *c >= '0' && *c <= '9'; c++) tid = tid * 10 + (*c - '0');
        if (tid <= 0 || tid >= kPidMaxLimit || tid == self) continue;
        if (done[tid >> 3] & (1 << (tid & 7))) continue;
        done[tid >> 3] |= uint8_t(1 << (tid & 7));
        fresh = true;
        if (run_on(r, int(tid)) && r->result != 0) {
          // The caller was allowed and this task was not: its credentials
          // differ, which only a raw system call can have done.
          warn("set*id: a kernel thread of the process refused a change the calling thread "
               "made; aborting, as glibc does");
          abort();
        }
      }
    }
  }
}

}  // namespace

long syscall_all_tasks(long nr, long a0, long a1, long a2) {
  // Opened first: if this fails, nothing has changed yet.
  long dirfd = sys::call6(SYS_openat, AT_FDCWD, long("/proc/self/task"),
                          O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return -EAGAIN;
  size_t map_len = kPidMaxLimit / 8;
  auto* done = static_cast<uint8_t*>(
      sys::mmap(nullptr, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE));
  if (!done) {
    sys::call6(SYS_close, dirfd);
    return -EAGAIN;
  }
  bool wire = !is_wired();
  if (wire) wire_current();
  lock_thread_lists();
  long result = sys::call6(nr, a0, a1, a2);
  if (result == 0) {
    Request r{nr, a0, a1, a2, int(sys::call6(SYS_getpid)), 0, 0, 0};
    install_handler();
    __atomic_store_n(&current, &r, __ATOMIC_RELEASE);
    run_on_others(&r, int(dirfd), done);
    __atomic_store_n(&current, nullptr, __ATOMIC_RELEASE);
  }
  unlock_thread_lists();
  if (wire) unwire_current();
  sys::munmap(done, map_len);
  sys::call6(SYS_close, dirfd);
  return result;
}

}  // namespace weft
