#!/usr/bin/env bash
# Soak: the packaged function at a fixed request rate for 10 minutes while the API server behind it
# (WireMock) is healthy, slow, failing and unreachable in turn. Reports per phase the answers that
# were not HTTP 200, the latency percentiles, the stale answers served, and RSS at start and end.
#
#   benchmarks/soak.sh [rate=1000] [seconds-per-phase=150]
#
# Needs: the packaged function (./mvnw -pl function package -DskipTests), Go (vegeta, the load
# generator, is installed from the Go module proxy into ~/.cache/pod-identity-soak), curl, python3.
# Sends traffic to 127.0.0.1 only.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rate=${1:-1000}
phase_seconds=${2:-150}
work=$(mktemp -d)
. "$here/benchmarks/lib.sh"
vegeta=$(vegeta_bin)
java="$JAVA_HOME/bin/java"
jar=$(function_jar)
wiremock=$(wiremock_jar)

api_port=18201; fn_port=18202; metrics_port=18203
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

start_api() {
  "$java" -jar "$wiremock" --port "$api_port" --bind-address 127.0.0.1 --disable-banner --no-request-journal \
    > "$work/wiremock.log" 2>&1 &
  api_pid=$!; pids+=("$api_pid")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$api_port/__admin/mappings" > /dev/null && break; sleep 0.1; done
  # 20 ServiceAccounts: the even ones annotated, the odd ones not.
  for i in $(seq 0 19); do
    annotations='{}'
    [ $((i % 2)) = 0 ] && annotations="{\"eks.amazonaws.com/role-arn\":\"arn:aws:iam::111122223333:role/sa-$i\"}"
    curl -sf -X POST "http://127.0.0.1:$api_port/__admin/mappings" -d "{\"request\":{\"method\":\"GET\",
      \"urlPath\":\"/api/v1/namespaces/soak/serviceaccounts/sa-$i\"},\"response\":{\"status\":200,
      \"headers\":{\"Content-Type\":\"application/json\"},\"jsonBody\":{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",
      \"metadata\":{\"name\":\"sa-$i\",\"namespace\":\"soak\",\"annotations\":$annotations}}}}" > /dev/null
  done
}

start_api
# The heap bound of the shipped manifests (knative/: 384Mi limit), so RSS drift means a leak.
"$java" -Xmx256m -Dquarkus.http.port=$fn_port -Dquarkus.management.port=$metrics_port -Dquarkus.http.host=127.0.0.1 \
  -Dpod-identity.kubernetes.api-server-url="http://127.0.0.1:$api_port" \
  -Dquarkus.log.category.\"dev.podidentity.decision\".level=WARN \
  -jar "$jar" > "$work/function.log" 2>&1 &
fn_pid=$!; pids+=("$fn_pid")
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$fn_port/q/health/ready" > /dev/null && break; sleep 0.1; done

# One review per ServiceAccount, as vegeta targets.
: > "$work/targets"
for i in $(seq 0 19); do
  python3 - "$here/examples/irsa-pod.json" "$work/review-$i.json" "$i" <<'PY'
import json, sys
review = json.load(open(sys.argv[1]))
review["request"]["namespace"] = "soak"
review["request"]["object"]["metadata"]["namespace"] = "soak"
review["request"]["object"]["spec"]["serviceAccountName"] = "sa-" + sys.argv[3]
json.dump(review, open(sys.argv[2], "w"))
PY
  printf 'POST http://127.0.0.1:%s/mutate\nContent-Type: application/json\n@%s\n\n' "$fn_port" "$work/review-$i.json" \
    >> "$work/targets"
done

cat > "$work/row.py" <<'PY'
import json, sys
report = json.load(sys.stdin)
codes = report.get("status_codes", {})
not_ok = sum(count for code, count in codes.items() if code != "200")
lat = report["latencies"]
name, before, after = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
print("| %s | %d | %d | %.2f | %.2f | %.1f | %.0f |" % (name, report["requests"], not_ok, lat["50th"] / 1e6,
      lat["99th"] / 1e6, lat["max"] / 1e6, after - before))
PY

rss() { ps -o rss= -p "$fn_pid" | tr -d ' '; }
stale() {
  curl -s "http://127.0.0.1:$metrics_port/q/metrics" | awk '/^pod_identity_serviceaccount_cache_total\{cluster="default",result="stale"\}/ {print $2}'
}
# Warm-up at the full rate, so the first phase measures a warm function and RSS starts settled.
"$vegeta" attack -targets="$work/targets" -rate="$rate" -duration=30s > /dev/null
rss_start=$(rss)

phase() { # phase NAME: one fixed-rate attack, reported as a table row
  local name=$1 before after
  before=$(stale); before=${before:-0}
  "$vegeta" attack -targets="$work/targets" -rate="$rate" -duration="${phase_seconds}s" -timeout=15s \
    > "$work/$name.bin"
  after=$(stale); after=${after:-0}
  "$vegeta" report -type=json "$work/$name.bin" | python3 "$work/row.py" "$name" "$before" "$after"
}

echo "soak: $rate req/s, $phase_seconds s per phase, $(nproc) CPUs, $("$java" -version 2>&1 | head -1)"
echo "| phase (API server) | requests | not 200 | p50 ms | p99 ms | max ms | stale answers |"
echo "|---|---:|---:|---:|---:|---:|---:|"
phase healthy
curl -sf -X POST "http://127.0.0.1:$api_port/__admin/settings" -d '{"fixedDelay":1500}' > /dev/null
phase slow-1.5s
curl -sf -X POST "http://127.0.0.1:$api_port/__admin/settings" -d '{"fixedDelay":0}' > /dev/null
curl -sf -X POST "http://127.0.0.1:$api_port/__admin/mappings" -d '{"priority":1,"request":{"method":"ANY","urlPattern":".*"},"response":{"status":503}}' > /dev/null
phase failing-503
kill "$api_pid"; wait "$api_pid" 2>/dev/null || true
phase unreachable
rss_end=$(rss)
echo
echo "RSS: start ${rss_start} KiB, end ${rss_end} KiB ($(awk -v a="$rss_start" -v b="$rss_end" 'BEGIN {printf "%+.1f", (b - a) * 100 / a}') %)"
