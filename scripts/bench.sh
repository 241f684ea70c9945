#!/usr/bin/env bash
# scripts/bench.sh BENCH_BINARY... — run by `make bench` (build/bench/*).
#
# Model: speed and memory are only ever stated as weft vs NPTL from one run of
# this script. Each binary runs natively (NPTL) and then under weft
# (LD_PRELOAD=build/libweft.so, WEFT_STRICT=1 so a weft that fails to start
# stops instead of silently measuring native threads, WEFT_TEST_UNDER_WEFT=1 so
# the benchmark knows: no CPU pinning, no native thread cap), once per WEFT_PROCS
# value it needs (weft_procs below). Google Benchmark binaries write JSON;
# each is run BENCH_REPS times, alternating native and weft, and the table
# shows medians. million_threads prints JSON lines, also BENCH_REPS runs. A
# Python step then prints one table: benchmark, WEFT_PROCS, NPTL, weft,
# NPTL/weft (> 1: weft faster or smaller), the issue's goal, and whether it is
# met. Goals come from the benchmarks themselves (a "goal>=Rx" label: a
# minimum NPTL/weft ratio; "goal<=+Nns": weft at most N ns slower per
# operation), except million_threads', which are stated in the Python step.
#
# Bounds: every run is under `timeout` (BENCH_TIMEOUT, default 60 s; 15
# times that for million_threads), and a mode whose run fails is not repeated,
# so a hanging weft costs one timeout per binary and mode; native runs never
# exceed 10,000 threads (million_threads refuses more, malloc tops out at
# 10,000); million_threads caps its own memory (see its header).
#
# Environment: BENCH_REPS (3), BENCH_TIMEOUT (60), BENCH_MILLION_NS (the Ns
# of million_threads under weft: "1000 10000 100000 1000000"), BENCH_NATIVE_ONLY=1 (skip
# the weft half, e.g. before libweft.so exists; it is skipped anyway, with a
# notice, when the library is missing), BENCH_STRICT=1 (exit 1 when a goal is
# missed; by default only a failed run does that), WEFT_LIB (the library to
# preload; default build/libweft.so).
# Results: build/bench-results/ (raw JSON, logs, table.txt).
set -u

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
lib=${WEFT_LIB:-$root/build/libweft.so}
results="$root/build/bench-results"
reps=${BENCH_REPS:-3}
tmo=${BENCH_TIMEOUT:-60}        # per Google Benchmark run (each takes seconds)
million_tmo=$((tmo * 15))      # per million_threads run
million_ns=${BENCH_MILLION_NS:-1000 10000 100000 1000000}  # weft's Ns

(($# > 0)) || { echo "usage: $0 BENCH_BINARY..." >&2; exit 2; }

weft_skip=""
if [[ -n ${BENCH_NATIVE_ONLY:-} ]]; then
  weft_skip="BENCH_NATIVE_ONLY is set"
elif [[ ! -f $lib ]]; then
  weft_skip="$lib not found"
fi
[[ -z $weft_skip ]] || echo "bench: NOTE: weft half skipped ($weft_skip); NPTL numbers only"

rm -rf "$results"
mkdir -p "$results"
manifest="$results/manifest.tsv"
: >"$manifest"

# WEFT_PROCS values per benchmark (issue acceptance lists): the yield
# ping-pong and the raw-syscall hand-off compare one P with two threads pinned
# to one core; the others that depend on the number of Ps run at 1 and 2.
weft_procs() {
  case $1 in
    yield_pingpong | mutex_uncontended | io_syscall_handoff) echo 1 ;;
    create_join | condvar_pingpong | mutex_contended | oversleep) echo "1 2" ;;
    *) echo 2 ;;
  esac
}

# run TIMEOUT NAME MODE OUTFILE ENV... -- COMMAND...: one run, logged (its
# stdout and stderr), listed in the manifest with its exit status; prints
# " MODE Ns" and returns the exit status.
run() {
  local limit=$1 name=$2 mode=$3 outfile=$4
  shift 4
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  local log="${outfile%.*}.log"
  local t0=$SECONDS
  # In a subshell, so that bash's "Aborted" notice for a crashed run goes to
  # the log and not between the progress lines.
  (timeout "$limit" env "${envs[@]}" "$@"; exit $?) >"$log" 2>&1
  local rc=$?
  printf ' %s %ds' "$mode" $((SECONDS - t0))
  if ((rc != 0)); then
    printf ' (exit %d)\n' "$rc"
    tail -3 "$log" | sed 's/^/    /'
  fi
  printf '%s\t%s\t%s\t%s\n' "$name" "$mode" "$outfile" "$rc" >>"$manifest"
  return "$rc"
}

