// core/real.h — the libc definitions weft interposes, found with dlsym(RTLD_NEXT)
// on first use. Safe before start-up and from any thread.
#pragma once

namespace weft {

// Returns libc's definition of `name` (the default version), or nullptr.
void* real_symbol(const char* name);

// Typed, cached lookup: `static auto f = real<decltype(&pthread_create)>("pthread_create");`
template <class Fn>
inline Fn real(const char* name) {
  return reinterpret_cast<Fn>(real_symbol(name));
}

}  // namespace weft
