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
# Environment: KNATIVE_WORK (work directory), KNATIVE_IMAGE_TAR (an image archive built before:
# skips the image build), COLD_RUNS (cold starts per CPU setting, default 5),
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
e2e_need jq jq
e2e_need curl curl
IMAGE=dev.local/pod-identity:e2e
IMAGE_TAR=${KNATIVE_IMAGE_TAR:-$("$REPO/knative/build-image.sh" --tag "$IMAGE" --output "$W/pod-identity-image.tar" | tail -n 1)}
"$HERE/cluster.sh" start "$W"
# shellcheck disable=SC1091
. "$W/cluster.env"
export KUBECONFIG
k() { "$KUBECTL" "$@"; }
ctr -a "$CONTAINERD_SOCK" -n k8s.io images import --no-unpack=false "$IMAGE_TAR" >/dev/null
built_as=$(tar -xOf "$IMAGE_TAR" manifest.json | jq -r '.[0].RepoTags[0]')
[ "$built_as" = "$IMAGE" ] || ctr -a "$CONTAINERD_SOCK" -n k8s.io images tag --force "$built_as" "$IMAGE" >/dev/null
"$HERE/serving.sh" "$W"

k create namespace "$APP_NS" >/dev/null
k -n "$APP_NS" create serviceaccount s3-reader >/dev/null
k -n "$APP_NS" annotate serviceaccount s3-reader "eks.amazonaws.com/role-arn=$ROLE_ARN" >/dev/null
# The webhook configurations trust the CA behind Traefik's certificate (see serving.sh).
CA_BUNDLE_PATCH="[{\"op\":\"add\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$(base64 -w0 <"$CA_FILE")\"}]"
deploy() {
  # Knative's own webhook validates the Service: retried while its endpoints come up.
  local attempt
  for attempt in $(seq 1 20); do
    k apply -k "$HERE/overlays/single-cluster" >/dev/null 2>"$W/deploy.err" && break
    [ "$attempt" = 20 ] && { cat "$W/deploy.err" >&2; return 1; }
    sleep 3
  done
  k patch mutatingwebhookconfiguration pod-identity --type json -p \
    "$CA_BUNDLE_PATCH" >/dev/null
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

# admission_ms NAMESPACE NAME: the API server's wall time for the pod's create. Fails, printing
# nothing, when the audit log has no line for it: a missing figure must not read as 0 ms.
admission_ms() {
  local ms
  ms=$(jq -r --arg ns "$1" --arg n "$2" "$JQ_POD_CREATE | select(.objectRef.namespace == \$ns and .objectRef.name == \$n) | $JQ_MS" \
    "$AUDIT_LOG" | tail -n 1)
  [ -n "$ms" ] || { log "the audit log has no line for the create of pod $1/$2"; return 1; }
  echo "$ms"
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

# java_pid: the function's JVM on this node, seen from the host: the java process in the cgroup of
# a running function pod (other JVMs on the machine may run the same jar).
java_pid() {
  local uid p
  for uid in $(k -n "$FN_NS" get pods -l "$FN_SELECTOR" --field-selector=status.phase=Running \
      -o jsonpath='{.items[*].metadata.uid}'); do
    for p in $(pgrep -f 'quarkus-run.jar'); do
      grep -q "pod$uid" "/proc/$p/cgroup" 2>/dev/null && { echo "$p"; return 0; }
    done
  done
  return 1
}
rss_mib() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }

# served_after_term_ms LOGS: LOGS holds copies of the function pods' log directories
# (<namespace>_<pod>_<uid>/<container>/0.log, each line starting with the kubelet's RFC 3339
# timestamp). For each instance whose queue-proxy logged SIGTERM, the time from that line to the
# last admission its function logged after it. Prints three numbers: the largest of those times in
# ms (0 when no instance answered after its SIGTERM); how many instances logged SIGTERM (none while
# instances were terminated means the line was not found); and how many of those have decision
# lines in their function log at all: only theirs were measured, an instance without any may have
# answered nothing or may have lost its log, which no one can tell apart.
served_after_term_ms() {
  local dir term term_ns last_ns worst=0 ms termed=0 measured=0
  for dir in "$1"/*/; do
    term=$(grep -h 'Received TERM signal' "$dir"queue-proxy/*.log 2>/dev/null | head -n 1 | cut -d' ' -f1) || true
    [ -n "$term" ] || continue
    termed=$((termed + 1))
    term_ns=$(date -d "$term" +%s%N) || continue
    # As times, not as text: the kubelet drops the trailing zeros of a timestamp's fraction, so
    # the text of a later line can sort before an earlier one.
    last_ns=$(grep -h '"outcome"' "$dir"function/*.log 2>/dev/null | cut -d' ' -f1 | date -f - +%s%N 2>/dev/null |
      sort -n | tail -n 1) || true
    [ -n "$last_ns" ] || continue
    measured=$((measured + 1))
    [ "$last_ns" -gt "$term_ns" ] || continue
    ms=$(( (last_ns - term_ns) / 1000000 ))
    [ "$ms" -gt "$worst" ] && worst=$ms
  done
  echo "$worst $termed $measured"
}

stats() { # stats VALUES...: "p50 / max" in ms; "none" without values, never a 0 nobody measured
  [ $# -gt 0 ] || { printf 'none'; return; }
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
      if ms=$(admission_ms "$APP_NS" "$name"); then
        cold+=("$ms")
        pass "$label cold start $i: pod created from zero and mutated (${ms} ms)"
      else
        fail "$label cold start $i: pod created from zero and mutated, but its admission time is not in the audit log"
      fi
    else
      fail "$label cold start $i: $out"
    fi
  done
  for i in $(seq 1 "$COLD_RUNS"); do
    name=warm-$label-$i
    if out=$(create_pod "$name" "$APP_NS" s3-reader) && mutated "$APP_NS" "$name"; then
      if ms=$(admission_ms "$APP_NS" "$name"); then
        warm+=("$ms")
      else
        fail "$label warm $i: pod mutated, but its admission time is not in the audit log"
      fi
    else
      fail "$label warm $i: $out"
    fi
  done
  [ ${#warm[@]} -eq "$COLD_RUNS" ] && pass "$label warm: $COLD_RUNS pods mutated"
  ROWS+=("| $label | cold | $(stats ${cold[@]+"${cold[@]}"}) | ${cold[*]:-} |"
    "| $label | warm | $(stats ${warm[@]+"${warm[@]}"}) | ${warm[*]:-} |")
}

ROWS=(); BURST_NOTE="not run"; STREAM_NOTE="not run"; RSS_BURST="?"
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
# The image's JVM flags (knative/image.conf) log "Loaded <n> AOT code entries" when the cache is
# used; a cache the JVM refuses (another runtime, a missing file) gives [warning]/[error][aot] lines.
fn_log=$(k -n "$FN_NS" logs "$fn_pod" -c function)
aot_used=$(grep -E 'Loaded [0-9]+ AOT code entries' <<<"$fn_log" | head -n 1 || true)
aot_problem=$(grep -E '\[(warning|error) *\]\[aot|Unable to use AOT' <<<"$fn_log" | head -n 3 || true)
if [ -n "$aot_used" ] && [ -z "$aot_problem" ]; then
  pass "the JVM uses the image's AOT cache: ${aot_used#*] }"
else
  fail "the JVM does not use the image's AOT cache: ${aot_problem:-no AOT line in its log}"
fi

# --- Never in the way of the platform while at zero. The pods run as a ServiceAccount with a
# role: had the function been called, they would come back mutated, so "untouched" shows it was
# not (with the default ServiceAccount only the function's pod count would have shown it).
wait_zero || fail "not at zero before the platform namespaces case"
blocked=0; lat=()
for ns in kube-system knative-serving "$FN_NS"; do
  k -n "$ns" create serviceaccount platform-probe >/dev/null
  k -n "$ns" annotate serviceaccount platform-probe "eks.amazonaws.com/role-arn=$ROLE_ARN" >/dev/null
done
for ns in kube-system knative-serving "$FN_NS"; do
  name=platform-$ns
  if out=$(create_pod "$name" "$ns" platform-probe) && untouched "$ns" "$name"; then
    if ms=$(admission_ms "$ns" "$name"); then
      lat+=("$ms")
    else
      blocked=1; fail "pod in $ns created untouched at zero, but its admission time is not in the audit log"
    fi
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

# burst N PREFIX: N pod creates sent at once (one curl, N parallel requests) in the served
# namespace; prints one HTTP status per create.
burst() {
  local args=() _
  pod_json "-$2" "$APP_NS" s3-reader >"$W/$2pod.json"
  for _ in $(seq 1 "$1"); do args+=(-o /dev/null "$APISERVER_URL/api/v1/namespaces/$APP_NS/pods"); done
  curl -sS -Z --parallel-max "$1" --parallel-immediate --cacert "$CA_FILE" \
    --cert "$(dirname "$CA_FILE")/admin.crt" --key "$(dirname "$CA_FILE")/admin.key" \
    -H 'Content-Type: application/json' --data-binary @"$W/$2pod.json" -w '%{http_code}\n' "${args[@]}" || true
}
# unmutated PREFIX: how many stored pods named PREFIX* lack the role; created PREFIX: how many exist.
pods_named() { k -n "$APP_NS" get pods -o json | jq -r --arg p "$1" '.items[] | select(.metadata.name | startswith($p)) | .metadata.name'; }
unmutated() { local p n=0; for p in $(pods_named "$1"); do mutated "$APP_NS" "$p" || n=$((n + 1)); done; echo "$n"; }

# --- 100 pods at once from zero.
wait_zero || fail "not at zero before the burst"
since=$(audit_lines)
seen=$W/burst-instances.txt; : >"$seen"
( while :; do k -n "$FN_NS" get pods -l "$FN_SELECTOR" -o name >>"$seen" 2>/dev/null; sleep 0.5; done ) &
watcher=$!
t0=$(date +%s%N)
codes=$(burst "$BURST" burst-)
burst_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
sleep 2
kill "$watcher" 2>/dev/null || true; wait "$watcher" 2>/dev/null || true
created=$(grep -c '^201$' <<<"$codes" || true)
stored=$(pods_named burst- | wc -l)
not_mutated=$(unmutated burst-)
instances=$(sort -u "$seen" | wc -l)
gets=$(sa_gets "$since")
burst_lat=()
while read -r ms; do burst_lat+=("$ms"); done < <(tail -n +"$since" "$AUDIT_LOG" | jq -r --arg ns "$APP_NS" \
  "$JQ_POD_CREATE | select(.objectRef.namespace == \$ns and ((.objectRef.name // \"\") | . == \"\" or startswith(\"burst-\"))) | $JQ_MS")
if [ "$created" = "$BURST" ] && [ "$stored" = "$BURST" ] && [ "$not_mutated" = 0 ] && [ ${#burst_lat[@]} -ge "$BURST" ]; then
  pass "$BURST pods created at once from zero, all mutated ($instances function instances, $gets ServiceAccount GETs, ${burst_ms} ms in all)"
else
  fail "burst: $created of $BURST created (codes: $(sort <<<"$codes" | uniq -c | tr '\n' ' ')), $not_mutated not mutated, ${#burst_lat[@]} of $BURST creates in the audit log"
fi
pid=$(java_pid || true)
RSS_BURST=$([ -n "$pid" ] && rss_mib "$pid" || echo "?")
BURST_NOTE="$created of $BURST created, $not_mutated of those not mutated; $instances function instance(s); $gets ServiceAccount GET(s) by the function; admission p50 / max $(stats ${burst_lat[@]+"${burst_lat[@]}"}) ms (failed creates included); whole burst ${burst_ms} ms."

# --- Scale-down while admissions are in flight. A revision that starts with three instances
# (initial-scale 3) gets a steady stream of admissions, far less than one instance needs, so the
# autoscaler removes two of them while admissions keep arriving. Every one must come back mutated,
# and the networking layer must stop sending admissions to an instance soon after it is told to
# stop: the kubelet kills it when its grace period ends (the revision's timeoutSeconds), and an
# admission still in flight then is lost. A loss is rare (one of 150 in some runs), so the case
# also measures the cause itself, from the instances' logs: how long after its queue-proxy got
# SIGTERM an instance still answered admissions.
k -n "$FN_NS" patch ksvc pod-identity --type json -p '[{"op":"add","path":"/spec/template/metadata/annotations/autoscaling.knative.dev~1initial-scale","value":"3"}]' >/dev/null
k -n "$FN_NS" wait ksvc/pod-identity --for=condition=Ready --timeout=300s >/dev/null
seen=$W/drain-instances.txt; : >"$seen"
pod_logs=$W/drain-logs; rm -rf "$pod_logs"; mkdir -p "$pod_logs"
( while :; do
    k -n "$FN_NS" get pods -l "$FN_SELECTOR" -o json | jq -r '.items[] | .metadata.name + " " +
      (if .metadata.deletionTimestamp then "terminating" else "up" end)' >>"$seen" 2>/dev/null
    # The kubelet deletes a pod's logs with the pod: keep copies while the stream runs.
    cp -r /var/log/pods/"$FN_NS"_* "$pod_logs"/ 2>/dev/null || true
    sleep 0.5
  done ) &
watcher=$!
( for i in $(seq 1 150); do
    create_pod "stream-$i" "$APP_NS" s3-reader >/dev/null 2>&1 &
    sleep 0.3
  done; wait ) || true
sleep 1
kill "$watcher" 2>/dev/null || true; wait "$watcher" 2>/dev/null || true
instances=$(awk '{print $1}' "$seen" | sort -u | wc -l)
terminated=$(awk '$2 == "terminating" {print $1}' "$seen" | sort -u | wc -l)
stream_ok=$(pods_named stream- | wc -l)
lost=$((150 - stream_ok))
not_mutated=$(unmutated stream-)
grace=$(k -n "$FN_NS" get ksvc pod-identity -o jsonpath='{.spec.template.spec.timeoutSeconds}')
read -r late_ms termed measured < <(served_after_term_ms "$pod_logs")
if [ "$terminated" -gt 0 ] && [ "$termed" = 0 ]; then
  fail "scale-down in flight: $terminated instance(s) terminated, but no queue-proxy log holds 'Received TERM signal': how long terminating instances kept answering was not measured"
elif [ "$terminated" -gt 0 ] && [ "$measured" = 0 ]; then
  fail "scale-down in flight: $termed instance(s) got SIGTERM, but none of their function logs holds a decision line: how long terminating instances kept answering was not measured"
elif [ "$lost" = 0 ] && [ "$not_mutated" = 0 ] && [ "$terminated" -gt 0 ] && [ "$late_ms" -lt $((grace * 1000 / 2)) ]; then
  pass "150 admissions over 45 s while $terminated of $instances instances were scaled down: none lost; the last admission a terminating instance answered came ${late_ms} ms after its SIGTERM (grace ${grace} s; $measured of $termed terminated instances' logs read)"
elif [ "$lost" = 0 ] && [ "$not_mutated" = 0 ] && [ "$terminated" = 0 ]; then
  fail "no instance was scaled down during the stream ($instances instances): the drain was not exercised"
else
  fail "scale-down in flight: $lost of 150 admissions lost, $not_mutated not mutated; terminating instances answered admissions up to ${late_ms} ms after SIGTERM (grace ${grace} s; more than half of it means the networking layer kept routing to them)"
fi
STREAM_NOTE="A revision started with 3 instances (initial-scale 3), then 150 creates at ~3/s: $terminated instance(s) terminated while the stream ran; $lost lost, $not_mutated not mutated; a terminating instance answered its last admission ${late_ms} ms after SIGTERM at the latest (grace period ${grace} s)."

# --- The same scale-from-zero with two CPUs for the container.
k -n "$FN_NS" patch ksvc pod-identity --type json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/resources/limits/cpu","value":"2"},
  {"op":"remove","path":"/spec/template/metadata/annotations/autoscaling.knative.dev~1initial-scale"}]' >/dev/null
k -n "$FN_NS" wait ksvc/pod-identity --for=condition=Ready --timeout=300s >/dev/null
cold_and_warm "2-cpu"

# --- The shared endpoint: a member cluster's API server calls the public route with its caller
# token, and the function reads that cluster's ServiceAccounts with that cluster's credentials. The
# member is registered as data, a labelled Secret in the hosting cluster: added, rotated and removed
# while the function runs and while it is at zero, and the Knative revision never changes.
SHARED_NOTES=()
shared_note() { SHARED_NOTES+=("- $*"); }
shared_endpoint() {
  local dir=$W/member old_token new_token member_token ca traefik_ip host=pod-identity.pod-identity.example.com
  local rev0 n name ms i out
  mkdir -p "$dir"
  old_token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  new_token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  printf '%s\n' "$old_token" >"$dir/caller-token"
  # The member API server's webhook credentials: the shipped files, the token read from a file it
  # reads again while it runs (so that it can be rotated), and this run's path.
  sed "s#token: FAKE-REPLACE-WITH-A-RANDOM-TOKEN-FOR-PROD-EU#tokenFile: $dir/caller-token#" \
    "$REPO/knative/overlays/shared/member-cluster/apiserver/webhook-kubeconfig.yaml" >"$dir/webhook-kubeconfig.yaml"
  grep -q "tokenFile: $dir/caller-token" "$dir/webhook-kubeconfig.yaml" \
    || { fail "shared endpoint: the shipped webhook kubeconfig has no token line to replace"; return; }
  sed "s#/etc/kubernetes/pod-identity/webhook-kubeconfig.yaml#$dir/webhook-kubeconfig.yaml#" \
    "$REPO/knative/overlays/shared/member-cluster/apiserver/admission-configuration.yaml" >"$dir/admission-configuration.yaml"
  traefik_ip=$(k -n traefik get svc traefik -o jsonpath='{.spec.clusterIP}')
  printf '127.0.0.1 localhost\n%s %s\n' "$traefik_ip" "$host" >"$dir/hosts"
  "$HERE/cluster.sh" member "$W" "$dir/admission-configuration.yaml" "$dir/hosts"
  # shellcheck disable=SC1091
  . "$W/member.env"
  km() { "$KUBECTL" --kubeconfig "$MEMBER_KUBECONFIG" "$@"; }
  km apply -k "$HERE/overlays/member-cluster" >/dev/null
  km patch mutatingwebhookconfiguration pod-identity --type json -p "$CA_BUNDLE_PATCH" >/dev/null
  member_token=$(km -n pod-identity create token pod-identity --duration=2h)
  ca=$(base64 -w0 <"$CA_FILE")
  cat >"$dir/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: prod-eu, cluster: {server: "$MEMBER_URL", certificate-authority-data: "$ca"}}]
users: [{name: pod-identity, user: {token: "$member_token"}}]
contexts: [{name: prod-eu, context: {cluster: prod-eu, user: pod-identity}}]
current-context: prod-eu
KC
  km create namespace team-b >/dev/null
  km -n team-b create serviceaccount s3-reader >/dev/null
  km -n team-b annotate serviceaccount s3-reader "eks.amazonaws.com/role-arn=$ROLE_ARN" >/dev/null

  # cluster_secret [KEY=VALUE...]: the member's Secret in the hosting cluster, as a user writes it
  # (kubeconfig under `value`, as Cluster API's <cluster>-kubeconfig Secret has it), replaced whole.
  cluster_secret() {
    local args=() kv
    for kv in "$@"; do args+=(--from-literal="$kv"); done
    k -n "$FN_NS" create secret generic prod-eu-kubeconfig --from-file=value="$dir/kubeconfig" \
      --from-literal=aws-default-region=eu-central-1 "${args[@]}" --dry-run=client -o json \
      | jq '.metadata.labels = {"pod-identity.dev/cluster": "prod-eu"}' | k apply -f - >/dev/null
  }
  member_pod() { pod_json "$1" team-b s3-reader | km create -f - -o name 2>&1; }
  # member_mutated NAME: mutated with the member's role and the region of its Secret.
  member_mutated() {
    km -n team-b get pod "$1" -o json | jq -e --arg arn "$ROLE_ARN" '
      ([.spec.containers[0].env[]? | select(.name == "AWS_ROLE_ARN") | .value] == [$arn])
      and ([.spec.containers[0].env[]? | select(.name == "AWS_REGION") | .value] == ["eu-central-1"])' >/dev/null
  }
  # member_refused OUTPUT: the pod create was refused because the function serves no such cluster
  # (the suite's member webhook has failurePolicy Fail: a 404 from the function fails the create).
  member_refused() { grep -q -e 'no cluster prod-eu is served here' -e 'could not find the requested resource' <<<"$1"; }
  member_ms() {
    local v
    v=$(jq -r --arg n "$1" "$JQ_POD_CREATE | select(.objectRef.name == \$n) | $JQ_MS" "$MEMBER_AUDIT_LOG" | tail -n 1)
    [ -n "$v" ] || { echo "missing"; return 1; }
    echo "$v"
  }
  revision() { k -n "$FN_NS" get ksvc pod-identity -o jsonpath='{.status.latestReadyRevisionName}'; }
  fn_log() { k -n "$FN_NS" logs -l "$FN_SELECTOR" -c function --tail=-1 2>/dev/null; }
  # within SECONDS WHAT PREFIX: creates member pods PREFIX-1, PREFIX-2, ... one a second until the
  # last one is mutated (WHAT=mutated) or its create is refused as for a cluster not served
  # (WHAT=refused); prints how many seconds that took.
  within() {
    local limit=$1 want=$2 prefix=$3 t0=$SECONDS i=0 out
    while [ $((SECONDS - t0)) -le "$limit" ]; do
      i=$((i + 1))
      out=$(member_pod "$prefix-$i") || true
      if { [ "$want" = mutated ] && member_mutated "$prefix-$i" 2>/dev/null; } \
         || { [ "$want" = refused ] && member_refused "$out"; }; then
        echo $((SECONDS - t0)); return 0
      fi
      sleep 1
    done
    return 1
  }

  # The hosting cluster: the single-cluster Service and webhook make way for the shared overlay,
  # which starts with no cluster registered.
  k -n "$FN_NS" delete ksvc pod-identity --wait=true >/dev/null
  k delete mutatingwebhookconfiguration pod-identity >/dev/null
  k apply -k "$HERE/overlays/shared" >/dev/null
  k -n "$FN_NS" wait ksvc/pod-identity --for=condition=Ready --timeout=300s >/dev/null
  rev0=$(revision)

  # 1. Added while at zero: the first pod after the Secret exists wakes the function and is mutated.
  wait_zero || { fail "shared endpoint: the function did not scale to zero"; return; }
  cluster_secret caller-token="$old_token"
  if out=$(member_pod shared-1) && member_mutated shared-1; then
    ms=$(member_ms shared-1) || ms=missing
    pass "shared endpoint: a member added (its Secret created) while the function was at zero; its first pod, from zero, mutated through /clusters/prod-eu/mutate with the region of its Secret (${ms} ms)"
    shared_note "Added while at zero: the member's first pod, from zero, mutated with its Secret's region; ${ms} ms as its API server timed it."
  else
    fail "shared endpoint: added at zero: $out $(km -n team-b get pod shared-1 -o jsonpath='{.spec.containers[0].env}' 2>/dev/null)"
  fi

  # 2. Removed while it runs: within 30 s (cluster-secrets.fresh-for) the cluster answers 404
  # ("no cluster prod-eu is served here"), which the member's failurePolicy turns into a refused create.
  k -n "$FN_NS" delete secret prod-eu-kubeconfig >/dev/null
  if n=$(within 45 refused removed); then
    pass "shared endpoint: a member removed (its Secret deleted) while the function runs: answered 404 ${n} s later (bound 30 s)"
    shared_note "Removed while running: the function answered 404 for it ${n} s after the Secret was deleted (bound: 30 s)."
  else
    fail "shared endpoint: removed while running: its admissions still served 45 s after the Secret was deleted"
  fi

  # 3. Added again while it runs: mutated again within the bound.
  cluster_secret caller-token="$old_token"
  if n=$(within 45 mutated readded); then
    pass "shared endpoint: a member added while the function runs: its pods mutated ${n} s after its Secret was created (bound 30 s)"
    shared_note "Added while running: pods mutated ${n} s after the Secret was created (bound: 30 s)."
  else
    fail "shared endpoint: added while running: pods not mutated 45 s after the Secret was created"
  fi

  # 4. An unauthenticated flood of slow bodies at the public route (to the member's path without a
  # token, and to a cluster not served), while the member's pods keep coming.
  python3 - "$traefik_ip" "$host" 48 40 >"$dir/flood.log" 2>&1 <<'PY' &
import socket, ssl, sys, time
ip, host, count, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
tls = ssl.create_default_context()
tls.check_hostname = False
tls.verify_mode = ssl.CERT_NONE
held, answered = [], 0
for i in range(count):
    path = "/clusters/prod-eu/mutate" if i % 2 == 0 else "/clusters/not-served/mutate"
    s = tls.wrap_socket(socket.create_connection((ip, 443), timeout=5), server_hostname=host)
    s.sendall(("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
               "Content-Length: 262144\r\n\r\n{" % (path, host)).encode())
    s.settimeout(0.01)
    held.append(s)
end = time.time() + seconds
while time.time() < end and held:
    for s in list(held):
        try:
            s.sendall(b" ")
            if s.recv(64):
                answered += 1
                held.remove(s)
        except socket.timeout:
            pass
        except OSError:
            held.remove(s)
    time.sleep(1)
print("answered", answered, "still open", len(held))
PY
  local flood=$! ok=0 bad=() refused_before refused_after
  refused_before=$(fn_log | grep -c 'refused an admission request for cluster prod-eu' || true)
  sleep 3
  for i in $(seq 1 20); do
    member_pod "flood-$i" >/dev/null 2>&1 || true
    if member_mutated "flood-$i" 2>/dev/null; then ok=$((ok + 1)); else bad+=("flood-$i"); fi
    sleep 1
  done
  wait "$flood" 2>/dev/null || true
  refused_after=$(fn_log | grep -c 'refused an admission request for cluster prod-eu' || true)
  if [ "$ok" = 20 ]; then
    pass "shared endpoint: 20 member pods mutated while 48 unauthenticated connections trickled 256 KiB bodies at the public route (the function refused $((refused_after - refused_before)) on their headers; at the client: $(cat "$dir/flood.log"))"
    shared_note "During an unauthenticated flood of 48 slow bodies at the public route (half to the member's path without a token, half to a cluster not served): 20 of 20 member pods mutated; the function refused $((refused_after - refused_before)) of the 24 to the member's path with 401 on their headers; at the flood's client: $(cat "$dir/flood.log")."
  else
    fail "shared endpoint: during the slow-body flood, ${#bad[@]} of 20 member pods not mutated (${bad[*]}); flood: $(cat "$dir/flood.log")"
  fi

  # 5. A caller-token rotation during a stream of admissions: the new token added to the Secret,
  # then the API server switched to it (its token file, read again every minute), then the old one
  # removed. No admission may be refused: with the member's failurePolicy Fail, a 401 would fail a
  # create, so every pod of the stream must exist, mutated.
  ( for i in $(seq 1 160); do member_pod "rotate-$i" >/dev/null 2>&1 & sleep 1; done; wait ) &
  local stream=$!
  sleep 5
  cluster_secret caller-token="$old_token" caller-token-next="$new_token"
  sleep 40
  printf '%s\n' "$new_token" >"$dir/caller-token.new" && mv "$dir/caller-token.new" "$dir/caller-token"
  sleep 75
  cluster_secret caller-token-next="$new_token"
  wait "$stream" || true
  local created not_mutated=() old_now new_now
  created=$(km -n team-b get pods -o name | grep -c '/rotate-' || true)
  for i in $(seq 1 160); do member_mutated "rotate-$i" 2>/dev/null || not_mutated+=("rotate-$i"); done
  old_now=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA_FILE" --resolve "$host:443:$traefik_ip" \
    -H "Authorization: Bearer $old_token" -H 'Content-Type: application/json' --data '{}' "https://$host/clusters/prod-eu/mutate")
  new_now=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA_FILE" --resolve "$host:443:$traefik_ip" \
    -H "Authorization: Bearer $new_token" -H 'Content-Type: application/json' --data '{}' "https://$host/clusters/prod-eu/mutate")
  if [ "$created" = 160 ] && [ ${#not_mutated[@]} = 0 ] && [ "$old_now" = 401 ] && [ "$new_now" = 400 ]; then
    pass "shared endpoint: caller token rotated during a stream of 160 admissions over ~160 s: all mutated, none refused; afterwards the old token gets 401 and the new one is served"
    shared_note "A caller-token rotation (new token added to the Secret, the member API server's token file switched, the old token removed) during 160 admissions at 1/s: all 160 mutated, 0 refused; afterwards the old token gets $old_now, the new one $new_now (an empty review)."
  else
    fail "shared endpoint: rotation: $created of 160 created, ${#not_mutated[@]} not mutated (${not_mutated[*]:0:5}); old token now $old_now (want 401), new token $new_now (want 400)"
  fi

  # 6. Removed while at zero: the first admission after the Secret is gone, from zero, gets 404.
  k -n "$FN_NS" delete secret prod-eu-kubeconfig >/dev/null
  wait_zero || { fail "shared endpoint: the function did not scale to zero"; return; }
  out=$(member_pod shared-gone) || true
  if member_refused "$out"; then
    pass "shared endpoint: a member removed while the function was at zero: its next admission, from zero, answered 404"
    shared_note "Removed while at zero: the member's next admission, from zero, answered 404 (its create refused under the suite's failurePolicy Fail)."
  else
    fail "shared endpoint: removed at zero: $out"
  fi

  # The revision never changed: clusters are data, not configuration of the Service.
  if [ "$(revision)" = "$rev0" ] && [ "$(k -n "$FN_NS" get revisions --no-headers | wc -l)" = 1 ]; then
    pass "shared endpoint: the Knative revision stayed $rev0 through every add, rotation and removal"
    shared_note "Revision: $rev0 throughout, the only one."
  else
    fail "shared endpoint: the revision changed: $rev0 -> $(revision); revisions: $(k -n "$FN_NS" get revisions --no-headers | awk '{print $1}' | tr '\n' ' ')"
  fi
}
shared_endpoint

note "## Scale-from-zero admissions"
note ""
note "| container CPU limit | start | p50 / max (ms) | each run (ms) |"
note "|---|---|---|---|"
for row in "${ROWS[@]}"; do note "$row"; done
note ""
note "## $BURST pods at once from zero"
note ""
note "$BURST_NOTE"
note ""
note "## Scale-down while admissions are in flight"
note ""
note "$STREAM_NOTE"
note ""
note "## The shared endpoint"
note ""
for line in "${SHARED_NOTES[@]}"; do note "$line"; done
note ""
note "RSS of the function's JVM: $RSS_WARM MiB after the warm admissions, $RSS_BURST MiB after the burst (limit $(k -n "$FN_NS" get ksvc pod-identity -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}'))."
note "Image: $(du -m "$IMAGE_TAR" | cut -f1) MiB ($IMAGE_TAR)."
