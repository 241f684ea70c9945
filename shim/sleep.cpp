// shim/sleep.cpp — sleep, usleep and C11 thrd_sleep, as glibc builds them
// on nanosleep / clock_nanosleep (shim/clock_sleep.h):
//  * sleep: returns the seconds left when interrupted, rounded to the
//    nearest, else 0 with errno untouched;
//  * usleep: any number of microseconds (no EINVAL), -1/errno on error;
//  * thrd_sleep: 0, -1 when interrupted, -2 on any other error.
#include <errno.h>
#include <threads.h>
#include <unistd.h>

#include "core/export.h"
#include "shim/clock_sleep.h"

WEFT_EXPORT unsigned int sleep(unsigned int seconds) {
  int saved = errno;
  timespec req{static_cast<time_t>(seconds), 0};
  timespec rem{0, 0};
  if (weft::clock_sleep(CLOCK_REALTIME, 0, &req, &rem) == EINTR) {
    errno = EINTR;
    return static_cast<unsigned int>(rem.tv_sec + (rem.tv_nsec >= 500000000L));
  }
  errno = saved;
  return 0;
}

WEFT_EXPORT int usleep(useconds_t usec) {
  timespec req{static_cast<time_t>(usec / 1000000), static_cast<long>(usec % 1000000) * 1000};
  int e = weft::clock_sleep(CLOCK_REALTIME, 0, &req, nullptr);
  if (e == 0) return 0;
  errno = e;
  return -1;
}

WEFT_EXPORT int thrd_sleep(const struct timespec* duration, struct timespec* remaining) {
  int e = weft::clock_sleep(CLOCK_REALTIME, 0, duration, remaining);
  if (e == 0) return 0;
  return e == EINTR ? -1 : -2;
}
