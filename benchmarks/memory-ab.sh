#!/usr/bin/env bash
# Memory before and after a change, interleaved: two builds of the image's JVM (as start-ab.sh runs
# them: each its own JRE, AOT cache, knative/image.conf flags and MALLOC_ARENA_MAX, the
# single-cluster overlay's memory limit as -XX:MaxRAM) started in turn on 2 CPUs, each sent
# LOAD_RATE admissions a second for LOAD_SECONDS over HTTPS (vegeta, HTTP/2, the JMH fixture
# benchmarks/src/main/resources/fixtures/typical.json, its ServiceAccount read over TLS from the
# stand-in API server, then cached). RSS right after the first patched answer and after the
# admissions, and what the garbage collector did meanwhile (-Xlog:gc to a file of its own).
#
#   BEFORE=/tmp/before benchmarks/memory-ab.sh                # two builds (see start-ab.sh)
#   EXTRA_AFTER="-Xmn8m" benchmarks/memory-ab.sh              # one flag on this build
#
# Prints, and writes to OUT/memory-ab.md: per side, the median RSS after start and after the
# admissions (anonymous part in brackets), every run's, the answers that were not 200, the young
# collections and the heap the JVM held at the end; OUT/runs.tsv holds the raw rows.
#
# Environment: BEFORE, AFTER, EXTRA_BEFORE, EXTRA_AFTER (as start-ab.sh), ROUNDS (2; one run per
# side and round), LOAD_RATE (1000) and LOAD_SECONDS (100), as compare.sh's memory phase, OUT
# (benchmarks/target/memory-ab). Needs Go (vegeta, from the module proxy, once), openssl, curl,
# python3, taskset and the JDK on the PATH; Linux.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/benchmarks/lib.sh"
rounds=${ROUNDS:-2}
rate=${LOAD_RATE:-1000}
seconds=${LOAD_SECONDS:-100}
out=${OUT:-$here/benchmarks/target/memory-ab}
review=$here/benchmarks/src/main/resources/fixtures/typical.json
image_bench_setup memory-ab 18281
vegeta=$(vegeta_bin)
printf 'POST https://127.0.0.1:%s/mutate\nContent-Type: application/json\n@%s\n\n' "$tls_port" "$review" > "$work/targets"

# not_ok REPORT: how many answers in vegeta's JSON report were not 200.
not_ok() {
  python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(r["requests"] - r["status_codes"].get("200", 0))' "$1"
}

# collections GC_LOG: "<young collections> <heap MiB after the last collection>" from -Xlog:gc.
collections() {
  echo "$(grep -c 'Pause Young' "$1") $(grep 'Pause' "$1" | tail -1 | sed -n 's/.*(\([0-9]*\)M).*/\1/p')"
}

# run SIDE_DIR EXTRA: one start and its admissions; prints "<RSS> <anonymous> <RSS after> <anonymous
# after> <answers not 200> <young collections> <heap MiB at the end>".
run() {
  local side=$1 extra=$2 started
  launch_image "$side" 0,1 "$extra -Xlog:gc:file=$work/gc.log" "$work/function.log"
  await_patch "$work/function.log"
  sleep 0.5 # what the first answer left behind settles
  started=$(rss_mib "$pid")
  "$vegeta" attack -targets="$work/targets" -root-certs="$work/serving.crt" -rate="$rate" -duration="${seconds}s" \
    -timeout=10s | "$vegeta" report -type=json > "$work/report.json"
  sleep 1
  echo "$started $(rss_mib "$pid") $(not_ok "$work/report.json") $(collections "$work/gc.log")"
  kill "$pid"; wait "$pid" 2> /dev/null || true
  pid=
}

for round in $(seq 1 "$rounds"); do
  for side in before after; do
    dir=$before extra=${EXTRA_BEFORE:-}
    [ "$side" = after ] && dir=$after extra=${EXTRA_AFTER:-}
    row="$side $(run "$dir" "$extra") $(loadavg)"
    echo "$row" >> "$out/runs.tsv"
    echo "memory-ab: round $round, $side: $row" >&2
  done
done

python3 - "$out/runs.tsv" "$before ${EXTRA_BEFORE:-}" "$after ${EXTRA_AFTER:-}" "$rate" "$seconds" << 'EOF' | tee "$out/memory-ab.md"
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    side, rss, anon, rss2, anon2, failed, young, heap, load = line.split()
    rows[side].append((int(rss), int(anon), int(rss2), int(anon2), int(failed), int(young), int(heap), float(load)))
print(f"before: `{sys.argv[2].strip()}`; after: `{sys.argv[3].strip()}`; {int(sys.argv[4]) * int(sys.argv[5]):,} "
      f"admissions at {sys.argv[4]}/s per run, 2 CPUs\n")
print("| side | RSS after start, median (MiB) | RSS after the admissions, median (MiB) | each run: after start → after (anonymous) | not 200 | young collections | heap at the end (MiB) | load average |")
print("|---|---:|---:|---|---|---|---|---|")
for side, runs in rows.items():
    each = ", ".join(f"{r[0]} ({r[1]}) → {r[2]} ({r[3]})" for r in runs)
    print(f"| {side} | {statistics.median(r[0] for r in runs):.0f} | {statistics.median(r[2] for r in runs):.0f} | {each} | "
          f"{' '.join(str(r[4]) for r in runs)} | {' '.join(str(r[5]) for r in runs)} | {' '.join(str(r[6]) for r in runs)} | "
          f"{min(r[7] for r in runs)}–{max(r[7] for r in runs)} |")
EOF
