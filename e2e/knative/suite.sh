#!/usr/bin/env bash
# The Knative suite: the function's image on a real one-node cluster with Knative Serving, called
# by kube-apiserver as a mutating webhook through the route users deploy, scaled to zero and back.
#
#   e2e/knative/suite.sh          (root; after ./mvnw package; ends with "N passed, M failed")
#
# What it does, in order: builds the image (knative/build-image.sh), starts the cluster
# (cluster.sh) and Knative (serving.sh), deploys knative/overlays/single-cluster through
# overlays/single-cluster here (what differs from the shipped overlay, and why, is written there),
# then runs the cases below. Each admission's wall time is the API server's own: the audit log's
# requestReceivedTimestamp to stageTimestamp of the pod create. Figures go to
# $KNATIVE_WORK/results.md (default e2e/target/knative). Everything is stopped and cleaned up at
# the end, on failure too.
#
# Environment: KNATIVE_WORK (work directory), COLD_RUNS (cold starts per CPU setting, default 5),
# BURST (pods created at once, default 100), KNATIVE_KEEP=1 (leave the cluster running).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib.sh
. "$HERE/../lib.sh"

W=${KNATIVE_WORK:-$REPO/e2e/target/knative}
COLD_RUNS=${COLD_RUNS:-5}
BURST=${BURST:-100}
FN_NS=pod-identity
APP_NS=team-a
FN_SELECTOR=serving.knative.dev/service=pod-identity
ROLE_ARN=arn:aws:iam::111122223333:role/s3-reader

passed=0; failed=0; failures=()
pass() { passed=$((passed + 1)); printf '[suite] PASS %s\n' "$*" >&2; }
fail() { failed=$((failed + 1)); failures+=("$*"); printf '[suite] FAIL %s\n' "$*" >&2; }
note() { printf '%s\n' "$*" >>"$RESULTS"; }
log() { printf '[suite %s] %s\n' "$(date +%T)" "$*" >&2; }

finish() {
  local rc=$?
  if [ -z "${KNATIVE_KEEP:-}" ]; then "$HERE/cluster.sh" stop "$W" || true; fi
  [ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[@]}" >&2
  [ -f "${RESULTS:-/dev/null}" ] && cat "$RESULTS"
  if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; echo "[suite] the harness failed (exit $rc)" >&2; fi
  echo "knative: $passed passed, $failed failed"
  [ "$failed" = 0 ]
}

mkdir -p "$W"
W=$(cd "$W" && pwd)
RESULTS=$W/results.md
: >"$RESULTS"
"$HERE/cluster.sh" stop "$W" >/dev/null 2>&1 || true   # leftovers of an interrupted run
trap finish EXIT

# ---------------------------------------------------------------------------------------------
# Image, cluster, Knative, the function.
# ---------------------------------------------------------------------------------------------
[ -f "$REPO/function/target/quarkus-app/quarkus-run.jar" ] || e2e_die "package the function first (./mvnw package)"
IMAGE_TAR=$("$REPO/knative/build-image.sh" --tag dev.local/pod-identity:e2e --output "$W/pod-identity-image.tar" | tail -n 1)
"$HERE/cluster.sh" start "$W"
# shellcheck disable=SC1091
. "$W/cluster.env"
export KUBECONFIG
k() { "$KUBECTL" "$@"; }
ctr -a "$CONTAINERD_SOCK" -n k8s.io images import --no-unpack=false "$IMAGE_TAR" >/dev/null
"$HERE/serving.sh" "$W"

k create namespace "$APP_NS" >/dev/null
k -n "$APP_NS" create serviceaccount s3-reader >/dev/null
k -n "$APP_NS" annotate serviceaccount s3-reader "eks.amazonaws.com/role-arn=$ROLE_ARN" >/dev/null
deploy() {
  k apply -k "$HERE/overlays/single-cluster" >/dev/null
  k patch mutatingwebhookconfiguration pod-identity --type json -p \
    "[{\"op\":\"add\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$(base64 -w0 <"$CA_FILE")\"}]" >/dev/null
  k -n "$FN_NS" wait ksvc/pod-identity --for=condition=Ready --timeout=300s >/dev/null
}
t0=$SECONDS
deploy
log "function deployed and Ready after $((SECONDS - t0))s"

# ---------------------------------------------------------------------------------------------
# Helpers.
# ---------------------------------------------------------------------------------------------
fn_pods() { k -n "$FN_NS" get pods -l "$FN_SELECTOR" --no-headers 2>/dev/null | wc -l; }

