// shim/mq_notify.cpp — mq_notify with SIGEV_THREAD: the notification runs
// in a G (see shim/sigev_thread.h). Other notifications, and unregistering,
// go to glibc unchanged.
//
// Model. The kernel itself implements SIGEV_THREAD for message queues: when
// a message reaches the empty queue (and no receiver is waiting), it sends
// the 32-byte cookie given at registration on a netlink socket, with its
// last byte set to NOTIFY_WOKENUP; when the registration goes away
// unused (mq_notify(mqd, NULL), the queue closed), the same cookie with
// NOTIFY_REMOVED. glibc's helper thread reads that socket; weft's
// dispatcher G does, parked in the netpoller, and starts a detached G
// running the program's function for each WOKENUP. The cookie carries a
// Note (function, value, thread attribute) that the kernel hands back
// exactly once, so the dispatcher frees it after either answer. One socket
// and one dispatcher serve the process, made at the first registration.
// The notification thread starts with no signal blocked, as glibc's.
//
// A fork child has none of its parent's registrations (they belong to the
// parent's process) and must not read the parent's cookies from the shared
// socket: it closes the inherited one and makes its own when it first
// needs one.
#include <errno.h>
#include <mqueue.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/export.h"
#include "core/netpoll.h"
#include "core/own_fd.h"
#include "core/real.h"
#include "core/sys.h"
#include "core/warn.h"
#include "shim/sigev_thread.h"
#include "shim/thread.h"

namespace weft {
namespace {

// From <linux/mqueue.h>, which clashes with <mqueue.h>.
constexpr size_t kCookieLen = 32;
constexpr char kWokenUp = 1;
constexpr char kRemoved = 2;

struct Note {
  void (*fn)(sigval);
  sigval value;
  pthread_attr_t attr;
};

pthread_mutex_t setup_lock = PTHREAD_MUTEX_INITIALIZER;
int netlink_fd = -1;  // under setup_lock; then read-only while the dispatcher runs

void* dispatch(void* arg) {
  const int fd = int(reinterpret_cast<intptr_t>(arg));
  for (;;) {
    char cookie[kCookieLen];
    long n = sys::call6(SYS_recvfrom, fd, long(cookie), sizeof cookie, MSG_DONTWAIT, 0, 0);
    if (n == -EAGAIN || n == -EINTR || n == -ENOBUFS) {
      if (netpoll_wait(fd, kPollRead, 0) == EBADF) break;  // see below
      continue;
    }
    if (n < 0) break;
    if (size_t(n) < kCookieLen) continue;
    Note* note;
    memcpy(&note, cookie, sizeof note);
    if (cookie[kCookieLen - 1] == kWokenUp)
      sigev_thread_start(&note->attr, note->fn, note->value);
    else if (cookie[kCookieLen - 1] != kRemoved)
      continue;
    pthread_attr_destroy(&note->attr);
    free(note);
  }
  // The program replaced the socket (dup2) behind weft's back: the next
  // mq_notify makes another (the registrations made on this one are lost).
  own_fd_remove(fd);
  warn("mq_notify's descriptor was replaced by the program; its notifications are lost");
  pthread_mutex_lock(&setup_lock);
  if (netlink_fd == fd) netlink_fd = -1;
  pthread_mutex_unlock(&setup_lock);
  return nullptr;
}

void forget_after_fork() {
  if (netlink_fd >= 0) {
    own_fd_remove(netlink_fd);
    sys::call6(SYS_close, netlink_fd);
  }
  netlink_fd = -1;
  pthread_mutex_init(&setup_lock, nullptr);
}

// The socket the kernel sends cookies on, with its dispatcher; -1 if
// either cannot be made.
int notify_socket() {
  pthread_mutex_lock(&setup_lock);
  if (netlink_fd < 0) {
    static bool atfork = false;
    if (!atfork) pthread_atfork(nullptr, nullptr, forget_after_fork);
    atfork = true;
    long fd = sys::call6(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0) own_fd_add(int(fd));
    if (fd >= 0 && sigev_dispatcher_start(dispatch, reinterpret_cast<void*>(fd)) != 0) {
      own_fd_remove(int(fd));
      sys::call6(SYS_close, fd);
      fd = -1;
    }
    netlink_fd = int(fd);
  }
  int fd = netlink_fd;
  pthread_mutex_unlock(&setup_lock);
  return fd;
}

int notify(mqd_t mqd, const sigevent* ev) {
  int fd = notify_socket();
  if (fd < 0) return ENOSYS;  // glibc's answer when it has no socket
  Note* note = static_cast<Note*>(malloc(sizeof(Note)));
  if (!note) return ENOMEM;
  sigset_t none;
  sigemptyset(&none);
  int err = sigev_attr_init(&note->attr, static_cast<const pthread_attr_t*>(ev->sigev_notify_attributes),
                            true, &none);
  if (err) {
    free(note);
    return err;
  }
  note->fn = ev->sigev_notify_function;
  note->value = ev->sigev_value;
  char cookie[kCookieLen] = {};
  memcpy(cookie, &note, sizeof note);
  sigevent kernel_ev;
  memset(&kernel_ev, 0, sizeof kernel_ev);
  kernel_ev.sigev_notify = SIGEV_THREAD;
  kernel_ev.sigev_signo = fd;
  kernel_ev.sigev_value.sival_ptr = cookie;
  long r = sys::call6(SYS_mq_notify, mqd, long(&kernel_ev));
  if (r < 0) {
    pthread_attr_destroy(&note->attr);
    free(note);
    return int(-r);
  }
  return 0;
}

}  // namespace
}  // namespace weft

WEFT_EXPORT int mq_notify(mqd_t mqd, const sigevent* ev) {
  using namespace weft;
  static auto real_notify = real<int (*)(mqd_t, const sigevent*)>("mq_notify");
  if (!ev || ev->sigev_notify != SIGEV_THREAD || !ensure_runtime()) return real_notify(mqd, ev);
  int err = notify(mqd, ev);
  if (err) {
    errno = err;
    return -1;
  }
  return 0;
}