weft_env=(LD_PRELOAD="$lib" WEFT_STRICT=1 WEFT_TEST_UNDER_WEFT=1)
for bin in "$@"; do
  [[ -f $bin ]] || continue  # e.g. a directory matched by build/bench/*
  name=$(basename "$bin")
  if [[ ! -x $bin ]]; then
    echo "bench: $bin: not executable" >&2
    printf '%s\tnative\t-\t126\n' "$name" >>"$manifest"
    continue
  fi
  if [[ $name == million_threads ]]; then
    # BENCH_REPS passes over the Ns, each a fresh process (medians shown),
    # then one rounds run. Natively only up to 10^4 (pid_max); under weft the
    # whole scaling table.
    printf 'bench: %-18s' "$name"
    for ((i = 1; i <= reps; i++)); do
      run "$million_tmo" "$name" native "$results/$name.native.$i.log" -- "$bin" 1000 10000 || break
      [[ -z $weft_skip ]] || continue
      run "$million_tmo" "$name" weft2 "$results/$name.weft2.$i.log" "${weft_env[@]}" WEFT_PROCS=2 -- \
        "$bin" $million_ns || break
    done
    run "$million_tmo" "$name.rounds" native "$results/$name.rounds.native.log" -- "$bin" --rounds 10 10000
    if [[ -z $weft_skip ]]; then
      run "$million_tmo" "$name.rounds" weft2 "$results/$name.rounds.weft2.log" "${weft_env[@]}" WEFT_PROCS=2 -- \
        "$bin" --rounds 10 100000
    fi
    echo
    continue
  fi
  # Repetitions alternate native and weft runs, so a burst of load from
  # elsewhere on the shared machine hits both sides rather than one.
  modes=(native)
  [[ -n $weft_skip ]] || for p in $(weft_procs "$name"); do modes+=("weft$p"); done
  declare -A broken=()
  for ((r = 1; r <= reps; r++)); do
    printf 'bench: %-18s rep %d/%d:' "$name" "$r" "$reps"
    for mode in "${modes[@]}"; do
      [[ -z ${broken[$mode]:-} ]] || continue
      out="$results/$name.$mode.r$r.json"
      envs=()
      [[ $mode == native ]] || envs=("${weft_env[@]}" WEFT_PROCS="${mode#weft}")
      run "$tmo" "$name" "$mode" "$out" "${envs[@]}" -- \
        "$bin" --benchmark_format=console --benchmark_out_format=json --benchmark_out="$out" ||
        broken[$mode]=1
    done
    echo
  done
  unset broken
done

WEFT_SKIP="$weft_skip" BENCH_STRICT="${BENCH_STRICT:-}" BENCH_REPS="$reps" python3 - "$manifest" <<'EOF' | tee "$results/table.txt"
# Builds the NPTL-vs-weft table from the manifest written above.
import json, os, re, statistics, sys

rows = []          # (benchmark, procs, nptl, weft, ratio, goal, met)
failed_runs = []   # "name mode: why"
goals = [0, 0]     # met, stated-and-measured

def fmt_time(ns):
    if ns is None: return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale: return f"{ns/scale:.3g} {unit}"
    return f"{ns:.3g} ns"

def fmt_num(v, unit):
    return "-" if v is None else f"{v:.3g} {unit}"

def add(name, procs, nptl, weft, ratio, goal="", met=None):
    if met is not None:
        goals[1] += 1
        goals[0] += bool(met)
    rows.append((name, procs, nptl, weft,
                 "-" if ratio is None else f"{ratio:.3g}x", goal,
                 "" if met is None else ("yes" if met else "NO")))

runs = {}  # (name, mode) -> [(file, rc), ...] in run order
for line in open(sys.argv[1]):
    name, mode, path, rc = line.rstrip("\n").split("\t")
    runs.setdefault((name, mode), []).append((path, int(rc)))
    if int(rc) != 0:
        failed_runs.append(f"{name} {mode}: exit status {rc}" +
                           (" (timeout)" if rc in ("124", "137") else ""))

