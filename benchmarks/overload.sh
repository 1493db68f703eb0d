#!/usr/bin/env bash
# Overload over HTTPS: the packaged function, with the JVM flags, memory limit and environment of
# the Deployment overlay (the one that serves HTTPS itself, memory limit included), driven at 2x and 5x the rate it saturates at, for 60 s each, while the API server
# behind it answers slowly; then hostile reviews (80,000 containers, 2.9 MiB pods); then half the
# saturation rate with the API server healthy again. Reports how
# every request ended (patched, admitted with a warning, refused 429, too late, failed), latency,
# whether the process lived, and its RSS. Before that, the serving cost of TLS: handshakes and
# saturation over HTTPS with an RSA 2048 and an ECDSA P-256 certificate, beside plain HTTP.
#
#   benchmarks/overload.sh                    # writes benchmarks/target/overload/overload-results.md
#
# Environment: SECONDS_PER_PHASE (60), SLOW_API (800ms: under lookup.request-timeout, so lookups
# succeed, slowly), UNIQUE (0.1: the share of pods whose ServiceAccount was never looked up before,
# which must reach the API server), OUT (benchmarks/target/overload), SKIP_TLS=1 (no TLS part),
# SKIP_OVERLOAD=1 (the TLS part only), WARM_UP_SECONDS (60, before saturation is measured), FLOOD=1 (then a flood of TLS connections: see below), JVM_FLAGS (default: knative/image.conf's, as
# the Deployment overlay runs them), PIN=0 (no CPU pinning: see below).
# Needs the packaged function, Go (the load generator is benchmarks/overload, standard library
# only) and openssl. Listens on 127.0.0.1 only.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$here/benchmarks/target/overload}
phase_seconds=${SECONDS_PER_PHASE:-60}
slow_api=${SLOW_API:-800ms}
unique=${UNIQUE:-0.1}
mkdir -p "$out"
. "$here/benchmarks/lib.sh"
jar=$(function_jar)
# The function ends TLS itself only in the Deployment overlay: its flags and memory limit.
deployment_jvm
jvm_flags=${JVM_FLAGS:-$jvm_flags} # to compare other flags on the same traffic
tool="$bench_cache/bin/overload"
(cd "$here/benchmarks/overload" && GOTOOLCHAIN=local go build -o "$tool" .)
# The overlay gives the function one CPU: on a machine with more, it gets the last one to itself
# and the load generator and the stand-in API server the others, so that the run measures the
# function rather than the generator competing with it. PIN=0 lets everything share every CPU.
fn_pin="" gen_pin=""
cpus=$(nproc)
if [ "${PIN:-1}" = 1 ] && [ "$cpus" -ge 2 ]; then
  fn_pin="taskset -c $((cpus - 1))"
  gen_pin="taskset -c 0-$((cpus - 2))"
fi
tool="$gen_pin $tool"
review="$here/benchmarks/src/main/resources/fixtures/typical.json"
api_port=18301 tls_port=18302 http_port=18303 mgmt_port=18304
api_pid="" fn_pid=""
stop_function() { [ -z "$fn_pid" ] || { kill "$fn_pid" 2>/dev/null; wait "$fn_pid" 2>/dev/null || true; fn_pid=""; }; }
trap 'stop_function; [ -z "$api_pid" ] || kill "$api_pid" 2>/dev/null; true' EXIT
results="$out/results.jsonl"
: > "$results"
report="$out/overload-results.md"

# Certificates for 127.0.0.1: one of each key type.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$out/rsa.key" -out "$out/rsa.crt" 2> /dev/null
ec_certificate "$out/ec"

$tool api -listen 127.0.0.1:$api_port > "$out/api.log" 2>&1 &
api_pid=$!
api_delay() { curl -sf -X POST "http://127.0.0.1:$api_port/delay?d=$1" > /dev/null; }

