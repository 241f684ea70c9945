// shim/sem.h — sem_t internals shared by the semaphore shims.
//
// glibc 2.36's 64-bit "new_sem" layout and protocol, so process-shared
// semaphores (sem_init pshared, sem_open) interoperate with processes not
// under weft: data = value (low 32 bits, also the futex word) | waiters
// (high 32 bits); `private` = 0 (process-private) or 128 (shared). A waiter
// registers in the high half, sleeps while the value is 0, and takes a token
// and unregisters in one CAS; sem_post adds a token and wakes one sleeper if
// any waiter is registered.
#pragma once
#include <limits.h>  // SEM_VALUE_MAX
#include <semaphore.h>
#include <stdint.h>

namespace weft::sem {

struct Sem {
  uint64_t data;
  int private_;
  int pad;
};
static_assert(sizeof(Sem) <= sizeof(sem_t));

inline constexpr uint64_t kValueMask = 0xffffffffu;
inline constexpr uint64_t kWaiter = uint64_t{1} << 32;
inline constexpr int kFutexShared = 128;

inline Sem* of(sem_t* s) { return reinterpret_cast<Sem*>(s); }
inline const uint32_t* value_word(Sem* s) { return reinterpret_cast<const uint32_t*>(&s->data); }
inline bool pshared(const Sem* s) { return s->private_ != 0; }

}  // namespace weft::sem
