/* tests/compare/lib/life_churn.c — a small library that life_dlopen_lazy
 * loads (RTLD_GLOBAL) and unloads in a loop. Its dynamic TLS variable makes
 * every load and unload change the TLS module list, and its presence in the
 * global scope makes each dlclose wait for threads inside the symbol lookup
 * of lazy binding (glibc's gscope protocol). */
__thread int life_churn_tls = 5;

/* Returns the calling thread's value, then increments it. */
int life_churn_next(void) { return life_churn_tls++; }
