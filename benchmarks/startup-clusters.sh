#!/usr/bin/env bash
# Start-up cost of configuring many clusters: starts the packaged function N times with 1 and with
# 100 clusters configured, measures process start -> first 200 on POST /mutate, and prints the
# medians. Clusters are built on their first request, so the two must be within 10 %.
#
#   benchmarks/startup-clusters.sh [runs]        (default 5 runs of each)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
. "$here/benchmarks/lib.sh"
jar=$(function_jar)
java="$JAVA_HOME/bin/java"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=18190

configure() { # configure DIR COUNT: a config/application.properties with COUNT clusters
  mkdir -p "$1/config"
  echo "secret" > "$1/token"
  : > "$1/config/application.properties"
  for i in $(seq 1 "$2"); do
    printf 'pod-identity.clusters.c%d.api-server-url=https://127.0.0.%d:6443\n' "$i" "$((i % 250 + 1))"
    printf 'pod-identity.clusters.c%d.caller-token-file=%s/token\n' "$i" "$1"
    printf 'pod-identity.clusters.c%d.aws-default-region=eu-west-%d\n' "$i" "$((i % 3 + 1))"
  done >> "$1/config/application.properties"
}

first_answer_ms() { # first_answer_ms DIR: one start, prints milliseconds to the first answer
  local dir=$1 start pid code
  start=$(date +%s%N)
  (cd "$dir" && exec "$java" -Dquarkus.http.port=$port -Dquarkus.http.host=127.0.0.1 \
      -Dpod-identity.service-accounts-file="$here/examples/service-accounts.yaml" \
      -jar "$jar" > "$dir/run.log" 2>&1) &
  pid=$!
  code=$(poll_mutate "$port" 600 0.02)
  echo $(( ($(date +%s%N) - start) / 1000000 ))
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [ "$code" = 200 ] || { echo "no answer; see $dir/run.log" >&2; exit 1; }
}

for count in 1 100; do
  configure "$work/c$count" "$count"
done
results=()
for count in 1 100; do
  times=()
  for _ in $(seq 1 "$runs"); do
    times+=("$(first_answer_ms "$work/c$count")")
  done
  m=$(printf '%s\n' "${times[@]}" | median)
  results+=("$m")
  echo "clusters=$count runs=$runs first-answer-ms: ${times[*]} median=$m"
done
ratio=$(awk -v a="${results[0]}" -v b="${results[1]}" 'BEGIN {printf "%.3f", b / a}')
echo "100 clusters / 1 cluster = $ratio (goal <= 1.10)"
awk -v r="$ratio" 'BEGIN {exit !(r <= 1.10)}'
