#!/usr/bin/env bash
# Load on loopback: throughput at saturation, then p50/p99/p99.9 at fixed rates, for any webhook
# and any directory of AdmissionReview files, so the webhook you run today can be measured on the
# same traffic as this one. Writes OUT/load-results.md and OUT/load-latency.svg (the chart).
#
#   benchmarks/load.sh                                  # starts the packaged function on examples/
#   benchmarks/load.sh https://127.0.0.1:8443/mutate my-reviews/   # any webhook, your reviews
#
# Each phase's row also gives the webhook's CPU time per admission (user + system, from /proc): what
# an admission costs whatever the latency it was served with. It is known for the function load.sh
# starts, and for any other webhook whose process id is WEBHOOK_PID.
#
# Environment: RATES (default "500 1000 2000"), SECONDS_PER_RATE (30), SATURATION_SECONDS (20),
# WARM_UP_SECONDS (10), OUT (benchmarks/target/load), WEBHOOK_PID,
# JVM_FLAGS (default: knative/image.conf's, which the image runs with), DECISION_LOG (on, as shipped:
# the function writes its decision line for every admission to OUT/function.log; off leaves them out).
# Needs Go (vegeta, from the Go module proxy, into ~/.cache/pod-identity-soak) and python3.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
url=${1:-}
reviews=${2:-$here/examples}
rates=${RATES:-500 1000 2000}
seconds=${SECONDS_PER_RATE:-30}
saturation_seconds=${SATURATION_SECONDS:-20}
warm_up_seconds=${WARM_UP_SECONDS:-10}
out=${OUT:-$here/benchmarks/target/load}
mkdir -p "$out"
. "$here/benchmarks/lib.sh"
vegeta=$(vegeta_bin)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT

if [ -z "$url" ]; then
  jar=$(function_jar)
  port=18211
  image_jvm # the JVM flags, memory limit and environment the image runs with
  jvm_flags=${JVM_FLAGS:-$jvm_flags} # to compare other flags on the same traffic
  # One JSON line per admission, as shipped, into function.log; DECISION_LOG=off leaves them out.
  decision_level=INFO
  [ "${DECISION_LOG:-on}" = off ] && decision_level=WARN
  # shellcheck disable=SC2086  # lists of flags and variables
  env $image_env "$JAVA_HOME/bin/java" $jvm_flags $max_ram -Dquarkus.http.port=$port -Dquarkus.http.host=127.0.0.1 \
    -Dpod-identity.service-accounts-file="$here/examples/service-accounts.yaml" \
    -Dpod-identity.container-credentials.config-file="$here/examples/pod-identity-associations.json" \
    -Dquarkus.log.category.\"dev.podidentity.decision\".level=$decision_level \
    -jar "$jar" > "$out/function.log" 2>&1 &
  pid=$!
  WEBHOOK_PID=$pid
  url="http://127.0.0.1:$port/mutate"
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/q/health/ready" > /dev/null && break; sleep 0.1; done
fi

: > "$out/targets"
count=0
for f in "$reviews"/*.json; do
  grep -q '"request"' "$f" || continue
  printf 'POST %s\nContent-Type: application/json\n@%s\n\n' "$url" "$f" >> "$out/targets"
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "no AdmissionReview files in $reviews" >&2; exit 2; }

attack() { "$vegeta" attack -insecure -targets="$out/targets" -timeout=10s "$@"; }
# The webhook's CPU time so far in clock ticks (utime + stime), or nothing when its process is unknown.
cpu_ticks() { [ -n "${WEBHOOK_PID:-}" ] && awk '{print $14 + $15}' "/proc/$WEBHOOK_PID/stat" 2> /dev/null || true; }
# measure NAME FILE ATTACK_ARGS...: one phase into FILE, then its row: percentiles, the load
# average, and the webhook's CPU microseconds per admission ("-" when unknown).
measure() {
  local name=$1 file=$2 before after
  shift 2
  before=$(cpu_ticks)
  attack "$@" > "$file.bin"
  after=$(cpu_ticks)
  "$vegeta" encode --to csv "$file.bin" > "$file.csv"
  echo "$(python3 "$out/percentiles.py" "$file.csv" "$name" "$before" "$after" "$(getconf CLK_TCK)") $(loadavg)" >> "$out/rows"
  rm "$file.csv" # the .bin holds the same results at three quarters of the size: vegeta encodes it again
}
attack -rate=500 -duration="${warm_up_seconds}s" > /dev/null # warm-up

cat > "$out/percentiles.py" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
lat = sorted(int(r[2]) for r in rows)
bad = sum(1 for r in rows if r[1] != "200")
span = (int(rows[-1][0]) - int(rows[0][0])) / 1e9 or 1
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] / 1e6
before, after, ticks = sys.argv[3:6]
cpu = "%.0f" % ((int(after) - int(before)) * 1e6 / int(ticks) / len(rows)) if before and after else "-"
print("%s %d %d %.0f %.3f %.3f %.3f %s" % (sys.argv[2], len(rows), bad, len(rows) / span, pct(0.50), pct(0.99),
                                          pct(0.999), cpu))
PY

# Saturation: as many requests as 8 x CPUs workers can push for SATURATION_SECONDS.
# Each row ends with the 1-minute load average right after its phase: the machine's state beside
# every figure.
: > "$out/rows"
measure saturation "$out/saturation" -rate=0 -max-workers=$(( $(nproc) * 8 )) -duration="${saturation_seconds}s"
for rate in $rates; do
  measure "$rate" "$out/rate-$rate" -rate="$rate" -duration="${seconds}s"
done

python3 - "$out" "$url" "$count" <<'PY'
import sys
out, url, count = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [l.split() for l in open(out + "/rows")]
lines = ["load on %s, %s review files" % (url, count), "",
         "| rate (req/s) | requests | not 200 | achieved req/s | p50 ms | p99 ms | p99.9 ms "
         "| webhook CPU µs per admission | load avg (1 min) |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
for name, n, bad, rps, p50, p99, p999, cpu, load in rows:
    lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (name, n, bad, rps, p50, p99, p999, cpu, load))
open(out + "/load-results.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
fixed = [r for r in rows if r[0] != "saturation"]
w, h, pad = 520, 300, 50
top = max(float(r[6]) for r in fixed) * 1.1 or 1
bar = (w - 2 * pad) / max(1, len(fixed))
svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">' % (w, h),
       '<text x="%d" y="18" font-size="13">Admission latency by request rate (ms)</text>' % pad,
       '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (pad, h - pad, w - pad, h - pad)]
colours = [("p50", 4, "#4c78a8"), ("p99", 5, "#f58518"), ("p99.9", 6, "#e45756")]
for i, r in enumerate(fixed):
    for j, (label, col, colour) in enumerate(colours):
        v = float(r[col]); bh = (h - 2 * pad) * v / top
        x = pad + i * bar + 10 + j * (bar - 20) / 3
        svg.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>' % (x, h - pad - bh, (bar - 20) / 3 - 2, bh, colour))
        svg.append('<text x="%.1f" y="%.1f">%.2f</text>' % (x, h - pad - bh - 3, v))
    svg.append('<text x="%.1f" y="%d">%s req/s</text>' % (pad + i * bar + bar / 3, h - pad + 16, r[0]))
for j, (label, col, colour) in enumerate(colours):
    svg.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>' % (w - 110, 30 + 15 * j, colour, w - 95, 39 + 15 * j, label))
svg.append("</svg>")
open(out + "/load-latency.svg", "w").write("\n".join(svg) + "\n")
PY
echo "chart: $out/load-latency.svg"
