// preload/checks.h — does this glibc match the layout weft was built for?
#pragma once

namespace weft {

// Compares core/self.h's offsets with glibc's own descriptors
// (_thread_db_*, __rseq_offset) and probes the cleanup-buffer slot.
// False with *why set when anything differs.
bool check_glibc_layout(const char** why);

}  // namespace weft
