// core/netpoll_none.cpp — placeholder until core/netpoll.cpp lands: no G
// ever waits for a descriptor.
#include <errno.h>

#include "core/netpoll.h"

namespace weft {
int netpoll_wait(int, uint32_t, int64_t) { return EPERM; }
int netpoll_wait_many(const PollWant*, int, int64_t) { return EPERM; }
void netpoll_fd_closing(int) {}
bool netpoll_has_waiters() { return false; }
int netpoll_poll(int64_t) { return 0; }
void netpoll_break() {}
int64_t netpoll_last_poll_ns() { return 0; }
}  // namespace weft
