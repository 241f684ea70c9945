// shim/keys.cpp — see shim/keys.h. Layouts are glibc 2.36's
// (sysdeps/nptl/internaltypes.h, nptl/descr.h).
#include "shim/keys.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/self.h"
#include "shim/internal_keys.h"

namespace weft {
namespace {

struct KeyStruct {  // glibc's struct pthread_key_struct
  uintptr_t seq;
  void (*destr)(void*);
};
struct KeyData {  // glibc's struct pthread_key_data
  uintptr_t seq;
  void* data;
};

constexpr int kL2 = 32;                  // PTHREAD_KEY_2NDLEVEL_SIZE
constexpr int kL1 = PTHREAD_KEYS_MAX / kL2;
constexpr size_t kSpecific1stBlock = 784;
constexpr size_t kSpecificUsed = 1552;

KeyStruct* glibc_keys() {
  static KeyStruct* keys = static_cast<KeyStruct*>(dlsym(RTLD_DEFAULT, "__pthread_keys"));
  return keys;
}

// One round over the program's keys.
void run_program_round(KeyData** specific) {
  KeyStruct* keys = glibc_keys();
  for (int i = 0; i < kL1; i++) {
    KeyData* level2 = specific[i];
    if (!level2) continue;
    for (int j = 0; j < kL2; j++) {
      void* data = level2[j].data;
      if (!data) continue;
      level2[j].data = nullptr;
      KeyStruct& k = keys[i * kL2 + j];
      if (level2[j].seq == k.seq && k.destr) k.destr(data);
    }
  }
}

}  // namespace

void run_key_destructors() {
  char* self = thread_pointer();
  bool& used = tcb_field<bool>(self, kSpecificUsed);
  bool program_keys = used;
  KeyData** specific = &tcb_field<KeyData*>(self, tcb_off::kSpecific);
  // weft's own keys (shim/internal_keys.h) take part in every round, after
  // the program's, which may still allocate and free: the allocator's
  // destructor asks for another round if they do after it ran.
  bool internal = true;
  for (int round = 0; (used || internal) && round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
    if (used) {
      used = false;
      run_program_round(specific);
    }
    internal = run_internal_key_destructors();
  }
  if (!program_keys) return;
  memset(self + kSpecific1stBlock, 0, sizeof(KeyData) * kL2);
  for (int i = 1; i < kL1; i++) {
    free(specific[i]);
    specific[i] = nullptr;
  }
  used = false;
}

}  // namespace weft
