#!/usr/bin/env bash
# Real programs, unmodified, from Debian's packages: each runs natively and then
# under weft (LD_PRELOAD=build/libweft.so WEFT_STRICT=1, at the WEFT_PROCS that
# the check names: 1, 2, or weft's default), and the weft run must give the
# same bytes as the native one.
#   python3 py_threads.py  thousands of threads through every threading primitive;
#                          stdout compared
#   pigz -p 8, pigz -p 64, xz -T4, zstd -T4  on 40 MiB of generated data
#                          (gen_data.py, fixed seed): compressed bytes equal to
#                          native; the weft output decompresses, under weft too,
#                          back to the input. pbzip2 -p8 and lbzip2 -n8 the same
#                          at WEFT_PROCS=1 (their threads wait for each other
#                          in condition variables and in reads and writes)
#   programs whose threads block in system calls, stdout compared:
#     python3 py_echo.py     a thread-per-connection server (socketserver) with
#                            200 client threads, at WEFT_PROCS=1 and 2
#     mc_check.py memcached  an event-loop server (libevent) whose 4 worker
#                            threads wait in epoll_wait, 100 client threads
#                            (under weft too), at WEFT_PROCS=1 and 2
#     node node_fs.js        fs.promises on libuv's thread pool, at weft's
#                            default WEFT_PROCS
#     ruby rb_threads.rb     threads, sockets, queues, pipes, files, at 1 and 2
#     git_clone.sh           git clone --no-local (upload-pack, pack-objects,
#                            index-pack with 8 threads) of a generated
#                            repository, at WEFT_PROCS=1
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
# A check whose program is not installed fails (make deps installs them all).
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
# The WEFT_PROCS of weft runs: a number, or "default" for weft's own choice.
procs=2

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

