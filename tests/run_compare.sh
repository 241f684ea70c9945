#!/usr/bin/env bash
# Runs each compare program natively and under weft (WEFT_PROCS=1 and 2,
# WEFT_STRICT=1) and checks that stdout and the exit status are the same.
# Programs see WEFT_TEST_UNDER_WEFT=1 in the weft runs, for checks that only
# make sense there (kernel task counts); they print nothing extra on success.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
lib="$root/build/libweft.so"
tmo=${WEFT_TEST_TIMEOUT:-180}
pass=0; fail=0; failed=()
for prog in "$@"; do
  name=$(basename "$prog")
  out=$(mktemp -d)
  timeout "$tmo" "$prog" >"$out/native" 2>"$out/native.err"; rc_n=$?
  ok=1
  for procs in 1 2; do
    WEFT_TEST_UNDER_WEFT=1 WEFT_STRICT=1 WEFT_PROCS=$procs LD_PRELOAD="$lib" \
      timeout "$tmo" "$prog" >"$out/weft$procs" 2>"$out/weft$procs.err"; rc_w=$?
    if [ "$rc_n" != "$rc_w" ] || ! cmp -s "$out/native" "$out/weft$procs"; then
      ok=0
      echo "FAIL $name (WEFT_PROCS=$procs): native rc=$rc_n weft rc=$rc_w"
      diff "$out/native" "$out/weft$procs" | head -20
      tail -5 "$out/weft$procs.err"
    fi
  done
  if [ "$rc_n" != 0 ]; then
    ok=0; echo "FAIL $name: native run exited $rc_n"; tail -5 "$out/native.err"
  fi
  if [ $ok = 1 ]; then pass=$((pass+1)); echo "ok   $name"; else fail=$((fail+1)); failed+=("$name"); fi
  rm -rf "$out"
done
echo "compare: $pass passed, $fail failed"
[ $fail = 0 ]
