// shim/c11.h — C11 <threads.h> result codes from POSIX error numbers, as
// glibc's thrd_err_map.
#pragma once
#include <errno.h>
#include <threads.h>

namespace weft {

inline int c11_result(int err) {
  switch (err) {
    case 0: return thrd_success;
    case ENOMEM: return thrd_nomem;
    case ETIMEDOUT: return thrd_timedout;
    case EBUSY: return thrd_busy;
    default: return thrd_error;
  }
}

}  // namespace weft
