#!/usr/bin/env bash
# Beside the reference: the AWS webhook this function re-implements (amazon-eks-pod-identity-webhook
# at REFERENCE_VERSION, built from the Go module proxy) and the packaged function, each serving
# HTTPS with the same ECDSA P-256 certificate and reading ServiceAccounts over TLS, with a bearer
# token, from one real kube-apiserver + etcd (the e2e harness, e2e/cluster.sh), measured the same way
# on the same AdmissionReview:
#
#   1. cold start: process start -> the first HTTPS answer to POST /mutate that carries a patch,
#      RUNS starts of each webhook, interleaved run by run (reference, function, function with the
#      AOT cache, reference, ...), on 2 CPUs (taskset -c 0,1) and pinned to one (taskset -c 0); RSS
#      right after that answer;
#   2. RSS after LOAD_RATE x LOAD_SECONDS admissions (100,000 by default) on 2 CPUs;
#   3. load on the same warm process: saturation and p50/p99/p99.9 at fixed RATES, by
#      benchmarks/load.sh (vegeta, HTTP/2 over TLS as an API server calls webhooks), for the
#      reference, the function as the Knative image runs it, and the function as the Deployment
#      overlay (the one that ends TLS itself) runs it.
#
# The 1-minute load average stands beside every figure. Writes OUT/compare.md (also printed),
# OUT/compare.svg (median first answer and RSS per webhook and CPU count, saturation), the raw
# OUT/results.tsv, each webhook's log and patch, and OUT/load-<webhook>/ from load.sh. It checks
# that both patches give the pod the same credentials (benchmarks/compare/same-mutation.py), and
# stops with the webhook's last answer and log when one does not patch.
#
# The reference runs out of cluster as its README's local set-up does: --in-cluster=false, a
# kubeconfig (the API server's CA and the same admin token the function gets), the certificate
# files, --aws-default-region; every other flag at its default (see start_reference). The function
# runs what ships: knative/image.conf's JVM flags and MALLOC_ARENA_MAX, the overlay's memory limit
# as -XX:MaxRAM (benchmarks/lib.sh, image_jvm), the API server through fabric8's own configuration
# as in a cluster, and the AOT cache trained as the container build trains it (train_aot).
#
# The reference listens on every interface (":<port>"; it has no flag for an address), so when
# `unshare --net` works (root) the measurement runs in a network namespace of its own with only a
# loopback interface: nothing either webhook or the API server opens is reachable from outside, and
# no port can clash with the machine's. Elsewhere it runs on the machine's loopback, with a warning.
#
#   benchmarks/compare.sh        # about 10 min once built (first time: + ~5 min for the reference,
#                                # ~6 min for kube-apiserver and etcd, ~2 min for the function)
#
# Environment: RUNS (5), REFERENCE_VERSION (v0.6.17), REVIEW (the AdmissionReview, default
# benchmarks/src/main/resources/fixtures/typical.json; its namespace and ServiceAccount are created
# in the API server), AOT (1; 0: no AOT cache variant, no training), LOAD_RATE (1000) and
# LOAD_SECONDS (100; 0 skips the admissions and the second RSS), RATES ("250 500 1000"),
# SECONDS_PER_RATE (30), SATURATION_SECONDS (20), WARM_UP_SECONDS (10), SKIP_LOAD=1 (no load.sh
# phase), START_TIMEOUT (60 s for a first patch), OUT (benchmarks/target/compare; absolute),
# FUNCTION_OPTS (more JVM options for the packaged function's runs, e.g. -Dpod-identity.limits.…),
# LOAD_WEBHOOKS (the webhooks of phases 2 and 3: "reference function-aot function-deployment").
# Each memory phase's raw results stay in OUT/admissions-<webhook>.bin; answers per second, with the
# vegeta lib.sh builds: ~/.cache/pod-identity-soak/bin/vegeta encode --to json <
#   OUT/admissions-function-aot.bin | benchmarks/compare/per-second.py
# Needs Go (the reference, vegeta, kube-apiserver and etcd from the Go module proxy, cached), the JDK
# the wrapper uses, openssl, curl, python3 and taskset.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
version=${REFERENCE_VERSION:-v0.6.17}
. "$here/benchmarks/lib.sh"