# ---- Google Benchmark results ------------------------------------------------
STD = {"name", "family_index", "per_family_instance_index", "run_name", "run_type",
       "repetitions", "repetition_index", "threads", "iterations", "real_time",
       "cpu_time", "time_unit", "aggregate_name", "aggregate_unit", "label",
       "error_occurred", "error_message"}
TO_NS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}

def short(run_name):
    parts = [p for p in run_name.split("/")
             if not re.match(r"(min_time:|iterations:|repeats:|real_time$|manual_time$)", p)]
    return "/".join(parts).removeprefix("BM_")

def metric_order(k):  # per-op figures first, then percentiles in order, then max
    m = re.match(r"p(\d+)_", k)
    return (1, int(m.group(1))) if m else ((2, 0) if k.startswith("max") else (0, 0))

def metrics_of(entry):
    """{metric: ns} for one result: counters ending in _ns/_us, else real_time."""
    keys = sorted((k for k in entry if k not in STD and k[-3:] in ("_ns", "_us")), key=metric_order)
    out = {k: entry[k] * (1e3 if k.endswith("_us") else 1) for k in keys}
    if not out:
        out["time"] = entry["real_time"] * TO_NS[entry["time_unit"]]
    return out

def load_gbench(name, mode):
    """{bench: {"values": {metric: [ns per repetition]}, "label": s, "error": s}}"""
    res = {}
    for path, rc in runs.get((name, mode), []):
        try:
            data = json.load(open(path))
        except (OSError, ValueError):
            if rc == 0:  # a failed run is already listed
                failed_runs.append(f"{name} {mode}: no JSON results in {os.path.basename(path)}")
            continue
        for e in data.get("benchmarks", []):
            b = res.setdefault(short(e["run_name"]), {"values": {}, "label": "", "error": None})
            b["label"] = e.get("label", b["label"])
            if e.get("error_occurred"):
                b["error"] = e.get("error_message", "error")
            elif e.get("run_type") == "iteration":
                for k, v in metrics_of(e).items():
                    b["values"].setdefault(k, []).append(v)
    return res

def cell(b, metric):
    """(text, median ns) of one side; the spread is shown when it is large."""
    if b is None: return "-", None
    if b["error"]: return "ERROR: " + b["error"], None
    vs = b["values"].get(metric)
    if not vs: return "-", None
    med = statistics.median(vs)
    cv = statistics.pstdev(vs) / statistics.mean(vs) if len(vs) > 1 and statistics.mean(vs) else 0
    return fmt_time(med) + (f" ±{cv*100:.0f}%" if cv > 0.10 else ""), med

gb_names = []
for (n, m) in runs:
    if not n.startswith("million_threads") and n not in gb_names: gb_names.append(n)
for name in gb_names:
    native = load_gbench(name, "native")
    wefts = {m: load_gbench(name, m) for (n, m) in runs if n == name and m.startswith("weft")}
    benches = list(native) + [b for w in wefts.values() for b in w if b not in native]
    for bench in benches:
        nb = native.get(bench)
        ref = nb or next(w[bench] for w in wefts.values() if bench in w)
        if nb and nb["error"]: failed_runs.append(f"{name} native {bench}: {nb['error']}")
        metrics = list(ref["values"]) or ["time"]
        g = re.search(r"goal>=([0-9.]+)x", ref["label"])
        # An absolute goal: weft at most N ns slower per operation than NPTL.
        ga = re.search(r"goal<=\+([0-9.]+)ns", ref["label"])
        for i, metric in enumerate(metrics):
            label = bench + ("" if metric == "time" else f" {metric}")
            ntext, nv = cell(nb, metric)
            goal = float(g.group(1)) if (g and i == 0) else None
            over = float(ga.group(1)) if (ga and i == 0) else None
            gtext = f">= {goal:g}x" if goal else (f"<= +{over:g} ns" if over is not None else "")
            if not wefts:
                add(label, "", ntext, "skipped", None, gtext)
            for m in sorted(wefts):
                wb = wefts[m].get(bench)
                if wb and wb["error"] and i == 0:
                    failed_runs.append(f"{name} {m} {bench}: {wb['error']}")
                wtext, wv = cell(wb, metric)
                ratio = nv / wv if (nv and wv) else None
                met = None if goal is None else (ratio is not None and ratio >= goal)
                if over is not None:
                    met = nv is not None and wv is not None and wv - nv <= over
                add(label, m.removeprefix("weft"), ntext, wtext, ratio, gtext, met)

