#!/usr/bin/env bash
# Real programs, unmodified, from Debian's packages: each runs natively and then
# under weft (LD_PRELOAD=build/libweft.so WEFT_STRICT=1 WEFT_PROCS=2), and the
# weft run must give the same bytes as the native one.
#   python3 py_threads.py  thousands of threads through every threading primitive;
#                          stdout compared
#   pigz -p 8, pigz -p 64, xz -T4, zstd -T4  on 40 MiB of generated data
#                          (gen_data.py, fixed seed): compressed bytes equal to
#                          native; the weft output decompresses, under weft too,
#                          back to the input
# Kernel threads: every run goes through run_sampled.py, which polls the
# kernel's count of tasks of the process ("Threads:" in /proc/PID/status) about
# every millisecond and keeps the maximum. Under weft the maximum must be
# <= APPS_MAX_TASKS (32); a native minimum shows the program really makes its
# threads (python: >= half its threads and pigz -p 64: >= 33, so the bound
# cannot hold by accident; the others: >= 3). py_threads.py also counts
# /proc/self/task itself while a known 3000 threads are parked, which no
# sampling gap can miss. A weft run fails unless /proc/PID/maps showed the
# library (ld.so silently runs the program natively if it cannot load it).
# One "ok"/"FAIL" line per check, then "apps: N passed, M failed"; exit status
# non-zero on any failure. Timings in the lines are information, not checks.
# Environment: APPS_NATIVE_ONLY=1 runs only the native half (for when
# build/libweft.so does not exist yet; otherwise a missing library fails);
# WEFT_LIB overrides the library; APPS_TIMEOUT (s, per step, default 300);
# APPS_PY_THREADS (threads alive at once in python, default 3000, keep
# <= 5000: natively each is a kernel task).
# Checks are passed to eval in single quotes on purpose, and command strings are
# split on spaces on purpose:
# shellcheck disable=SC2016,SC2206
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lib=${WEFT_LIB:-$root/build/libweft.so}
native_only=${APPS_NATIVE_ONLY:-0}
tmo=${APPS_TIMEOUT:-300}
max_tasks=${APPS_MAX_TASKS:-32}
py_threads=${APPS_PY_THREADS:-3000}
data_mib=40
# Debian's interpreter, not whatever python3 comes first in PATH (pyenv shims
# are scripts that exec another binary).
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
weft_env=(-e "LD_PRELOAD=$lib" -e WEFT_STRICT=1 -e WEFT_PROCS=2 -m "$lib")

