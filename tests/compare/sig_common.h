// What the sig_* tests share: changing one signal in the calling thread's
// mask, and a short sleep for bounded polling loops.
#pragma once
#include <pthread.h>
#include <signal.h>
#include <time.h>

static inline void set_mask(int how, int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  pthread_sigmask(how, &s, NULL);
}

static inline void pause_ms(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, NULL);
}
