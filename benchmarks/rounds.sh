#!/usr/bin/env bash
# The issue's ratios — fullPath against the floor, the typed-diff baseline against fullPath, and
# fullPath's allocation against the request — taken in ROUNDS short JMH runs instead of one long
# one, and reported per round with their median.
#
# Why: on a shared host the machine's speed drifts by a factor of two or more over minutes. One
# long run measures the floor, fullPath and the baseline minutes apart, so their ratio carries that
# drift; here the three benchmarks of a fixture run back to back (about 45 s), each round is one
# ratio, and the median of the rounds is what a drift of the host cannot move much.
#
#   benchmarks/rounds.sh                       (ROUNDS=5, FIXTURES="small typical large", ~12 min)
#   FIXTURES_DIR=/my/reviews FIXTURES="a.json b.json" benchmarks/rounds.sh
#
# Needs the benchmarks jar (built if missing). Writes each round's JMH JSON and a table to
# benchmarks/target/rounds/ (OUT to change it).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/.mvn/select-jdk.sh"
rounds=${ROUNDS:-5}
fixtures=${FIXTURES:-small typical large}
out=${OUT:-$here/benchmarks/target/rounds}
jar="$here/benchmarks/target/benchmarks.jar"
[ -f "$jar" ] || "$here/mvnw" -q -f "$here/pom.xml" -pl benchmarks -am -DskipTests package >&2
mkdir -p "$out"
rm -f "$out"/round-*.json

fixture_args=()
[ -z "${FIXTURES_DIR:-}" ] || fixture_args=("-Dfixtures=$FIXTURES_DIR")

for round in $(seq 1 "$rounds"); do
  for fixture in $fixtures; do
    echo "round $round/$rounds, $fixture" >&2
    "$JAVA_HOME/bin/java" "${fixture_args[@]}" -jar "$jar" 'AdmissionBenchmarks\.(floor|fullPath|typedDiffBaseline)$' \
      -p fixture="$fixture" -f 1 -wi 8 -w 1s -i 5 -r 1s -prof gc \
      -rf json -rff "$out/round-$round-$fixture.json" > "$out/round-$round-$fixture.txt" 2>&1
  done
done

# The request's size: a file of FIXTURES_DIR, or the bundled fixture of that name.
python3 - "$out" "$rounds" "${FIXTURES_DIR:-$here/benchmarks/src/main/resources/fixtures}" "${FIXTURES_DIR:+own}" \
  $fixtures <<'PY' | tee "$out/ratios.md"
import json, os, statistics, sys

out, rounds, fixtures_dir, own, fixtures = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]

def request_bytes(fixture):
    return os.path.getsize(os.path.join(fixtures_dir, fixture if own else fixture + '.json'))

def measured(round_, fixture):
    scores, alloc = {}, None
    with open(os.path.join(out, f'round-{round_}-{fixture}.json')) as f:
        for result in json.load(f):
            name = result['benchmark'].rsplit('.', 1)[1]
            scores[name] = result['primaryMetric']['score']
            if name == 'fullPath':
                alloc = result['secondaryMetrics']['gc.alloc.rate.norm']['score']
    return scores, alloc

print('| fixture | request (B) | round | floor µs | fullPath µs | baseline µs | full / floor | baseline / full | allocation / request |')
print('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
summary = []
for fixture in fixtures:
    size = request_bytes(fixture)
    to_floor, speedup, allocs = [], [], []
    for r in range(1, rounds + 1):
        s, alloc = measured(r, fixture)
        to_floor.append(s['fullPath'] / s['floor'])
        speedup.append(s['typedDiffBaseline'] / s['fullPath'])
        allocs.append(alloc / size)
        print(f"| {fixture} | {size:,} | {r} | {s['floor']:.2f} | {s['fullPath']:.2f} | {s['typedDiffBaseline']:.1f} "
              f"| {to_floor[-1]:.2f} | {speedup[-1]:.1f}× | {allocs[-1]:.2f}× |")
    summary.append((fixture, to_floor, speedup, allocs))
print()
print('| fixture | full / floor, median (range) | baseline / full, median (range) | allocation / request |')
print('|---|---|---|---|')
for fixture, to_floor, speedup, allocs in summary:
    print(f"| {fixture} | {statistics.median(to_floor):.2f} ({min(to_floor):.2f}–{max(to_floor):.2f}) "
          f"| {statistics.median(speedup):.1f}× ({min(speedup):.1f}–{max(speedup):.1f}) "
          f"| {statistics.median(allocs):.2f}× |")
PY