pass=0; fail=0
ok()   { echo "ok   $*"; pass=$((pass + 1)); }
bad()  { echo "FAIL $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if eval "$*"; then ok "$what"; else bad "$what"; fi; }
note() { echo "  # $*" >&3; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
finish() { echo "apps: $pass passed, $fail failed"; [ "$fail" = 0 ]; exit; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-apps.XXXXXX") || { bad "mktemp"; finish; }
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
exec 3>&1  # the report, even from inside a run whose stdout is redirected

if [ "$native_only" != 1 ] && [ ! -f "$lib" ]; then
  bad "weft library $lib missing (build it, or set APPS_NATIVE_ONLY=1)"
  finish
fi
[ "$native_only" = 1 ] && echo "# APPS_NATIVE_ONLY=1: weft runs skipped"

# run MODE TAG CMD... : runs CMD natively, or under weft if MODE=weft, with the
# caller's redirections, bounded by $tmo, sampling its task count. Sets rc,
# secs and tasks (most kernel tasks seen). A weft run in which libweft.so was
# never mapped gets rc=200 even if CMD succeeded: it ran natively.
run() {
  local mode=$1 tag=$2; shift 2
  local envs=() mapped t0=$EPOCHREALTIME
  [ "$mode" = weft ] && envs=("${weft_env[@]}")
  timeout -k 5 $((tmo + 30)) "$py" "$here/run_sampled.py" "${envs[@]}" \
    "$tmo" "$tmp/$tag.tasks" -- "$@" 2>"$tmp/$tag.err"
  rc=$?
  secs=$(since "$t0")
  read -r tasks mapped <"$tmp/$tag.tasks" 2>/dev/null || { tasks=0; mapped=no; }
  if [ "$rc" = 0 ] && [ "$mode" = weft ] && [ "$mapped" != yes ]; then
    rc=200; note "$tag: $lib was not loaded into the process"
  fi
  if [ "$rc" != 0 ]; then
    note "$tag: exit $rc$([ "$rc" = 124 ] && echo " (timed out after ${tmo}s)"); stderr tail:"
    tail -5 "$tmp/$tag.err" | sed 's/^/  #   /' >&3
  fi
}

# tasks_ok WHAT NATIVE_TASKS: the weft run just made completed on few kernel tasks.
tasks_ok() {
  check "$1 under weft ran on few kernel tasks: max $tasks <= $max_tasks (native max $2)" \
    '[ "$rc" = 0 ] && [ "$tasks" -le "$max_tasks" ]'
}

# ---- python3 threading --------------------------------------------------
py_app() {
  local out=$tmp/py npeak wpeak ntasks
  run native py.native "$py" "$here/py_threads.py" --threads "$py_threads" \
      --tasks-out "$out.native.peak" >"$out.native"
  npeak=$(cat "$out.native.peak" 2>/dev/null || echo 0); ntasks=$tasks
  check "python3 threads natively (${secs}s; tasks: $npeak inside >= $py_threads, max $ntasks sampled >= $((py_threads / 2)))" \
    '[ "$rc" = 0 ] && [ "$npeak" -ge "$py_threads" ] && [ "$ntasks" -ge $((py_threads / 2)) ] &&
     [ "$(tail -1 "$out.native")" = done ]'
  [ "$native_only" = 1 ] && return
  run weft py.weft "$py" "$here/py_threads.py" --threads "$py_threads" \
      --tasks-out "$out.weft.peak" >"$out.weft"
  check "python3 threads under weft: exit 0, stdout equal to native (${secs}s)" \
    '[ "$rc" = 0 ] && cmp -s "$out.native" "$out.weft"'
  cmp -s "$out.native" "$out.weft" || diff "$out.native" "$out.weft" | head -10 | sed 's/^/  #   /'
  wpeak=$(cat "$out.weft.peak" 2>/dev/null || echo none)
  check "python3 under weft: $wpeak kernel tasks inside with $py_threads threads alive (<= $max_tasks)" \
    '[ "$rc" = 0 ] && [ "$wpeak" -le "$max_tasks" ]'
  tasks_ok python3 "$ntasks"
}

# ---- compressors ----------------------------------------------------------
# zip NAME "COMPRESS CMD" "DECOMPRESS CMD" NATIVE_MIN_TASKS: compress natively
# and under weft, compare bytes, decompress the weft output (under weft, or
# natively in native-only mode) and compare with the input.
zip() {
  local name=$1 c=($2) d=($3) nmin=$4 data=$tmp/data
  local nz=$tmp/$name.native wz=$tmp/$name.weft back=$tmp/$name.back ntasks nsecs dmode=weft
  run native "$name.c.native" "${c[@]}" <"$data" >"$nz"
  ntasks=$tasks nsecs=$secs
  check "$2 natively (${secs}s, $(stat -c %s "$nz") bytes, max $ntasks tasks >= $nmin)" \
    '[ "$rc" = 0 ] && [ "$ntasks" -ge "$nmin" ]'
  if [ "$native_only" = 1 ]; then
    mv "$nz" "$wz"; dmode=native
  else
    run weft "$name.c.weft" "${c[@]}" <"$data" >"$wz"
    check "$2 under weft: exit 0, bytes equal to native (native ${nsecs}s, weft ${secs}s)" \
      '[ "$rc" = 0 ] && cmp -s "$nz" "$wz"'
    tasks_ok "$2" "$ntasks"
    rm -f "$nz"
  fi
  run $dmode "$name.d.$dmode" "${d[@]}" <"$wz" >"$back"
  check "$3 $([ $dmode = weft ] && echo "under weft" || echo natively): round-trips to the input (${secs}s, max $tasks tasks)" \
    '[ "$rc" = 0 ] && { [ $dmode = native ] || [ "$tasks" -le "$max_tasks" ]; } && cmp -s "$data" "$back"'
  rm -f "$wz" "$back"
}

py_app
t0=$EPOCHREALTIME
if timeout "$tmo" "$py" "$here/gen_data.py" $((data_mib << 20)) >"$tmp/data"; then
  ok "generated ${data_mib} MiB test data ($(since "$t0")s)"
  zip pigz "pigz -p 8 -c" "pigz -d -p 8 -c" 3
  # 64 threads natively, so "<= 32 under weft" cannot pass by accident.
  zip pigz64 "pigz -p 64 -c" "pigz -d -p 64 -c" 33
  zip xz "xz -T4 -3 --block-size=4MiB -c" "xz -d -T4 -c" 3
  zip zstd "zstd -T4 -9 -q -c" "zstd -d -T4 -q -c" 3
else
  bad "generating test data"
fi
rm -f "$tmp/data"
finish