# start_function KEY [-Dname=value...]: the function over HTTPS with that key (and plain HTTP on its
# own port), with those properties too.
start_function() {
  local key=$1; shift
  # shellcheck disable=SC2086  # lists of flags and variables
  env $image_env $fn_pin "$JAVA_HOME/bin/java" $jvm_flags $max_ram "$@" -Dquarkus.http.host=127.0.0.1 \
    -Dquarkus.http.port=$http_port -Dquarkus.http.ssl-port=$tls_port -Dquarkus.management.port=$mgmt_port \
    -Dquarkus.http.ssl.certificate.files="$out/$key.crt" -Dquarkus.http.ssl.certificate.key-files="$out/$key.key" \
    -Dpod-identity.kubernetes.api-server-url="http://127.0.0.1:$api_port" -Dpod-identity.aws-default-region=eu-west-1 \
    -jar "$jar" >> "$out/function-$key.log" 2>&1 &
  fn_pid=$!
  for _ in $(seq 1 600); do curl -ksf "https://127.0.0.1:$tls_port/q/health/ready" > /dev/null && return; sleep 0.1; done
  echo "the function did not start: $out/function-$key.log" >&2; exit 1
}
run() { $tool "$@" -review "$review" -out "$results" | tee -a "$out/run.log"; }
saturation() { python3 -c 'import json,sys; print(round([json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["label"] == sys.argv[2]][-1]["achievedRate"]))' "$results" "$1"; }

echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)" > "$out/run.log"
if [ "${SKIP_TLS:-0}" != 1 ]; then
  for key in rsa ec; do
    start_function $key
    run saturate -url "https://127.0.0.1:$tls_port/mutate" -duration 10s -label "warm-up $key" > /dev/null
    $tool handshake -addr 127.0.0.1:$tls_port -n 300 -label "handshake $key" | tee -a "$out/run.log"
    $tool handshake -addr 127.0.0.1:$tls_port -n 300 -resume -label "handshake $key, resumed" | tee -a "$out/run.log"
    run saturate -url "https://127.0.0.1:$tls_port/mutate" -duration 20s -label "saturation https h2 $key"
    run saturate -url "https://127.0.0.1:$tls_port/mutate" -duration 20s -h1 -label "saturation https h1 $key"
    [ $key = ec ] && run saturate -url "http://127.0.0.1:$http_port/mutate" -duration 20s -h1 -label "saturation http h1"
    stop_function
  done
fi

if [ "${SKIP_OVERLOAD:-0}" != 1 ]; then
  # Overload, with the certificate the Deployment overlay ships (ECDSA P-256) and HTTP/2 as the API
  # server speaks it.
  start_function ec
  url="https://127.0.0.1:$tls_port/mutate"
  # Until the JIT has compiled the serving path: saturation is a figure of the warm function.
  run saturate -url "$url" -duration "${WARM_UP_SECONDS:-60}s" -label "warm-up" > /dev/null
  run saturate -url "$url" -duration 20s -label "saturation"
  rate=$(saturation saturation)
  api_delay "$slow_api"
  for factor in 2 5; do
    run attack -url "$url" -rate $((rate * factor)) -duration ${phase_seconds}s -unique "$unique" -pid $fn_pid \
      -label "${factor}x saturation, API ${slow_api}"
  done
  api_delay 0s
  # Hostile reviews that once killed the process: 80,000 empty containers (a patch that grows with
  # them), and 2.9 MiB pods of realistic containers, at 20 a second.
  python3 - "$review" "$out" <<'PY'
