// shim/sem_post.cpp — sem_post: adds a token (EOVERFLOW at SEM_VALUE_MAX)
// and wakes one sleeper if a waiter is registered (shim/sem.h).
#include <errno.h>

#include "core/export.h"
#include "shim/sem.h"
#include "shim/sync_common.h"

using namespace weft;

WEFT_EXPORT int sem_post(sem_t* s) {
  sem::Sem* sm = sem::of(s);
  bool shared = sem::pshared(sm);
  uint64_t d = sync::load_relaxed(&sm->data);
  do {
    if ((d & sem::kValueMask) == SEM_VALUE_MAX) {
      errno = EOVERFLOW;
      return -1;
    }
  } while (!sync::cas(&sm->data, d, d + 1));
  if ((d >> 32) != 0) sync::wake(sem::value_word(sm), 1, shared);
  return 0;
}
