// core/sigmask.cpp — see core/sigmask.h.
#include "core/sigmask.h"

namespace weft {

void sigmask_kernel_for_exec() {}
void sigmask_kernel_restore() {}

}  // namespace weft
