#!/usr/bin/env bash
# scripts/demo.sh [NATIVE_THREADS [WEFT_THREADS]] — run by `make demo`.
#
# Runs build/demo (scripts/demo.c) twice: natively with 10,000 threads alive
# at once, and under weft (through scripts/weft, WEFT_PROCS as set or its
# default) with 100,000, then prints the two side by side with weft/native
# ratios of the per-thread figures.
#
# Invariants: the native run never exceeds 10,000 threads and is skipped when
# the machine lacks that many free pids, so the demo cannot exhaust the pid
# space; the weft run sets WEFT_STRICT=1 so that weft failing to start stops
# it instead of running 100,000 native threads, and demo.c itself stops if
# its kernel task count ever passes DEMO_MAX_TASKS (12,000).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
demo="$root/build/demo"
native_n=${1:-10000}
weft_n=${2:-100000}
native_cap=10000
tmo=${DEMO_TIMEOUT:-600}

die() { echo "demo: $*" >&2; exit 1; }
is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

if ! is_count "$native_n" || ! is_count "$weft_n"; then
  die "usage: $0 [native-threads [weft-threads]]  (positive integers)"
fi
((native_n <= native_cap)) ||
  die "at most $native_cap native threads (pid_max here is $(cat /proc/sys/kernel/pid_max))"
[[ -x $demo ]] || die "$demo not built; run 'make demo'"

# Kernel tasks in use system-wide: the 4th field of /proc/loadavg is
# running/total scheduling entities.
pid_room() {
  local pid_max threads_max used limit
  pid_max=$(cat /proc/sys/kernel/pid_max)
  threads_max=$(cat /proc/sys/kernel/threads-max)
  used=$(awk '{ split($4, a, "/"); print a[2] }' /proc/loadavg)
  limit=$((pid_max < threads_max ? pid_max : threads_max))
  echo $((limit - used))
}

# run LABEL N [launcher...]: runs the demo and leaves its "key: value" lines
# in $tmp/LABEL ("threads: failed" if it failed). Its stderr (weft: lines)
# passes through.
run() {
  local label=$1 n=$2; shift 2
  local file="$tmp/$label"
  echo "running $label: $n threads..." >&2
  if ! timeout "$tmo" "$@" "$demo" "$n" >"$file"; then
    echo "demo: the $label run failed (see above)" >&2
    echo "threads: failed" >"$file"
  fi
}

field() { awk -v k="$2:" '$1 == k { print $2 }' "$tmp/$1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

room=$(pid_room)
if ((room < native_n + 2000)); then
  echo "demo: only $room free pids; skipping the native run" >&2
  echo "threads: skipped" >"$tmp/native"
else
  run native "$native_n"
fi
WEFT_STRICT=1 run weft "$weft_n" "$root/scripts/weft" --

procs=${WEFT_PROCS:-"default ($(getconf _NPROCESSORS_ONLN) online CPUs)"}
echo
echo "Threads alive at once, each created with default attributes, then joined."
echo "WEFT_PROCS: $procs"
echo
printf '%-22s %14s %14s %12s\n' "" "native (NPTL)" "weft" "weft/native"
row() {  # row TITLE KEY UNIT RATIO?
  local a b r=""
  a=$(field native "$2"); b=$(field weft "$2")
  if [[ $4 == ratio && -n $a && -n $b ]]; then  # both runs succeeded
    r=$(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%.2f", b / a }')
  fi
  local u=${3:+ $3}
  printf '%-22s %14s %14s %12s\n' "$1" "${a:+$a$u}" "${b:+$b$u}" "$r"
}
row "threads" threads "" no
row "kernel tasks" kernel_tasks "" no
row "total time" total_s s no
row "time per thread" us_per_thread us ratio
row "memory per thread" kib_per_thread KiB ratio
echo
echo "memory = VmRSS + VmPTE while all threads are alive, minus the same before;"
echo "the kernel's per-task memory of native threads is not included."
[[ -n $(field native total_s) && -n $(field weft total_s) ]]