import json, sys
review = json.load(open(sys.argv[1]))
review["request"]["object"]["spec"]["containers"] = [{} for _ in range(80000)]
review["request"]["object"]["spec"].pop("initContainers", None)
json.dump(review, open(sys.argv[2] + "/hostile-80000-containers.json", "w"), separators=(",", ":"))
review = json.load(open(sys.argv[1]))
container = {"name": "c", "image": "registry.example.com/team/app:1.2.3", "env": [{"name": "LOG_LEVEL", "value": "info"}],
             "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}, "volumeMounts": [{"name": "data", "mountPath": "/data"}]}
size = len(json.dumps(container, separators=(",", ":"))) + 12
review["request"]["object"]["spec"]["containers"] = [dict(container, name="c%d" % i) for i in range(int(2.9 * 2**20) // size)]
json.dump(review, open(sys.argv[2] + "/hostile-2.9mib.json", "w"), separators=(",", ":"))
PY
  for hostile in hostile-80000-containers hostile-2.9mib; do
    $tool attack -url "$url" -review "$out/$hostile.json" -rate 20 -duration 20s -pid $fn_pid -out "$results" \
      -label "$hostile.json, 20/s" | tee -a "$out/run.log"
  done
  run attack -url "$url" -rate $((rate / 2)) -duration 20s -unique "$unique" -pid $fn_pid -label "after: half saturation, API healthy"
  grep -h -i -E "OutOfMemory|Exception|RST|GOAWAY" "$out"/function-*.log | sort | uniq -c | sort -rn | head -20 > "$out/function-errors.txt" || true

fi

if [ "${FLOOD:-0}" = 1 ]; then
  # Silent connections, then a flood of new TLS connections: HTTP/1.1, so the generator opens a connection for every
  # request it is waiting on (as vegeta does), up to 16,000, at 2,000 requests a second; once per
  # handshake timeout in FLOOD_HANDSHAKE_TIMEOUTS (Vert.x's own 10 s, and the shipped one). What
  # counts here is whether the process lives: past what the CPU can handshake, answers are late.
  stop_function
  for timeout in ${FLOOD_HANDSHAKE_TIMEOUTS:-10s 3s}; do
    start_function ec -Dpod-identity.limits.tls-handshake-timeout="$timeout"
    # First connections that never start their handshake: how many the function holds at once.
    $tool silent -addr 127.0.0.1:$tls_port -rate 1000 -duration 30s -hold 15s -pid $fn_pid \
      -label "silent connections, handshake timeout $timeout" | tee -a "$out/run.log"
    $tool attack -url "https://127.0.0.1:$tls_port/mutate" -h1 -conns 16000 -rate 2000 -duration ${phase_seconds}s \
      -review "$review" -pid $fn_pid -out "$results" -label "TLS flood, handshake timeout $timeout" | tee -a "$out/run.log"
    stop_function
  done
fi

python3 - "$results" "$report" "$slow_api" "$unique" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
out = open(sys.argv[2], "w")
out.write("| phase | offered req/s | achieved req/s | patched | warned | refused 429 | too late | failed "
          "| answered p50 / p99 / max ms | refused max ms | RSS max MiB | alive |\n|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|\n")
for r in rows:
    if r["label"].startswith("warm-up"):
        continue
    c = r["counts"]
    alive = "" if "alive" not in r else ("yes" if r["alive"] else "**no**")
    rss = "" if "rssMaxMiB" not in r else "%.0f" % r["rssMaxMiB"]
    out.write("| %s | %s | %.0f | %d | %d | %d | %d | %d | %.1f / %.1f / %.1f | %.1f | %s | %s |\n" % (
        r["label"], "%.0f" % r["offeredRate"] if r["offeredRate"] else "closed loop", r["achievedRate"],
        c["patched"], c["warned"], c["refused 429"], c["too late"], c["failed"],
        r["answeredP50Ms"], r["answeredP99Ms"], r["answeredMaxMs"], r["refusedMaxMs"], rss, alive))
out.write("\nSlow API: %s per ServiceAccount GET; %s of the pods name a ServiceAccount never looked up before.\n"
          % (sys.argv[3], sys.argv[4]))
PY
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/run.log"
cat "$report"
# Failure of the run: the process died, or a request got no answer in time and was not refused.
python3 - "$results" <<'PY'
import json, sys
bad = [r["label"] for r in map(json.loads, open(sys.argv[1]))
       if r.get("alive") is False or (r["offeredRate"] and not r["label"].startswith("TLS flood")
                                      and (r["counts"]["too late"] or r["counts"]["failed"]))]
if bad:
    sys.exit("overload: process death, late or failed answers in: " + ", ".join(bad))
PY
