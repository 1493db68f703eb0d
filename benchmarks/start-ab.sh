#!/usr/bin/env bash
# Cold start before and after a change, interleaved: two builds of the image's JVM (each its own
# jlinked JRE, AOT cache, knative/image.conf flags and MALLOC_ARENA_MAX, and the single-cluster
# overlay's memory limit as -XX:MaxRAM) started in turn, until the first answer to POST /mutate
# that carries a patch. The function serves HTTPS with an ECDSA P-256 certificate, as in
# benchmarks/compare.sh, and reads the ServiceAccount over TLS from a stand-in API server
# (knative/TrainApiServer.java), through fabric8's own configuration as in a pod. Starts alternate
# before, after, before, ... so that the machine's state moves both alike; one start before the
# first round is not counted (it warms the stand-in, whose own first answers are slow).
#
#   git worktree add /tmp/before <commit>
#   (cd /tmp/before && ./mvnw -B -q -pl function -am package -DskipTests && knative/build-image.sh)
#   ./mvnw -B -q -pl function -am package -DskipTests && knative/build-image.sh
#   BEFORE=/tmp/before benchmarks/start-ab.sh
#
# A flag alone is compared on one build: BEFORE unset (this checkout on both sides) and
# EXTRA_AFTER="-XX:..." (or EXTRA_BEFORE).
#
# Prints, and writes to OUT/start-ab.md: per CPU set and side, the median time to the first patched
# answer, every start, the median CPU time used by then and the RSS (anonymous part in brackets)
# right after it; OUT/starts.tsv holds the raw rows.
#
# Environment: BEFORE, AFTER (checkouts whose knative/target/image/root and knative/image.conf make
# each side; default this one), EXTRA_BEFORE, EXTRA_AFTER (JVM flags added after that side's),
# SERVE (https; http polls the plain HTTP port instead, as the Knative ingress calls the function,
# so the start makes no server handshake),
# OVERLAY (unset: the single-cluster overlay's flags and memory, serving HTTPS as well; knative: as
# the Knative overlays run, plain HTTP only, polled there; deployment: as the Deployment overlay
# runs, its memory limit, HTTPS; launch_image in benchmarks/lib.sh),
# CPUS ("0 0,1": taskset CPU lists, measured one after the other), ROUNDS (3), RUNS (2 starts per
# side and round), OUT (benchmarks/target/start-ab). Needs openssl, curl, python3, taskset and the
# JDK on the PATH for the stand-in; Linux.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/benchmarks/lib.sh"
rounds=${ROUNDS:-3}
runs=${RUNS:-2}
out=${OUT:-$here/benchmarks/target/start-ab}
image_bench_setup start-ab 18271
serve=${SERVE:-https}
[ "${OVERLAY:-}" = knative ] && serve=http

# start SIDE_DIR CPUS EXTRA: one cold start; prints "<ms to the first patched answer> <CPU ms> <RSS
# MiB> <RssAnon MiB>".
start() {
  local side=$1 cpus=$2 extra=$3 begin end used
  begin=$(date +%s%N)
  launch_image "$side" "$cpus" "$extra" "$work/function.log"
  await_patch "$work/function.log" "$serve"
  end=$(date +%s%N)
  used=$(cpu_ms "$pid")
  sleep 0.5 # what the first answer left behind settles
  echo "$(((end - begin) / 1000000)) $used $(rss_mib "$pid")"
  kill "$pid"; wait "$pid" 2> /dev/null || true
  pid=
}

start "$after" 0,1 "${EXTRA_AFTER:-}" > /dev/null
for cpus in ${CPUS:-0 0,1}; do
  for round in $(seq 1 "$rounds"); do
    for side in before after; do
      dir=$before extra=${EXTRA_BEFORE:-}
      [ "$side" = after ] && dir=$after extra=${EXTRA_AFTER:-}
      for _ in $(seq 1 "$runs"); do
        start "$dir" "$cpus" "$extra" > "$work/start.out"
        row="$cpus $side $(cat "$work/start.out") $(loadavg)"
        echo "$row" >> "$out/starts.tsv"
        echo "start-ab: CPUs $cpus, round $round, $side: $row" >&2
      done
    done
  done
done

python3 - "$out/starts.tsv" "$before ${EXTRA_BEFORE:-}" "$after ${EXTRA_AFTER:-}" "$serve${OVERLAY:+ (overlay $OVERLAY)}" << 'EOF' | tee "$out/start-ab.md"
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    cpus, side, wall, cpu, rss, anon, load = line.split()
    rows[cpus, side].append((int(wall), int(cpu), int(rss), int(anon), float(load)))
print(f"before: `{sys.argv[2].strip()}`; after: `{sys.argv[3].strip()}`; first patched answer over {sys.argv[4].upper()}\n")
print("| CPUs | side | first patched answer, median (ms) | each start (ms) | CPU used, median (ms) | RSS (anonymous), MiB | load average |")
print("|---|---|---:|---|---:|---|---|")
for (cpus, side), starts in rows.items():
    walls = [s[0] for s in starts]
    rss = sorted({f"{s[2]} ({s[3]})" for s in starts})
    loads = [s[4] for s in starts]
    print(f"| {cpus} | {side} | {statistics.median(walls):,.0f} | {' '.join(map(str, walls))} | "
          f"{statistics.median(s[1] for s in starts):,.0f} | {', '.join(rss)} | {min(loads)}–{max(loads)} |")
EOF