# Everything that needs the module proxy or Maven Central first, outside the network namespace.
reference=$(reference_webhook_bin "$version")
vegeta=$(vegeta_bin)
function_jar > /dev/null
# (Once: the e2e build waits on a lock that a concurrent build of the node set may hold for minutes.)
e2e_bin=${COMPARE_E2E_BIN:-$("$here/e2e/build-binaries.sh")}
if [ -z "${COMPARE_NETNS:-}" ]; then
  if command -v ip > /dev/null && unshare --net true 2> /dev/null; then
    exec unshare --net env COMPARE_NETNS=own COMPARE_E2E_BIN="$e2e_bin" bash "$0" "$@"
  fi
  echo "compare.sh: cannot make a network namespace (unshare --net needs root, and ip); the reference" \
    "webhook will listen on every interface of this machine while it runs" >&2
  COMPARE_NETNS=machine
fi
[ "$COMPARE_NETNS" = own ] && ip link set lo up

runs=${RUNS:-5}
review=${REVIEW:-$here/benchmarks/src/main/resources/fixtures/typical.json}
review=$(cd "$(dirname "$review")" && pwd)/$(basename "$review")
load_rate=${LOAD_RATE:-1000}
load_seconds=${LOAD_SECONDS:-100}
start_timeout=${START_TIMEOUT:-60}
out=${OUT:-$here/benchmarks/target/compare}
mkdir -p "$out"
results="$out/results.tsv"
: > "$results"
: > "$out/reference.log"
: > "$out/function.log"
work=$(mktemp -d)
cluster="$work/cluster" # etcd's data (60 MB) goes with $work; its logs are kept in $out
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2> /dev/null || true; done
  "$here/e2e/cluster.sh" stop "$cluster" > /dev/null 2>&1 || true
  cp "$cluster"/*.log "$out/" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ref_port=18241 ref_metrics_port=18242 fn_port=18243 fn_http_port=18244 fn_management_port=18245
train_port=18246 train_api_port=18247 train_tls_port=18248
record() { local IFS=$'\t'; echo "$*" >> "$results"; }
die() { echo "compare.sh: $*" >&2; exit 1; }
if [ "$COMPARE_NETNS" = machine ]; then
  for p in $ref_port $ref_metrics_port $fn_port $fn_http_port $fn_management_port $train_port $train_api_port $train_tls_port; do
    ! { exec 3<> "/dev/tcp/127.0.0.1/$p"; } 2> /dev/null || die "port $p on 127.0.0.1 is in use"
  done
fi

[ "${AOT:-1}" = 1 ] && aot=1 || aot=0
image_jvm # jvm_flags, max_ram, image_env: what the image and the overlays run with
image_flags="$jvm_flags $max_ram"
if [ $aot = 1 ]; then
  echo "training the AOT cache" >&2
  train_aot "$work" $train_port $train_api_port $train_tls_port $fn_management_port
else
  image_app "$work"
fi
deployment_jvm
deployment_flags="$jvm_flags $max_ram"

# The API server, and the ServiceAccount the review's pod runs as, annotated for IRSA (and for
# regional STS, as the JMH fixtures' ServiceAccount is, so both webhooks write the same variables).
"$here/e2e/cluster.sh" start "$cluster" --bin-dir "$e2e_bin" --owner-pid $$ 2> "$out/cluster-start.log" ||
  { cat "$out/cluster-start.log" >&2; exit 1; }
# shellcheck disable=SC1091  # written by cluster.sh start
. "$cluster/cluster.env"
read -r namespace service_account < <(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["request"]
print(r["namespace"], r["object"]["spec"].get("serviceAccountName") or "default")' "$review")
api() { # api METHOD PATH [BODY]: the API server as the admin; prints the HTTP status
  curl -sS -o "$work/api.out" -w '%{http_code}' --cacert "$CA_FILE" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' -X "$1" "$APISERVER_URL$2" ${3:+--data "$3"}
}
[ "$(api GET "/api/v1/namespaces/$namespace")" = 200 ] ||
  [ "$(api POST /api/v1/namespaces "{\"metadata\":{\"name\":\"$namespace\"}}")" = 201 ] ||
  die "cannot create namespace $namespace: $(cat "$work/api.out")"
[ "$(api POST "/api/v1/namespaces/$namespace/serviceaccounts" "{\"metadata\":{\"name\":\"$service_account\",
  \"annotations\":{\"eks.amazonaws.com/role-arn\":\"arn:aws:iam::111122223333:role/s3-reader\",
  \"eks.amazonaws.com/sts-regional-endpoints\":\"true\"}}}")" = 201 ] ||
  die "cannot create ServiceAccount $namespace/$service_account: $(cat "$work/api.out")"

ec_certificate "$work/tls"
# The reference's kubeconfig: the API server's CA and the admin token, what the function is given.
cat > "$work/reference.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: "$APISERVER_URL", certificate-authority: "$CA_FILE"}}]
users: [{name: admin, user: {token: "$ADMIN_TOKEN"}}]
contexts: [{name: e2e, context: {cluster: e2e, user: admin}}]
current-context: e2e
EOF

# start_reference CPUS: sets pid and port. --service-account-lookup-grace-period stays at its default,
# 0: the reference then answers from its informer's cache alone and admits a pod whose
# ServiceAccount is not (yet) in it unmutated, without asking the API server. Its first patched
# answer therefore comes once the informer has listed the ServiceAccounts, which is what a fresh
# replica of it serves with in a cluster. --namespace (default eks) names the ConfigMap it watches
# only with --watch-config-map, off by default, as the function's pod-identity.config-map.enabled.
start_reference() {
  taskset -c "$1" "$reference" --in-cluster=false --kubeconfig "$work/reference.kubeconfig" \
    --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" --port $ref_port --metrics-port $ref_metrics_port \
    --aws-default-region eu-west-1 >> "$out/reference.log" 2>&1 &
  pid=$! port=$ref_port
}
# start_function CPUS FLAGS: the packaged function from $work/app (where its AOT cache, if any, was
# trained), over HTTPS; the API server through fabric8's configuration as in a cluster (master URL,
# CA and token, no kubeconfig or service account of this machine). Sets pid and port.
start_function() {
  local cpus=$1 flags=$2
  # shellcheck disable=SC2086  # lists of flags and variables
  (cd "$work/app" && exec env $image_env taskset -c "$cpus" "$JAVA_HOME/bin/java" $flags $app_libs \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port=$fn_http_port -Dquarkus.http.ssl-port=$fn_port \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port=$fn_management_port \
    -Dquarkus.http.ssl.certificate.files="$work/tls.crt" -Dquarkus.http.ssl.certificate.key-files="$work/tls.key" \
    -Dkubernetes.master="$APISERVER_URL" -Dkubernetes.certs.ca.file="$CA_FILE" -Dkubernetes.auth.token="$ADMIN_TOKEN" \
    -Dkubernetes.auth.tryKubeConfig=false -Dkubernetes.auth.tryServiceAccount=false \
    -Dpod-identity.aws-default-region=eu-west-1 -jar quarkus-run.jar >> "$out/function.log" 2>&1) &
  pid=$! port=$fn_port
}
# start WEBHOOK CPUS: one of the webhooks below, by name.
webhooks="reference function"
[ $aot = 1 ] && webhooks="$webhooks function-aot"
aot_flag=""
[ $aot = 1 ] && aot_flag="-XX:AOTCache=app.aot"
start() {
  case $1 in
    reference) start_reference "$2" ;;
    function) start_function "$2" "$image_flags" ;;
    function-aot) start_function "$2" "$aot_flag $image_flags ${FUNCTION_OPTS:-}" ;;
    function-deployment) start_function "$2" "$aot_flag $deployment_flags ${FUNCTION_OPTS:-}" ;;
  esac
  pids+=("$pid")
}
stop() { # stop: the webhook started last
  kill "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  unset 'pids[-1]'
  sleep 0.3 # its port closed, its memory back, before the next start
}
# patched: POSTs the review once; true when the answer carries a JSON patch (a 200 alone is also
# the answer of a webhook that admitted the pod unmutated). Sets code to the HTTP status.
patched() {
  rm -f "$work/answer.json"
  code=$(curl -s -o "$work/answer.json" -w '%{http_code}' --cacert "$work/tls.crt" --max-time 5 \
    -H 'Content-Type: application/json' --data-binary @"$review" "https://127.0.0.1:$port/mutate" 2> /dev/null) || true
  [ "$code" = 200 ] && grep -q '"patch"' "$work/answer.json"
}
# still_patches: after a load that may have overloaded the webhook (requests its client gave up on
# can still be in its queue), it patches again within 30 s.
still_patches() {
  local _
  for _ in $(seq 1 30); do patched && return; sleep 1; done
  return 1
}
# first_patch NAME LOG: polls every 10 ms until the webhook started last patches; prints the ms
# since start_ns and how many answers came before without a patch (each one a pod that a cluster
# would have admitted without credentials), or stops with its last answer and log when it does not
# patch within START_TIMEOUT.
first_patch() {
  local name=$1 deadline=$(( $(date +%s) + start_timeout )) unpatched=0
  until patched; do
    [ "$code" != 200 ] || unpatched=$((unpatched + 1))
    kill -0 "$pid" 2> /dev/null || die "$name exited before it patched the review; the end of its log:
$(tail -20 "$out/$2.log")"
    [ "$(date +%s)" -lt "$deadline" ] || die "$name did not patch the review within ${start_timeout}s; last answer:
$(cat "$work/answer.json" 2> /dev/null || echo none)
the end of its log:
$(tail -20 "$out/$2.log")"
    sleep 0.01
  done
  echo "$(( ($(date +%s%N) - start_ns) / 1000000 )) $unpatched"
}
log_of() { case $1 in reference) echo reference ;; *) echo function ;; esac; }
rss() { ps -o rss= -p "$pid" | tr -d ' '; }

record info reference "$version"
record info function "$(cd "$here" && git describe --always --dirty 2> /dev/null || echo unknown)"
record info java "$("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
record info go "$(go env GOVERSION)"
record info kube-apiserver "$("$e2e_bin/kube-apiserver" --version 2>&1)"
record info cpu "$(nproc) x $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
record info network "$COMPARE_NETNS"
record info review "${review#"$here"/} ($(wc -c < "$review") B, $namespace/$service_account)"
record info image-flags "$image_flags, $image_env"
record info deployment-flags "$deployment_flags, $image_env"
record info started "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"

# Each webhook's patch, kept for inspection; the number of operations goes into the table.
for name in $webhooks; do
  start "$name" 0,1
  start_ns=$(date +%s%N)
  first_patch "$name" "$(log_of "$name")" > /dev/null
  python3 - "$work/answer.json" "$out/patch-$name.json" "$name" >> "$results" <<'PY'
import base64, json, sys
patch = base64.b64decode(json.load(open(sys.argv[1]))["response"]["patch"])
open(sys.argv[2], "wb").write(patch)
print("patch\t%s\t%d\t%d" % (sys.argv[3], len(json.loads(patch)), len(patch)))
PY
  stop
done
# The comparison is fair only if both did the same work: the same AWS variables, mounts and token
# volume in every container (the AWS webhook replaces whole arrays, the function appends).
mutation=$(python3 "$here/benchmarks/compare/same-mutation.py" "$review" "$out/patch-reference.json" "$out/patch-function.json")
[ "$mutation" = same ] || echo "compare.sh: the two webhooks mutate the pod differently:
$mutation" >&2
record info mutation "$(echo "$mutation" | head -1)"

# 1. Cold starts, interleaved so that a drift of the machine's speed touches every webhook alike.
echo "cold starts: $runs x {$webhooks} on 2 CPUs, then on 1" >&2
for cpus in 0,1 0; do
  for run in $(seq 1 "$runs"); do
    for name in $webhooks; do
      load=$(loadavg)
      start_ns=$(date +%s%N)
      start "$name" "$cpus"
      read -r ms unpatched < <(first_patch "$name" "$(log_of "$name")") || exit 1
      record start "$name" "$(( $(echo "$cpus" | tr -cd , | wc -c) + 1 ))" "$run" "$ms" "$(rss)" "$load" "$unpatched"
      stop
    done
  done
done

# 2 and 3. Memory after admissions, then load, on the same warm process (2 CPUs; load.sh's vegeta
# shares them, as an API server on the same node would).
load_webhooks=${LOAD_WEBHOOKS:-reference function${aot_flag:+-aot} function-deployment}
[ "$load_seconds" -gt 0 ] || [ "${SKIP_LOAD:-0}" != 1 ] || load_webhooks=""
for name in $load_webhooks; do
  load=$(loadavg)
  start_ns=$(date +%s%N)
  start "$name" 0,1
  first_patch "$name" "$(log_of "$name")" > /dev/null
  rss_start=$(rss)
  if [ "$load_seconds" -gt 0 ]; then
    echo "$name: $((load_rate * load_seconds)) admissions at $load_rate/s" >&2
    printf 'POST https://127.0.0.1:%s/mutate\nContent-Type: application/json\n@%s\n\n' "$port" "$review" > "$work/targets"
    "$vegeta" attack -targets="$work/targets" -root-certs="$work/tls.crt" -rate="$load_rate" \
      -duration="${load_seconds}s" -timeout=10s | tee "$out/admissions-$name.bin" |
      "$vegeta" report -type=json > "$out/admissions-$name.json"
    still_patches || die "$name no longer patches after the admissions: HTTP $code $(cat "$work/answer.json" 2> /dev/null)"
    # The function refuses with 429 what exceeds its in-flight byte limit (docs/contract.md#limits).
    record after "$name" "$rss_start" "$(rss)" "$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
ok, shed = r["status_codes"].get("200", 0), r["status_codes"].get("429", 0)
print("%d\t%d\t%d\t%d\t%.0f" % (r["requests"], ok, shed, r["requests"] - ok - shed, r["throughput"]))' \
      "$out/admissions-$name.json")" "$load" "$(loadavg)"
  fi
  if [ "${SKIP_LOAD:-0}" != 1 ]; then
    mkdir -p "$work/review"
    ln -sf "$review" "$work/review/review.json"
    echo "$name: load.sh" >&2
    # 2,000/s over HTTPS, load.sh's own top rate, killed the function with the Knative image's C1
    # flags (a connection per waiting request, ~18,000 in TLS handshakes: OutOfMemoryError); the
    # Knative overlays serve plain HTTP behind the ingress, so the comparison stays below it.
    RATES=${RATES:-250 500 1000} OUT="$out/load-$name" WEBHOOK_PID=$pid "$here/benchmarks/load.sh" "https://127.0.0.1:$port/mutate" "$work/review" > /dev/null
    while read -r row; do record load "$name" "${row// /$'\t'}"; done < "$out/load-$name/rows"
    still_patches || die "$name no longer patches after load.sh: HTTP $code $(cat "$work/answer.json" 2> /dev/null)"
  fi
  stop
done
record info ended "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"

python3 "$here/benchmarks/compare/report.py" "$results" "$out/compare.md" "$out/compare.svg"
cat "$out/compare.md"
echo "chart: $out/compare.svg"