# run MODE TAG CMD... : runs CMD natively, or under weft at WEFT_PROCS=$procs
# if MODE=weft, with the caller's redirections, bounded by $tmo, sampling its
# task count (of CMD's process only, not its children). Sets rc,
# secs and tasks (most kernel tasks seen). A weft run in which libweft.so was
# never mapped gets rc=200 even if CMD succeeded: it ran natively.
run() {
  local mode=$1 tag=$2; shift 2
  local envs=() mapped t0=$EPOCHREALTIME
  if [ "$mode" = weft ]; then
    envs=(-e "LD_PRELOAD=$lib" -e WEFT_STRICT=1 -m "$lib")
    if [ "$procs" = default ]; then envs+=(-u WEFT_PROCS); else envs+=(-e "WEFT_PROCS=$procs"); fi
  fi
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
# zip NAME "COMPRESS CMD" "DECOMPRESS CMD" NATIVE_MIN_TASKS [PROCS]: compress
# natively and under weft (at WEFT_PROCS=PROCS, default 2), compare bytes,
# decompress the weft output (under weft, or natively in native-only mode)
# and compare with the input.
zip() {
  local name=$1 c=($2) d=($3) nmin=$4 procs=${5:-$procs} data=$tmp/data
  local nz=$tmp/$name.native wz=$tmp/$name.weft back=$tmp/$name.back ntasks nsecs dmode=weft
  run native "$name.c.native" "${c[@]}" <"$data" >"$nz"
  ntasks=$tasks nsecs=$secs
  check "$2 natively (${secs}s, $(stat -c %s "$nz") bytes, max $ntasks tasks >= $nmin)" \
    '[ "$rc" = 0 ] && [ "$ntasks" -ge "$nmin" ]'
  if [ "$native_only" = 1 ]; then
    mv "$nz" "$wz"; dmode=native
  else
    run weft "$name.c.weft" "${c[@]}" <"$data" >"$wz"
    check "$2 $(under): exit 0, bytes equal to native (native ${nsecs}s, weft ${secs}s)" \
      '[ "$rc" = 0 ] && cmp -s "$nz" "$wz"'
    tasks_ok "$2" "$ntasks"
    rm -f "$nz"
  fi
  run $dmode "$name.d.$dmode" "${d[@]}" <"$wz" >"$back"
  check "$3 $([ $dmode = weft ] && under || echo natively): round-trips to the input (${secs}s, max $tasks tasks)" \
    '[ "$rc" = 0 ] && { [ $dmode = native ] || [ "$tasks" -le "$max_tasks" ]; } && cmp -s "$data" "$back"'
  rm -f "$wz" "$back"
}

# ---- programs whose threads block in system calls --------------------------
# same_out NAME NATIVE_MIN_TASKS "PROCS..." CMD...: runs CMD natively, then
# under weft at each WEFT_PROCS in PROCS ("default": weft's own). Each weft
# run must exit 0 with stdout byte-equal to the native run's. With
# NATIVE_MIN_TASKS > 0 the program must have made that many threads natively
# and stayed within $max_tasks under weft. An argument containing @DIR@ gets
# it replaced by a new empty directory for each run.
same_out() {
  local name=$1 nmin=$2 plist=($3) out=$tmp/$1 nsecs ntasks n=0 procs args
  shift 3
  local what="$name ($*)"
  in_dir "$name.native" "$@"
  run native "$name.native" "${args[@]}" >"$out.native"
  nsecs=$secs ntasks=$tasks
  check "$what natively (${secs}s, max $tasks tasks >= $nmin)" \
    '[ "$rc" = 0 ] && [ -s "$out.native" ] && [ "$tasks" -ge "$nmin" ]'
  [ "$native_only" = 1 ] && return
  for procs in "${plist[@]}"; do
    n=$((n + 1))
    in_dir "$name.weft$n" "$@"
    run weft "$name.weft$n" "${args[@]}" >"$out.weft"
    check "$name $(under): exit 0, stdout equal to native (native ${nsecs}s, weft ${secs}s)" \
      '[ "$rc" = 0 ] && cmp -s "$out.native" "$out.weft"'
    cmp -s "$out.native" "$out.weft" || diff "$out.native" "$out.weft" | head -6 | sed 's/^/  #   /'
    if [ "$nmin" -gt 0 ]; then tasks_ok "$name at WEFT_PROCS=$procs" "$ntasks"; fi
    rm -rf "$tmp/$name.weft$n.d"
  done
  rm -rf "$tmp/$name.native.d" "$out.native" "$out.weft"
}

# in_dir TAG ARG...: sets args to the ARGs with @DIR@ replaced by a new
# directory for the run TAG.
in_dir() { mkdir -p "$tmp/$1.d"; args=("${@:2}"); args=("${args[@]//@DIR@/$tmp/$1.d}"); }

# "under weft at WEFT_PROCS=N" for the procs in effect
under() { echo "under weft at WEFT_PROCS=$procs"; }

blocking_apps() {
  same_out py_echo 200 "1 2" "$py" "$here/py_echo.py" 200
  same_out memcached 0 "1 2" "$py" "$here/mc_check.py" @DIR@ 4 100 -- memcached
  # Not at WEFT_PROCS=1 until a G that never parks can be preempted: node's
  # main thread then keeps finding its event loop's eventfd ready (V8's
  # incremental sweeping posts task after task) and never lets the pool and
  # V8's worker threads run; one run takes seconds to minutes.
  same_out node_fs 0 "default" node "$here/node_fs.js" @DIR@ 300
  same_out ruby 100 "1 2" ruby "$here/rb_threads.rb" 100 @DIR@
  local repo=$tmp/git-src
  if git init -q -b main "$repo" && "$py" "$here/git_repo.py" | git -C "$repo" fast-import --quiet; then
    same_out git_clone 0 "1" "$here/git_clone.sh" "$repo" @DIR@/clone
  else
    bad "making a git repository to clone"
  fi
  rm -rf "$repo"
}

py_app
blocking_apps
t0=$EPOCHREALTIME
if timeout "$tmo" "$py" "$here/gen_data.py" $((data_mib << 20)) >"$tmp/data"; then
  ok "generated ${data_mib} MiB test data ($(since "$t0")s)"
  zip pigz "pigz -p 8 -c" "pigz -d -p 8 -c" 3
  # 64 threads natively, so "<= 32 under weft" cannot pass by accident.
  zip pigz64 "pigz -p 64 -c" "pigz -d -p 64 -c" 33
  zip xz "xz -T4 -3 --block-size=4MiB -c" "xz -d -T4 -c" 3
  zip zstd "zstd -T4 -9 -q -c" "zstd -d -T4 -q -c" 3
  zip pbzip2 "pbzip2 -p8 -c" "pbzip2 -d -p8 -c" 3 1
  zip lbzip2 "lbzip2 -n 8 -c" "lbzip2 -d -n 8 -c" 3 1
else
  bad "generating test data"
fi
rm -f "$tmp/data"
finish
