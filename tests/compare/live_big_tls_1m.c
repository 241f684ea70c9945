/* tests/compare/live_big_tls_1m.c — live_big_tls.h with a 1024 KiB __thread array. */
#define BIG_TLS_BYTES (1024 * 1024)
#include "live_big_tls.h"
