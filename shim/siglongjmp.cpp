// shim/siglongjmp.cpp — sigsetjmp/siglongjmp with a G's own signal mask.
//
// glibc saves and restores the *kernel* mask of the calling task (its
// hidden sigprocmask), which under weft is the M's, not the G's: a handler
// that leaves by siglongjmp (a timeout, a fault handler) would leave its
// signal blocked in the G's mask for good. So __sigsetjmp (the entry in
// shim/sigsetjmp_entry.S) also stores the G's mask in the jmp_buf, in the
// part of __saved_mask the kernel never writes (it stores 8 bytes), with a
// marker; the longjmp family puts it back before glibc jumps. The kernel
// mask glibc restores is made the M's own current one, so the jump cannot
// unblock signals on the M that weft keeps blocked there.
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>

#include "core/export.h"
#include "core/g.h"
#include "core/self.h"
#include "core/real.h"
#include "core/signal.h"
#include "core/sigmask.h"
#include "core/sys.h"

namespace {

constexpr uint64_t kStashMarker = 0x7765667473657421;  // "weftset!"

uint64_t* stash_of(struct __jmp_buf_tag* env) {
  return reinterpret_cast<uint64_t*>(&env->__saved_mask);
}

using LongjmpFn = void (*)(struct __jmp_buf_tag*, int);

[[noreturn]] void jump(LongjmpFn real_fn, struct __jmp_buf_tag* env, int val) {
  using namespace weft;
  uint64_t* stash = stash_of(env);
  G* self = current_g();
  if (env->__mask_was_saved && stash[2] == kStashMarker && self && !self->is_g0) {
    uint64_t kernel_now = 0;
    sys::call6(SYS_rt_sigprocmask, SIG_BLOCK, 0, long(&kernel_now), 8);
    // Routed: the M keeps its mask. One thread: the kernel's is the G's.
    stash[0] = signals_routed() ? kernel_now : stash[1];
    sigmask_change(self, SIG_SETMASK, stash[1], nullptr);
  }
  real_fn(env, val);
  __builtin_unreachable();
}

}  // namespace

extern "C" __attribute__((visibility("hidden"))) void* weft_sigsetjmp_stash(
    struct __jmp_buf_tag* env, int savemask) {
  using namespace weft;
  static void* real_fn = real_symbol("__sigsetjmp");
  uint64_t* stash = stash_of(env);
  G* self = current_g();
  if (savemask && self && !self->is_g0) {
    stash[1] = self->sigmask.load(std::memory_order_relaxed);
    stash[2] = kStashMarker;
  } else {
    stash[2] = 0;
  }
  return real_fn;
}

#define WEFT_LONGJMP(name)                                                   \
  WEFT_EXPORT [[noreturn]] void name(struct __jmp_buf_tag* env, int val) {   \
    static LongjmpFn real_fn = weft::real<LongjmpFn>(#name);                 \
    jump(real_fn, env, val);                                                 \
  }

WEFT_LONGJMP(siglongjmp)
WEFT_LONGJMP(longjmp)
WEFT_LONGJMP(_longjmp)
WEFT_LONGJMP(__longjmp_chk)
