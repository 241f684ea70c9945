// core/warn.h — the runtime's diagnostics: one "weft: ..." line on stderr,
// written with a raw write(2) (no stdio lock, no malloc, no errno).
#pragma once

namespace weft {

void warn(const char* msg);
// Prints "weft: msg" and ends the process (WEFT_STRICT failures, corruption).
[[noreturn]] void fatal(const char* msg);

}  // namespace weft
