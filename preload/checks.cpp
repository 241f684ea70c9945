// preload/checks.cpp — see preload/checks.h.
#include "preload/checks.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/self.h"

namespace weft {
namespace {

// glibc describes some struct pthread fields for libthread_db as
// {bit size, count, byte offset}.
bool field_at(const char* sym, size_t offset) {
  auto* d = static_cast<const uint32_t*>(dlsym(RTLD_DEFAULT, sym));
  return d && d[2] == offset;
}

}  // namespace

bool check_glibc_layout(const char** why) {
  auto* size = static_cast<const uint32_t*>(dlsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread"));
  if (!size || *size != tcb_off::kSizeofPthread) {
    *why = "unexpected struct pthread size";
    return false;
  }
  if (!field_at("_thread_db_pthread_tid", tcb_off::kTid) ||
      !field_at("_thread_db_pthread_cancelhandling", tcb_off::kCancelHandling) ||
      !field_at("_thread_db_pthread_specific", tcb_off::kSpecific) ||
      !field_at("_thread_db_pthread_start_routine", tcb_off::kStartRoutine) ||
      !field_at("_thread_db_pthread_list", tcb_off::kList)) {
    *why = "unexpected struct pthread layout";
    return false;
  }
  auto* rseq_offset = static_cast<const ptrdiff_t*>(dlsym(RTLD_DEFAULT, "__rseq_offset"));
  if (rseq_offset && *rseq_offset != 0 && *rseq_offset != ptrdiff_t(tcb_off::kRseqArea)) {
    *why = "unexpected rseq area offset";
    return false;
  }
  // __pthread_register_cancel links a buffer at cleanup_jmp_buf: check the
  // slot by registering one and unregistering it.
  auto reg = reinterpret_cast<void (*)(__pthread_unwind_buf_t*)>(
      dlsym(RTLD_DEFAULT, "__pthread_register_cancel"));
  auto unreg = reinterpret_cast<void (*)(__pthread_unwind_buf_t*)>(
      dlsym(RTLD_DEFAULT, "__pthread_unregister_cancel"));
  if (!reg || !unreg || !dlsym(RTLD_DEFAULT, "__pthread_unwind_next") ||
      !dlsym(RTLD_DEFAULT, "__pthread_keys")) {
    *why = "glibc's cancellation or key entry points are missing";
    return false;
  }
  void* tp = thread_pointer();
  void* saved = tcb_field<void*>(tp, tcb_off::kCleanupJmpBuf);
  __pthread_unwind_buf_t probe{};
  reg(&probe);
  bool ok = tcb_field<void*>(tp, tcb_off::kCleanupJmpBuf) == &probe && probe.__pad[0] == saved;
  unreg(&probe);
  if (!ok || tcb_field<void*>(tp, tcb_off::kCleanupJmpBuf) != saved) {
    *why = "unexpected cleanup buffer slot in struct pthread";
    return false;
  }
  return true;
}

}  // namespace weft
