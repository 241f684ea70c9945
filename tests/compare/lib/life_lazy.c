/* tests/compare/lib/life_lazy.c — 128 exported functions that
 * life_lazy_sum calls through the PLT, for life_dlopen_lazy. Built without
 * -z now and opened with RTLD_LAZY, each first call goes through the lazy
 * binding resolver (_dl_fixup), which several threads then run at once. */
#define DEF(g, i) \
  int life_lazy_f_##g##_##i(int x) { return 3 * x + (g) * 8 + (i); }
#define DEF8(g) DEF(g, 0) DEF(g, 1) DEF(g, 2) DEF(g, 3) DEF(g, 4) DEF(g, 5) DEF(g, 6) DEF(g, 7)
#define CALL(g, i) +life_lazy_f_##g##_##i(x)
#define CALL8(g) \
  CALL(g, 0) CALL(g, 1) CALL(g, 2) CALL(g, 3) CALL(g, 4) CALL(g, 5) CALL(g, 6) CALL(g, 7)

DEF8(0) DEF8(1) DEF8(2) DEF8(3) DEF8(4) DEF8(5) DEF8(6) DEF8(7)
DEF8(8) DEF8(9) DEF8(10) DEF8(11) DEF8(12) DEF8(13) DEF8(14) DEF8(15)

/* 128 * 3x + (0 + 1 + ... + 127) = 384x + 8128 */
int life_lazy_sum(int x) {
  return 0 CALL8(0) CALL8(1) CALL8(2) CALL8(3) CALL8(4) CALL8(5) CALL8(6) CALL8(7)
      CALL8(8) CALL8(9) CALL8(10) CALL8(11) CALL8(12) CALL8(13) CALL8(14) CALL8(15);
}