# ---- million_threads -------------------------------------------------------
def load_lines(name, mode):
    """The JSON lines of every run of (name, mode), in order; None if none ran."""
    if (name, mode) not in runs: return None
    out = []
    for path, rc in runs[(name, mode)]:
        lines = []
        try:
            for line in open(path):
                line = line.strip()
                if line.startswith("{"):
                    try: lines.append(json.loads(line))
                    except ValueError: pass
        except OSError:
            pass
        if not lines and rc == 0:
            failed_runs.append(f"{name} {mode}: no JSON lines in {os.path.basename(path)}")
        out += lines
    return out

rounds_table = []
notes = []
def mem_after_join(d): return d["rss_kb_after_join"] + d["pte_kb_after_join"]
def by_n_median(lines):
    """{n: line} with each numeric field the median over the runs."""
    groups = {}
    for d in lines:
        if d.get("mode") == "alive": groups.setdefault(d["n"], []).append(d)
    out = {}
    for n, ds in groups.items():
        done = [d for d in ds if "skipped" not in d]
        if not done:
            out[n] = ds[0]
            continue
        m = dict(done[0])
        for k, v in done[0].items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "n":
                m[k] = statistics.median(d[k] for d in done if isinstance(d.get(k), (int, float)))
        m["created"] = min(d["created"] for d in done)
        m["create_s"] = m["create_us"] / 1e6
        out[n] = m
    return out

