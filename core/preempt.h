// core/preempt.h — asynchronous preemption (core/preempt.cpp).
#pragma once
#include <signal.h>
#include <stdint.h>

namespace weft {

struct P;
struct M;

// Installs the preemption signal's handler. slice_ns == 0 turns preemption
// off. False (with *why) if the signal cannot be used.
bool preempt_init(int sig, int64_t slice_ns, const char** why);
// The running time slice after which the monitor preempts (0: never).
int64_t preempt_slice_ns();
// The monitor's part: asks m, which has run the same G on p since before
// the slice began, to switch it out (the G is preempted only if it is in
// the program's code when the signal lands; else the monitor tries again).
void preempt_request(P* p, M* m, uint32_t schedtick);

// The signal weft uses (0 if none).
int preempt_signal();
// Makes m look at the signals of the G it runs (core/signal.h); the monitor
// repeats it while m->poke_pending stays set.
void poke_m(M* m);
// Whose code an instruction address lies in (found at start-up): the
// runtime's (libweft.so), the loader's, libc's, or anything else (the
// program and its other libraries).
enum class CodeOf { kProgram, kWeft, kLoader, kLibc };
CodeOf code_of(uintptr_t ip);

// The program's own action for the preemption signal (shim/sigaction.cpp):
// weft keeps its handler installed and passes the program's deliveries on.
bool preempt_owns_signal(int sig);
void preempt_swap_program_action(const struct sigaction* act, struct sigaction* old);

}  // namespace weft