# wait_zero: until the revision's Deployment wants 0 replicas and no function pod exists at all
# (none terminating either); prints the evidence.
wait_zero() {
  local deadline=$((SECONDS + 240)) replicas pods
  while :; do
    replicas=$(k -n "$FN_NS" get deploy -l "$FN_SELECTOR" -o jsonpath='{range .items[*]}{.spec.replicas}{" "}{end}')
    pods=$(fn_pods)
    if [ "$pods" = 0 ] && [ -z "$(tr -d ' 0' <<<"$replicas")" ]; then
      log "scaled to zero: deployment replicas [${replicas% }], function pods $pods"
      return 0
    fi
    [ $SECONDS -lt $deadline ] || { log "not scaled to zero: replicas [$replicas], pods $pods"; return 1; }
    sleep 1
  done
}

# pod_json NAME|-PREFIX NAMESPACE SERVICEACCOUNT: a pod that is admitted but never scheduled (its
# node selector matches no node), so the cases measure admission, not the node's capacity.
pod_json() {
  local name_field
  case $1 in -*) name_field="\"generateName\":\"${1#-}\"" ;; *) name_field="\"name\":\"$1\"" ;; esac
  printf '{"apiVersion":"v1","kind":"Pod","metadata":{%s,"namespace":"%s"},"spec":{"serviceAccountName":"%s","nodeSelector":{"pod-identity.dev/never":"true"},"containers":[{"name":"app","image":"registry.k8s.io/pause:3.10"}]}}' \
    "$name_field" "$2" "$3"
}
create_pod() { pod_json "$1" "$2" "$3" | k create -f - -o name 2>&1; }

# The API server's wall time of an audited request, in ms: request received -> response complete.
JQ_MS='def t: (sub("\\.[0-9]+Z$"; "Z") | fromdate) + ((capture("\\.(?<f>[0-9]+)Z$").f // "0") | "0." + . | tonumber);
  ((.stageTimestamp | t) - (.requestReceivedTimestamp | t)) * 1000 | floor'
JQ_POD_CREATE='select(.verb == "create" and .objectRef.resource == "pods" and .stage == "ResponseComplete")'

# admission_ms NAMESPACE NAME: the API server's wall time for the pod's create.
admission_ms() {
  jq -r --arg ns "$1" --arg n "$2" "$JQ_POD_CREATE | select(.objectRef.namespace == \$ns and .objectRef.name == \$n) | $JQ_MS" \
    "$AUDIT_LOG" | tail -n 1
}

# mutated NAMESPACE NAME: the stored pod carries the role, the token file and the token volume.
mutated() {
  k -n "$1" get pod "$2" -o json | jq -e --arg arn "$ROLE_ARN" '
    ([.spec.containers[0].env[]? | select(.name=="AWS_ROLE_ARN") | .value] == [$arn])
    and ([.spec.containers[0].env[]? | select(.name=="AWS_WEB_IDENTITY_TOKEN_FILE")] | length == 1)
    and ([.spec.volumes[]? | select(.name=="aws-iam-token")] | length == 1)' >/dev/null
}
untouched() { ! k -n "$1" get pod "$2" -o json | jq -e '[.spec.containers[].env[]?.name] | any(startswith("AWS_"))' >/dev/null; }

# sa_gets SINCE_LINE: ServiceAccount GETs by the function in the audit log after that line.
sa_gets() {
  tail -n +"$1" "$AUDIT_LOG" | jq -r 'select(.verb=="get" and .objectRef.resource=="serviceaccounts"
    and .user.username=="system:serviceaccount:pod-identity:pod-identity" and .stage=="ResponseComplete")
    | .auditID' | sort -u | wc -l
}
audit_lines() { wc -l <"$AUDIT_LOG"; }

# java_pid: the function's JVM on this node (the container's process, seen from the host).
java_pid() { pgrep -f 'quarkus-run.jar' | head -n 1; }
rss_mib() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }

stats() { # stats VALUES...: "p50 / max" in ms
  printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {printf "%d / %d", v[int((NR + 1) / 2)], v[NR]}'
}

# ---------------------------------------------------------------------------------------------
# Cases.
# ---------------------------------------------------------------------------------------------
TIMEOUT_S=$(k get mutatingwebhookconfiguration pod-identity -o jsonpath='{.webhooks[0].timeoutSeconds}')
note "# Knative suite results ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
note ""
note "Webhook timeoutSeconds: $TIMEOUT_S. Admission wall time = the API server's audit log (request received -> response complete) of the pod create."
note ""

