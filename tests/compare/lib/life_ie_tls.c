/* tests/compare/lib/life_ie_tls.c — a library with initial-exec TLS, for
 * life_dlopen_ie_tls. dlopen puts its TLS block in every existing thread's
 * static TLS area and must initialise it there (the trap: glibc initialises
 * only the threads it knows about). */
__attribute__((tls_model("initial-exec"))) __thread int life_ie_value = 42;
__attribute__((tls_model("initial-exec"))) __thread char life_ie_zeroed[64];

int life_ie_get(void) { return life_ie_value; }

void life_ie_set(int v) { life_ie_value = v; }

/* 1 when the .tbss part reads as zeros in the calling thread. */
int life_ie_zeroed_ok(void) {
  for (unsigned i = 0; i < sizeof life_ie_zeroed; i++)
    if (life_ie_zeroed[i] != 0) return 0;
  return 1;
}