if any(n.startswith("million_threads") for (n, m) in runs):
    nl = load_lines("million_threads", "native") or []
    wl = load_lines("million_threads", "weft2")
    nat, wef = by_n_median(nl), by_n_median(wl or [])
    for d in nl + (wl or []):
        if d.get("stopped"):
            failed_runs.append(f"million_threads n={d['n']} ({'weft' if d.get('weft') else 'native'}):"
                               f" stopped after {d['created']} threads: {d['stopped']}")
    procs = "2" if wl is not None else ""
    ns = sorted(set(nat) | set(wef))
    fields = (("create_us_per_thread", "create us/thread", "us"),
              ("ready_us_per_thread", "create+start us/thread", "us"),
              ("kb_per_thread", "RSS+PTE KB/thread", "KB"),
              ("faults_per_thread", "page faults/thread", ""),
              ("touch_us_per_thread", "same pages, plain loop, no threads: us/thread", "us"),
              ("sys_kb_per_thread", "MemAvailable drop KB/thread (noisy)", "KB"),
              ("create_s", "time to create all", "s"),
              ("tasks_alive", "kernel tasks with all alive", ""))
    def val(d, key):
        return None if (d is None or "skipped" in d) else d.get(key)
    def fmt_field(v, key, unit):
        if unit: return fmt_num(v, unit)
        return "-" if v is None else f"{v:.0f}" if key == "tasks_alive" else f"{v:.2f}"
    for n in ns:
        for key, what, unit in fields:
            nv, wv = val(nat.get(n), key), val(wef.get(n), key)
            def text(side, v):
                if "skipped" in side.get(n, {}): return f"not run ({side[n]['skipped']})"
                if n not in side and n > 10000: return "not run (pid_max)"
                return fmt_field(v, key, unit)
            ntext = text(nat, nv)
            wtext = text(wef, wv) if wl is not None else "skipped"
            goal, met = "", None
            if key == "kb_per_thread" and n == 1000000:
                goal, met = "<= 20 KB (aim 16)", (wv is not None and wv <= 20
                                                   and wef[n].get("created") == n)
            add(f"million n={n:.0e} {what}".replace("e+0", "e"), procs, ntext, wtext,
                nv / wv if (nv and wv and key not in ("faults_per_thread", "create_s")) else None,
                goal, met)
    if wl is not None:
        # Scaling: each N's per-thread figure within ±20% of the median of all
        # Ns. The plain-loop row has no goal: it is the machine's own cost of
        # those pages, the yardstick for the create row.
        for key, what, unit in fields[:5]:
            vals = [wef[n][key] for n in sorted(wef) if "skipped" not in wef[n] and wef[n].get(key)]
            if len(vals) < 2:
                add(f"million scaling {what}", procs, "", "-", None, "each N within ±20%", False)
                continue
            med = statistics.median(vals)
            ok = all(abs(v - med) <= 0.2 * med for v in vals)
            nvals = [nat[n][key] for n in sorted(nat) if "skipped" not in nat[n] and nat[n].get(key)]
            machine = key == "touch_us_per_thread"
            add(f"million scaling {what} (min..max over N)", procs,
                " .. ".join(fmt_field(f(nvals), key, unit) for f in (min, max)) if nvals else "-",
                " .. ".join(fmt_field(f(vals), key, unit) for f in (min, max)),
                None, "" if machine else "each N within ±20%", None if machine else ok)
        # Where creation time grows with N, say by how much the kernel's own
        # cost of the same pages grew: the reader can tell weft from the machine.
        done = [n for n in sorted(wef) if "skipped" not in wef[n]]
        def growth(key):
            vals = [wef[n].get(key) or 0 for n in done]
            med = statistics.median(vals) if vals else 0
            return (vals[-1] / med) if med else None
        gc, gt = growth("create_us_per_thread"), growth("touch_us_per_thread")
        if done and gc and gt and gc > 1.2:
            notes.append(f"million: at n={done[-1]:.0e} create us/thread is {gc:.2f}x its median over N;"
                         f" the same pages first-touched by a plain loop cost {gt:.2f}x theirs"
                         " (the machine's page cost; see tests/bench/million_threads.cpp)")
    rn = load_lines("million_threads.rounds", "native") or []
    rw = load_lines("million_threads.rounds", "weft2")
    for d in rn + (rw or []):
        if d.get("stopped"):
            failed_runs.append(f"million_threads rounds ({'weft' if d.get('weft') else 'native'}) round"
                               f" {d.get('round')}: stopped after {d['created']} threads: {d['stopped']}")
    for r in range(1, max(len(rn), len(rw or [])) + 1):
        a = next((d for d in rn if d.get("round") == r), None)
        b = next((d for d in rw or [] if d.get("round") == r), None)
        rounds_table.append((r, a and mem_after_join(a), b and mem_after_join(b)))
    def flat(ds):
        rss = [mem_after_join(d) for d in ds if d.get("round", 0) >= 2]
        if len(rss) < 2: return None
        return max(rss) - rss[0] <= max(2048, 0.02 * rss[0])
    if rw is not None:
        nflat, wflat = flat(rn), flat(rw)
        add("million rounds: RSS+PTE after join flat (rounds 2..10)", procs,
            "-" if nflat is None else ("flat" if nflat else "grows"),
            "-" if wflat is None else ("flat" if wflat else "grows"),
            None, "flat (+<=max(2 MB, 2%))", bool(wflat))

# ---- print ------------------------------------------------------------------
head = ("benchmark", "P", "NPTL", "weft", "NPTL/weft", "goal", "met")
widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
def line(r): return "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
print()
print("weft vs NPTL, same run; P = WEFT_PROCS of the weft run; medians of", os.environ.get("BENCH_REPS", "3"),
      "alternating runs (±spread shown when its cv is above 10%);\n"
      "times are per operation, memory per live thread; NPTL/weft > 1 means weft is faster or smaller")
print(line(head))
print(line(["-" * w for w in widths]))
for r in rows: print(line(r))
if rounds_table:
    print()
    print("million_threads rounds (native: 10 x 10^4 threads, weft: 10 x 10^5): VmRSS + VmPTE after each round's joins")
    print("round  NPTL KB   weft KB")
    for r, a, b in rounds_table:
        print(f"{r:>5}  {a if a is not None else '-':>8}  {b if b is not None else '-':>8}")
print()
skip = os.environ.get("WEFT_SKIP")
if skip: print(f"NOTE: weft half skipped ({skip}): no ratios, goals not evaluated")
for n in notes: print("NOTE:", n.replace("e+0", "e"))
print(f"goals met: {goals[0]} of {goals[1]}")
for f in failed_runs: print("FAILED:", f)
sys.exit(1 if failed_runs or (os.environ.get("BENCH_STRICT") and goals[0] < goals[1]) else 0)
EOF
status=${PIPESTATUS[0]}
exit "$status"