# cold_and_warm LABEL: COLD_RUNS creates, each after a real scale to zero, then as many warm ones.
cold_and_warm() {
  local label=$1 cold=() warm=() i name ms before after
  for i in $(seq 1 "$COLD_RUNS"); do
    wait_zero || { fail "$label cold $i: the function did not scale to zero"; continue; }
    name=cold-$label-$i
    if out=$(create_pod "$name" "$APP_NS" s3-reader) && mutated "$APP_NS" "$name"; then
      ms=$(admission_ms "$APP_NS" "$name"); cold+=("$ms")
      pass "$label cold start $i: pod created from zero and mutated (${ms} ms)"
    else
      fail "$label cold start $i: $out"
    fi
  done
  for i in $(seq 1 "$COLD_RUNS"); do
    name=warm-$label-$i
    if out=$(create_pod "$name" "$APP_NS" s3-reader) && mutated "$APP_NS" "$name"; then
      ms=$(admission_ms "$APP_NS" "$name"); warm+=("$ms")
    else
      fail "$label warm $i: $out"
    fi
  done
  [ ${#warm[@]} -eq "$COLD_RUNS" ] && pass "$label warm: $COLD_RUNS pods mutated"
  note "| $label | cold | $(stats "${cold[@]:-0}") | ${cold[*]:-} |"
  note "| $label | warm | $(stats "${warm[@]:-0}") | ${warm[*]:-} |"
}

note "## Scale-from-zero admissions"
note ""
note "| container CPU limit | start | p50 / max (ms) | each run (ms) |"
note "|---|---|---|---|"
cold_and_warm "1-cpu"
pid=$(java_pid || true)
RSS_WARM=$([ -n "$pid" ] && rss_mib "$pid" || echo "?")

# --- The image as it runs: non-root, read-only root, no capabilities, the AOT cache in use.
fn_pod=$(k -n "$FN_NS" get pods -l "$FN_SELECTOR" -o jsonpath='{.items[0].metadata.name}')
if [ -n "$pid" ]; then
  uid=$(awk '/^Uid:/ {print $3}' "/proc/$pid/status")
  cap=$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status")
  rootfs=$(awk '$5 == "/" {print $6}' "/proc/$pid/mountinfo" | cut -d, -f1)
  if [ "$uid" = 185 ] && [ "$cap" = 0000000000000000 ] && [ "$rootfs" = ro ]; then
    pass "the JVM runs as uid 185, with no capabilities, on a read-only root"
  else
    fail "security context as run: uid $uid, CapEff $cap, root mount $rootfs"
  fi
else
  fail "no function JVM found on the node to check its security context"
fi
if k -n "$FN_NS" logs "$fn_pod" -c function | grep -q 'AOT cache'; then
  if k -n "$FN_NS" logs "$fn_pod" -c function | grep -qi 'error\|mismatch\|disabled\|cannot'; then
    fail "the JVM reports a problem with its AOT cache: $(k -n "$FN_NS" logs "$fn_pod" -c function | grep -i 'aot' | head -3)"
  else
    pass "the JVM uses the image's AOT cache: $(k -n "$FN_NS" logs "$fn_pod" -c function | grep 'AOT cache' | head -1)"
  fi
else
  fail "the function's log says nothing of its AOT cache: $(k -n "$FN_NS" logs "$fn_pod" -c function | head -5)"
fi

# --- Never in the way of the platform while at zero.
wait_zero || fail "not at zero before the platform namespaces case"
blocked=0; lat=()
for ns in kube-system knative-serving "$FN_NS"; do
  name=platform-$ns
  if out=$(create_pod "$name" "$ns" default) && untouched "$ns" "$name"; then
    lat+=("$(admission_ms "$ns" "$name")")
  else
    blocked=1; fail "pod in $ns while the function is at zero: $out"
  fi
done
sleep 3
if [ "$blocked" = 0 ] && [ "$(fn_pods)" = 0 ]; then
  pass "pods in kube-system, knative-serving and $FN_NS created while at zero, not sent to the function, which stayed at zero (${lat[*]} ms)"
elif [ "$blocked" = 0 ]; then
  fail "a platform pod woke the function up"
fi

# --- 100 pods at once from zero.
wait_zero || fail "not at zero before the burst"
since=$(audit_lines)
pod_json -burst- "$APP_NS" s3-reader >"$W/burst-pod.json"
curl_args=()
for _ in $(seq 1 "$BURST"); do curl_args+=(-o /dev/null "$APISERVER_URL/api/v1/namespaces/$APP_NS/pods"); done
seen=$W/burst-instances.txt; : >"$seen"
( while :; do k -n "$FN_NS" get pods -l "$FN_SELECTOR" -o name >>"$seen" 2>/dev/null; sleep 0.5; done ) &
watcher=$!
t0=$(date +%s%N)
codes=$(curl -sS -Z --parallel-max "$BURST" --parallel-immediate --cacert "$CA_FILE" \
  --cert "$(dirname "$CA_FILE")/admin.crt" --key "$(dirname "$CA_FILE")/admin.key" \
  -H 'Content-Type: application/json' --data-binary @"$W/burst-pod.json" -w '%{http_code}\n' "${curl_args[@]}" || true)
burst_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
sleep 2
kill "$watcher" 2>/dev/null || true; wait "$watcher" 2>/dev/null || true
created=$(grep -c '^201$' <<<"$codes" || true)
burst_pods=$(k -n "$APP_NS" get pods -o json | jq -r '.items[] | select(.metadata.name | startswith("burst-")) | .metadata.name')
not_mutated=0
for p in $burst_pods; do mutated "$APP_NS" "$p" || not_mutated=$((not_mutated + 1)); done
instances=$(sort -u "$seen" | wc -l)
gets=$(sa_gets "$since")
burst_lat=()
while read -r ms; do burst_lat+=("$ms"); done < <(tail -n +"$since" "$AUDIT_LOG" | jq -r --arg ns "$APP_NS" \
  "$JQ_POD_CREATE | select(.objectRef.namespace == \$ns and ((.objectRef.name // \"\") | . == \"\" or startswith(\"burst-\"))) | $JQ_MS")
if [ "$created" = "$BURST" ] && [ "$(wc -w <<<"$burst_pods")" = "$BURST" ] && [ "$not_mutated" = 0 ]; then
  pass "$BURST pods created at once from zero, all mutated ($instances function instances, $gets ServiceAccount GETs, ${burst_ms} ms in all)"
else
  fail "burst: $created of $BURST created (codes: $(sort <<<"$codes" | uniq -c | tr '\n' ' ')), $not_mutated not mutated"
fi
pid=$(java_pid || true)
RSS_BURST=$([ -n "$pid" ] && rss_mib "$pid" || echo "?")
note ""
note "## $BURST pods at once from zero"
note ""
note "All $created created, $not_mutated not mutated; $instances function instances; $gets ServiceAccount GETs by the function; admission p50 / max $(stats "${burst_lat[@]:-0}") ms; whole burst ${burst_ms} ms."

# --- Scale-down while admissions are in flight: a steady stream while Knative removes instances.
stream_codes=$W/stream-codes.txt; : >"$stream_codes"
gone=$W/stream-terminated.txt; : >"$gone"
before=$(k -n "$FN_NS" get pods -l "$FN_SELECTOR" -o name | sort)
( for i in $(seq 1 150); do
    create_pod "stream-$i" "$APP_NS" s3-reader >>"$stream_codes" 2>&1 &
    sleep 0.3
  done; wait ) &
streamer=$!
( while kill -0 "$streamer" 2>/dev/null; do
    k -n "$FN_NS" get pods -l "$FN_SELECTOR" -o json \
      | jq -r '.items[] | select(.metadata.deletionTimestamp != null) | .metadata.name' >>"$gone"
    sleep 0.5
  done ) &
wait "$streamer" || true
sleep 1
terminated=$(sort -u "$gone" | grep -c . || true)
stream_ok=0; stream_bad=0
for i in $(seq 1 150); do
  if k -n "$APP_NS" get pod "stream-$i" >/dev/null 2>&1 && mutated "$APP_NS" "stream-$i"; then
    stream_ok=$((stream_ok + 1))
  else
    stream_bad=$((stream_bad + 1))
  fi
done
if [ "$stream_bad" = 0 ] && [ "$terminated" -gt 0 ]; then
  pass "150 admissions over 45 s while $terminated of $(wc -w <<<"$before") instances were scaled down: none lost"
elif [ "$stream_bad" = 0 ]; then
  fail "no instance was scaled down during the stream (instances before: $(wc -w <<<"$before")): the drain was not exercised"
else
  fail "$stream_bad of 150 admissions lost during scale-down ($(grep -v '^pod/' "$stream_codes" | head -3))"
fi
note ""
note "Scale-down in flight: 150 creates at ~3/s while $terminated instance(s) terminated: $stream_ok mutated, $stream_bad lost."

# --- The same scale-from-zero with two CPUs for the container.
k -n "$FN_NS" patch ksvc pod-identity --type json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/resources/limits/cpu","value":"2"}]' >/dev/null
k -n "$FN_NS" wait ksvc/pod-identity --for=condition=Ready --timeout=300s >/dev/null
cold_and_warm "2-cpu"

note ""
note "RSS of the function's JVM: $RSS_WARM MiB after the warm admissions, $RSS_BURST MiB after the burst (limit $(k -n "$FN_NS" get ksvc pod-identity -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}'))."
note "Image: $(du -m "$IMAGE_TAR" | cut -f1) MiB ($IMAGE_TAR)."
