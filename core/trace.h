// core/trace.h — WEFT_DEBUG: scheduler traces and counters for people
// looking at a program under weft (core/trace.cpp).
#pragma once

namespace weft {

// Parses WEFT_DEBUG (spec may be nullptr) once the runtime is up, before any
// thread is created: comma-separated schedtrace=MS, scheddetail=1, stats.
// Anything else gives one "weft:" warning; the valid items still apply.
void debug_configure(const char* spec);
// Starts the schedtrace thread if WEFT_DEBUG asked for one; called with the
// monitor, at each thread creation (only the first, per process, starts it).
void start_tracer();
// In a fork child: counters start again from zero, and the child's next
// thread creation starts its own tracer (core/fork.cpp).
void debug_forget_after_fork();

}  // namespace weft
