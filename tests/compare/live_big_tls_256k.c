/* tests/compare/live_big_tls_256k.c — live_big_tls.h with a 256 KiB __thread array. */
#define BIG_TLS_BYTES (256 * 1024)
#include "live_big_tls.h"
