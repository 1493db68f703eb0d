#!/usr/bin/env bash
# Fleet: one instance of the function serving many clusters registered as Secrets, on real API
# servers (the e2e harness, e2e/cluster.sh): one hosting API server holds REGISTERED cluster Secrets
# (pod-identity.dev/cluster=<id>, in namespace pod-identity), MEMBERS other API servers are the
# clusters. Each of the first ACTIVE clusters reaches its member as a ServiceAccount of its own
# (reader-<i>, `get` on ServiceAccounts, a token from `kubectl create token`) over TLS with that
# member's CA; every other Secret is a copy of an active cluster's kubeconfig with a caller token of
# its own, so that it exists and could be served. The function runs as the shared overlay runs it
# (knative/overlays/shared): the packaged jar with the image's JVM flags and MALLOC_ARENA_MAX
# (benchmarks/lib.sh, image_jvm), the overlay's memory limit as -XX:MaxRAM and its CPU limit as
# -XX:ActiveProcessorCount (what the JVM would read from the container's cgroup), clusters from
# Secrets through a least-privilege identity in the hosting API server (the overlay's
# cluster-secrets-rbac.yaml), serving HTTPS with a self-signed ECDSA certificate. It measures:
#
#   1. RSS and heap (after `jcmd GC.run`) after start, then after the REGISTERED Secrets exist
#      without an admission: what an idle registered cluster costs;
#   2. the first admission of each active cluster on that fresh instance, one after another over
#      one HTTPS connection (curl), and memory after a tenth and after all of them: what an active
#      cluster costs;
#   3. admissions across the active clusters at saturation (vegeta, HTTP/2, one target per cluster
#      with its own path, token and review; SATURATION_ROUNDS rounds, WORKERS requests in flight),
#      then at fixed RATES (default: a quarter and a half of the best saturation round);
#   4. from a Secret's creation to its cluster's first patched answer, for ids never asked before
#      and for ids asked (404) 1 to 20 s before their Secret was created;
#   5. OVERLOAD_RATE admissions a second for OVERLOAD_SECONDS, far past saturation, and whether the
#      instance lives through it;
#   6. on a second fresh instance with pod-identity.cluster-idle-after=IDLE_AFTER: the first
#      admissions again, memory and one metrics scrape with every cluster active, and memory once
#      every one was closed for want of admissions.
#
# Beside every figure: the 1-minute load average, and each second the CPU used by the function, the
# API servers and the etcds, and the connections open. Raw results and OUT/summary.md (printed at
# the end) go to OUT; the API servers' and the function's work files to WORK, emptied first.
#
#   benchmarks/fleet.sh          # about 10 minutes once built
#
# Environment: REGISTERED (10000), ACTIVE (1000), MEMBERS (3), RATES, SECONDS_PER_RATE (30),
# SATURATION_ROUNDS (3), SATURATION_SECONDS (20), WORKERS (16), OVERLOAD_RATE (500; 0: none),
# OVERLOAD_SECONDS (20), IDLE_AFTER (120s: longer than the first admissions take), REVIEW
# (examples/irsa-pod.json), PORT (18330: HTTP, +1 HTTPS, +2 management), WORK
# (benchmarks/target/fleet), OUT (WORK/results), PROFILE=1 (the function's CPU profile of the first
# admissions, the first saturation round and the evictions, by async-profiler; it slows them).
# Needs Go (vegeta, kube-apiserver and etcd from the Go module proxy, cached), the JDK the wrapper
# uses, kubectl (the e2e build's, else the PATH's), openssl, curl, ss and python3.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/benchmarks/lib.sh"

registered=${REGISTERED:-10000}
active=${ACTIVE:-1000}
members=${MEMBERS:-3}
rates=${RATES:-}
seconds_per_rate=${SECONDS_PER_RATE:-30}
saturation_rounds=${SATURATION_ROUNDS:-3}
saturation_seconds=${SATURATION_SECONDS:-20}
workers=${WORKERS:-16}
idle_after=${IDLE_AFTER:-120s}
overload_rate=${OVERLOAD_RATE:-500}
overload_seconds=${OVERLOAD_SECONDS:-20}
profile=${PROFILE:-}
review=${REVIEW:-$here/examples/irsa-pod.json}
port=${PORT:-18330} tls_port=$((${PORT:-18330} + 1)) management_port=$((${PORT:-18330} + 2))
work=${WORK:-$here/benchmarks/target/fleet}
out=${OUT:-$work/results}
[ "$active" -le "$registered" ] && [ "$members" -ge 1 ] ||
  { echo "fleet.sh: ACTIVE ($active) must not exceed REGISTERED ($registered), MEMBERS ($members) must be 1 or more" >&2; exit 2; }

fail() { echo "fleet.sh: $*" >&2; exit 1; }

# jcmd_fn COMMAND...: jcmd on the function, bounded: a JVM that does not answer stops the run.
jcmd_fn() { timeout 180 "$JAVA_HOME/bin/jcmd" "$fn_pid" "$@" || fail "jcmd $* did not answer"; }

# await SECONDS WHAT COMMAND...: runs COMMAND until it succeeds; fails naming WHAT after SECONDS.
await() {
  local seconds=$1 what=$2 deadline=$((SECONDS + $1))
  shift 2
  until "$@"; do
    [ $SECONDS -lt $deadline ] || fail "$what: not after ${seconds}s"
    if [ -n "${fn_pid:-}" ] && ! kill -0 "$fn_pid" 2> /dev/null; then
      tail -20 "$fn_log" >&2
      fail "$what: the function exited"
    fi
    sleep 0.2
  done
}

# --- what was left by an earlier run, and what this one leaves ------------------------------------

fn_pid="" sampler_pid="" fn_log=/dev/null
stop_function() {
  [ -n "$sampler_pid" ] && { kill "$sampler_pid" 2> /dev/null || true; wait "$sampler_pid" 2> /dev/null || true; }
  [ -n "$fn_pid" ] && { kill "$fn_pid" 2> /dev/null || true; wait "$fn_pid" 2> /dev/null || true; }
  sampler_pid="" fn_pid=""
}
stop_api_servers() {
  local dir
  for dir in "$work"/api-*; do
    [ -d "$dir" ] && "$here/e2e/cluster.sh" stop "$dir" 2> /dev/null
  done
  true
}
cleanup() { stop_function; stop_api_servers; }

if [ -d "$work" ]; then
  # A function an interrupted run left: its command line names this work directory.
  if [ -f "$work/function.pid" ]; then
    old=$(cat "$work/function.pid")
    if tr '\0' ' ' 2> /dev/null < "/proc/$old/cmdline" | grep -qF -- "-Dfleet.work=$work "; then
      kill "$old" 2> /dev/null || true
    fi
  fi
  stop_api_servers
  rm -rf "$work"
fi
mkdir -p "$work/tokens"
rm -rf "$out" && mkdir -p "$out"
trap cleanup EXIT
started_at=$SECONDS

vegeta=$(vegeta_bin)
if [ -n "$profile" ]; then
  # async-profiler's agent from its jar on Maven Central, where benchmarks/profile-start.sh keeps it.
  profiler=$bench_cache/async-profiler-4.1/libasyncProfiler.so
  if [ ! -f "$profiler" ]; then
    "$here/mvnw" -q -f "$here/pom.xml" dependency:copy -Dartifact=tools.profiler:async-profiler:4.1 \
      -DoutputDirectory="$(dirname "$profiler")" >&2
    unzip -p "$(dirname "$profiler")/async-profiler-4.1.jar" linux-x64/libasyncProfiler.so > "$profiler.part"
    mv "$profiler.part" "$profiler"
  fi
fi
jar=$(function_jar)
e2e_bin=$("$here/e2e/build-binaries.sh")
kubectl=$e2e_bin/kubectl
[ -x "$kubectl" ] || kubectl=$(command -v kubectl) || fail "no kubectl: run e2e/build-binaries.sh --node, or install one"
image_jvm
# The shared overlay's limits: the memory its JVM sizes the heap from, and the CPUs it counts.
shared=$here/knative/overlays/shared/service.yaml
max_ram=$(max_ram_of "$shared")
cpu_limit=$(awk '/limits:/ {l = 1} l && /cpu:/ {gsub(/"/, "", $2); print $2; exit}' "$shared")
case $cpu_limit in
  *m) cpu_count=$(( (${cpu_limit%m} + 999) / 1000 )) ;;
  [0-9]*) cpu_count=$cpu_limit ;;
  *) fail "cannot read the CPU limit '$cpu_limit' of $shared" ;;
esac
for p in "$port" "$tls_port" "$management_port"; do
  ! ss -Htln "sport = :$p" | grep -q . || fail "port $p is in use (PORT=... picks others)"
done
cp "$review" "$work/review.json"
echo "$active" > "$work/active"
echo "$members" > "$work/members"
cat > "$out/run.env" <<EOF
DATE=$(date -u +%FT%TZ)
COMMIT=$(git -C "$here" rev-parse --short HEAD)$(git -C "$here" diff --quiet HEAD -- function || echo +changes)
JDK=$("$JAVA_HOME/bin/java" -version 2>&1 | head -1 | tr -d '"')
JVM=$jvm_flags $max_ram -XX:ActiveProcessorCount=$cpu_count, $image_env
CPUS=$(nproc)
LOAD_AT_START=$(loadavg)
ACTIVE=$active
REGISTERED=$registered
MEMBERS=$members
EOF

# --- the API servers ----------------------------------------------------------------------------

k() { local name=$1; shift; "$kubectl" --kubeconfig "$work/api-$name/admin.kubeconfig" --request-timeout=120s "$@"; }
# One at a time: each picks free ports of its own.
for name in hosting $(seq -f 'm%g' 1 "$members"); do
  "$here/e2e/cluster.sh" start "$work/api-$name" --bin-dir "$e2e_bin" --timeout 180 > "$work/api-$name.start.log" 2>&1 ||
    { tail -20 "$work/api-$name.start.log" >&2; fail "API server $name did not start"; }
done
echo "fleet.sh: $((members + 1)) API servers up after $((SECONDS - started_at))s" >&2

python3 "$here/benchmarks/fleet.py" objects "$work" "$active" "$members"
for m in $(seq 1 "$members"); do
  k "m$m" apply -f "$work/member-$m.yaml" > /dev/null
  # The readers' tokens, four at a time.
  # shellcheck disable=SC2016  # expanded by the inner shell
  KUBECTL=$kubectl KCFG="$work/api-m$m/admin.kubeconfig" TOKENS="$work/tokens" xargs -P 4 -I{} sh -c \
    '"$KUBECTL" --kubeconfig "$KCFG" --request-timeout=60s -n pod-identity create token reader-{} --duration=24h > "$TOKENS/{}"' \
    < "$work/readers-$m.txt" || fail "tokens of member m$m"
done
# The function's own identity in the hosting API server: reading the Secrets of its namespace, as
# the shared overlay grants it.
k hosting create namespace pod-identity > /dev/null
k hosting -n pod-identity create serviceaccount pod-identity > /dev/null
k hosting apply -f "$here/knative/overlays/shared/cluster-secrets-rbac.yaml" > /dev/null
. "$work/api-hosting/cluster.env"
cat > "$work/hosting.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: hosting
  cluster:
    server: $APISERVER_URL
    certificate-authority-data: $(base64 -w0 < "$CA_FILE")
users:
- name: pod-identity
  user:
    token: $(k hosting -n pod-identity create token pod-identity --duration=24h)
contexts:
- name: hosting
  context: {cluster: hosting, user: pod-identity, namespace: pod-identity}
current-context: hosting
EOF
url="https://127.0.0.1:$tls_port"
python3 "$here/benchmarks/fleet.py" secrets "$work" "$active" "$registered" "$members" "$url"
ec_certificate "$work/serving"
echo "fleet.sh: members' objects and $active readers' tokens after $((SECONDS - started_at))s" >&2

# --- the function -------------------------------------------------------------------------------

# launch NAME FLAGS...: starts the function as the shared overlay runs it, its log in WORK/NAME.
launch() {
  local name=$1
  shift
  mkdir -p "$work/$name"
  fn_log=$work/$name/function.log
  echo "$name" > "$work/phase"
  # The shared overlay's environment (knative/overlays/shared/service.yaml), its hosting cluster
  # reached through KUBECONFIG; -Dfleet.work names the work directory, so that a later run can tell
  # a function this one left.
  # shellcheck disable=SC2086  # lists of flags and variables
  (cd "$work/$name" && exec env $image_env KUBECONFIG="$work/hosting.kubeconfig" \
    POD_IDENTITY_CALLER_TOKEN_FILE=/etc/pod-identity/closed/caller-token \
    POD_IDENTITY_CLUSTER_SECRETS_ENABLED=true POD_IDENTITY_CLUSTER_SECRETS_NAMESPACE=pod-identity \
    POD_IDENTITY_AWS_DEFAULT_REGION=eu-west-1 POD_IDENTITY_STS_REGIONAL_ENDPOINT=true \
    POD_IDENTITY_ON_LOOKUP_FAILURE=admit \
    QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$port" QUARKUS_HTTP_SSL_PORT="$tls_port" \
    QUARKUS_HTTP_SSL_CERTIFICATE_FILES="$work/serving.crt" QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES="$work/serving.key" \
    QUARKUS_MANAGEMENT_HOST=127.0.0.1 QUARKUS_MANAGEMENT_PORT="$management_port" \
    "$JAVA_HOME/bin/java" $jvm_flags $max_ram -XX:ActiveProcessorCount=$cpu_count "$@" \
    -Xlog:gc:file="$out/gc-$name.log" -Dfleet.work="$work" \
    -jar "$jar") > "$fn_log" 2>&1 &
  fn_pid=$!
  echo "$fn_pid" > "$work/function.pid"
  await 120 "the function's readiness" curl -sf -o /dev/null "http://127.0.0.1:$port/q/health/ready"
  # Each second: the phase; the function's RSS and CPU; the API servers' and etcds' CPU; the
  # function's connections to the hosting and the member API servers, and its callers' to it.
  timeline &
  sampler_pid=$!
  # The JVM meters are bound 10 s after a start without an admission; a first attach starts jcmd's listener.
  sleep 12
  jcmd_fn VM.version > /dev/null
}

# cpu_of FILE...: the CPU time (ms) of the processes whose pids the files hold, together.
cpu_of() {
  local f total=0
  for f in "$@"; do total=$((total + $(cpu_ms "$(cat "$f")" 2> /dev/null || echo 0))); done
  echo "$total"
}

timeline() {
  local hosting_port member_ports=() m filter
  hosting_port=$(sed -n 's/^APISERVER_PORT=//p' "$work/api-hosting/cluster.env")
  for m in $(seq 1 "$members"); do member_ports+=("dport = :$(sed -n 's/^APISERVER_PORT=//p' "$work/api-m$m/cluster.env")"); done
  filter="( $(printf '%s or ' "${member_ports[@]}" | sed 's/ or $//') )"
  while kill -0 "$fn_pid" 2> /dev/null; do
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date +%s)" "$(cat "$work/phase")" \
      "$(awk '/^VmRSS/ {print $2}' "/proc/$fn_pid/status" 2> /dev/null)" "$(cpu_ms "$fn_pid" 2> /dev/null)" \
      "$(cpu_of "$work/api-hosting/apiserver.pid")" "$(cpu_of "$work"/api-m*/apiserver.pid)" \
      "$(cpu_of "$work"/api-*/etcd.pid)" \
      "$(ss -Htn state established "( dport = :$hosting_port )" | wc -l)" \
      "$(ss -Htn state established "$filter" | wc -l)" \
      "$(ss -Htn state established "( sport = :$tls_port )" | wc -l)"
    sleep 1
  done >> "$out/timeline.tsv"
}

# api_requests LABEL: what the API servers were asked so far (apiserver_request_total, and the
# seconds they spent answering), by server, verb, resource and code; lines of OUT/api-requests.tsv.
api_requests() {
  local dir
  for dir in "$work"/api-*/; do
    dir=${dir%/}
    (. "$dir/cluster.env" && curl -s -m 10 --cacert "$CA_FILE" --cert "$ADMIN_CERT" --key "$ADMIN_KEY" "$APISERVER_URL/metrics") |
      awk -v label="$1" -v server="${dir##*/api-}" '
        /^apiserver_request_total\{/ || /^apiserver_request_duration_seconds_sum\{/ {
          verb = $0; sub(/.*verb="/, "", verb); sub(/".*/, "", verb)
          resource = $0; sub(/.*[{,]resource="/, "", resource); sub(/".*/, "", resource)
          code = "-"; if ($0 ~ /code="/) {code = $0; sub(/.*code="/, "", code); sub(/".*/, "", code)}
          what = ($0 ~ /^apiserver_request_total/) ? "requests" : "seconds"
          if (resource == "secrets" || resource == "serviceaccounts") s[what "\t" verb "\t" resource "\t" code] += $NF
        }
        END {for (k in s) printf "%s\t%s\t%s\t%s\n", label, server, k, s[k]}' >> "$out/api-requests.tsv"
  done
}

# survived NAME: whether the instance NAME still runs; if not, says how it ended in OUT/died.txt,
# with its peak RSS as sampled (the process is gone).
survived() {
  [ -n "$fn_pid" ] || return 1
  kill -0 "$fn_pid" 2> /dev/null && return 0
  { echo "Instance $1 exited during \"$(cat "$work/phase")\":"; echo; echo '```'
    grep -v '^{"cluster"' "$fn_log" | grep -E 'OutOfMemory|ERROR|blocked for' | tail -8 | cut -c1-300
    echo '```'; } >> "$out/died.txt"
  printf '%s\t%s\n' "$1" "$(awk -F'\t' -v n="$1" 'index($2, n) == 1 && $3 > m {m = $3} END {print m}' "$out/timeline.tsv")" \
    >> "$out/rss-peaks.tsv"
  echo "fleet.sh: the function ($1) exited during $(cat "$work/phase")" >&2
  wait "$fn_pid" 2> /dev/null || true
  stop_function
  return 1
}

# profile_start / profile_stop NAME: with PROFILE=1, the function's CPU by async-profiler (itimer,
# 1 ms) between the two, in OUT/profile-NAME.collapsed, and its top frames in OUT/profile-NAME.txt.
profile_start() {
  [ -n "$profile" ] || return 0
  # Quoted: jcmd would read an unquoted "a=b" as an option of its own, and the agent would get nothing.
  jcmd_fn JVMTI.agent_load "$profiler" '"start,event=itimer,interval=1ms"' > /dev/null
}
profile_stop() {
  [ -n "$profile" ] || return 0
  jcmd_fn JVMTI.agent_load "$profiler" "\"stop,file=$out/profile-$1.collapsed,collapsed\"" > /dev/null
  [ -f "$out/profile-$1.collapsed" ] || fail "async-profiler wrote no profile-$1.collapsed (see $fn_log)"
  python3 "$here/benchmarks/fleet.py" profile "$out/profile-$1.collapsed" > "$out/profile-$1.txt"
}

# stop NAME: records the instance's peak RSS (VmHWM), then stops it.
stop() {
  printf '%s\t%s\n' "$1" "$(awk '/^VmHWM/ {print $2}' "/proc/$fn_pid/status")" >> "$out/rss-peaks.tsv"
  stop_function
}

phase() { echo "$1" > "$work/phase"; }

# measure LABEL: RSS, anonymous RSS and heap used (KiB) after a full collection, and the load average.
measure() {
  local rss anon heap
  jcmd_fn GC.run > /dev/null
  sleep 2
  heap=$(jcmd_fn GC.heap_info |
    awk '/ total [0-9]+K, used / && !/space/ {for (i = 1; i < NF; i++) if ($i == "used") {v = $(i + 1); sub(/K.*/, "", v); s += v}} END {print s}')
  read -r rss anon < <(awk '/^VmRSS/ {r = $2} /^RssAnon/ {a = $2} END {print r, a}' "/proc/$fn_pid/status")
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$rss" "$anon" "$heap" "$(loadavg)" >> "$out/memory.tsv"
  echo "fleet.sh: $1: RSS $((rss / 1024)) MiB, heap used $((heap / 1024)) MiB" >&2
}

# histogram NAME: the classes on the heap (a full collection first), largest first.
histogram() {
  jcmd_fn GC.class_histogram > "$work/histogram-$1.txt"
  { head -63 "$work/histogram-$1.txt"; echo "..."; grep -m 80 -E 'dev\.podidentity|fabric8|HttpClientImpl|SSLContextImpl|SSLEngineImpl|Caffeine|micrometer' \
    "$work/histogram-$1.txt"; } > "$out/histogram-$1.txt"
}

# first_admissions NAME: one admission of each active cluster, one after another over one HTTPS
# connection (per part), memory read after the first tenth ("NAME: a tenth active") and after all
# ("NAME: active"); writes OUT/first-NAME.tsv (id, status, seconds) and OUT/first-NAME.txt (fleet.py first).
first_admissions() {
  local part
  rm -rf "$work/answers" && mkdir -p "$work/answers"
  : > "$out/first-$1.tsv"
  for part in 1 2; do
    [ -s "$work/first-$part.curl" ] || continue
    timeout $((active * 15 + 60)) curl -s -K "$work/first-$part.curl" >> "$out/first-$1.tsv" ||
      fail "the first admissions did not end"
    [ "$part" = 2 ] || measure "$1: a tenth active"
  done
  measure "$1: active"
  python3 "$here/benchmarks/fleet.py" first "$work" "$out/first-$1.tsv" > "$out/first-$1.txt"
  echo "fleet.sh: first admissions ($1): $(cat "$out/first-$1.txt") (count, patched, p50, p90, max, first, max of others)" >&2
  read -r count patched _ < "$out/first-$1.txt"
  [ "$patched" = "$active" ] || fail "$((active - patched)) of $count first admissions were not answered 200 with a patch ($out/first-$1.tsv, $work/answers)"
}

# attack NAME VEGETA-FLAGS...: vegeta over the targets, one line of OUT/load.tsv.
attack() {
  local name=$1
  shift
  phase "main: $name"
  "$vegeta" attack -targets="$work/targets.txt" -root-certs="$work/serving.crt" -timeout=10s "$@" > "$work/$name.bin"
  "$vegeta" report -type=json < "$work/$name.bin" > "$out/$name.json"
  printf '%s\t%s %s\n' "$name" "$(python3 "$here/benchmarks/fleet.py" vegeta "$out/$name.json")" "$(loadavg)" >> "$out/load.tsv"
  rm -f "$work/$name.bin"
  echo "fleet.sh: $name: $(tail -1 "$out/load.tsv")" >&2
}

# admit ID: one admission for a cluster; prints its status, and 200 only when the answer carries a patch.
admit() {
  local token body code
  token=$(awk -v id="$1" '$1 == id {print $2}' "$work/callers.tsv" | tail -1)
  body=$(curl -s -m 10 --cacert "$work/serving.crt" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary @"$work/review.json" -w '\n%{http_code}' "$url/clusters/$1/mutate" || true)
  code=${body##*$'\n'}
  [ "$code" != 200 ] || grep -q '"patch"' <<< "$body" || code=200-without-patch
  echo "$code"
}

# served ID DELAY: creates the Secret of a new cluster (reaching what active cluster 1 reaches),
# after asking for it DELAY seconds before (none: never asked), then asks every 0.1 s until its
# admission is patched; one line of OUT/served.tsv.
served() {
  local id=$1 delay=$2 asked=no created polls=0 code ms
  python3 "$here/benchmarks/fleet.py" secret "$work" "$id" 1 > "$work/secret-$id.yaml"
  if [ "$delay" != - ]; then
    asked=yes
    code=$(admit "$id")
    [ "$code" = 404 ] || fail "cluster $id was answered $code before its Secret existed"
    sleep "$delay"
  fi
  k hosting create -f "$work/secret-$id.yaml" > /dev/null
  created=$(date +%s%N)
  until [ "$(admit "$id")" = 200 ]; do
    polls=$((polls + 1))
    [ $(( $(date +%s%N) - created )) -lt 90000000000 ] || fail "cluster $id not served 90 s after its Secret was created"
    sleep 0.1
  done
  ms=$(( ($(date +%s%N) - created) / 1000000 ))
  printf '%s\t%s\t%s\t%s\t%s\n' "$id" "$asked" "$delay" "$ms" "$polls" >> "$work/served-$id.tsv"
}

# --- 1, 2: memory, idle registered and active; the first admissions -----------------------------

launch main
measure "main: started"
phase "main: Secrets"
secrets_started=$SECONDS
pids=()
for f in "$work"/secrets-*.yaml; do
  k hosting create -f "$f" > /dev/null &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "creating the Secrets"; done
echo "SECRETS_SECONDS=$((SECONDS - secrets_started))" >> "$out/run.env"
count=$(k hosting -n pod-identity get secrets -l pod-identity.dev/cluster --no-headers | wc -l)
[ "$count" = "$registered" ] || fail "$count Secrets labelled pod-identity.dev/cluster, not $registered"
sleep 5
measure "main: registered"
phase "main: first admissions"
profile_start
first_admissions main
profile_stop first-admissions
histogram main-active

# --- 3: admissions across the clusters ----------------------------------------------------------

: > "$out/load.tsv"
: > "$out/served.tsv"
api_requests "main: before load"
# Closed loop: a warm-up must not be an overload of its own.
attack warm-up -rate=0 -max-workers=4 -duration=10s
for round in $(seq 1 "$saturation_rounds"); do
  survived main || break
  [ "$round" != 1 ] || profile_start
  attack "saturation-$round" -rate=0 -max-workers="$workers" -duration="${saturation_seconds}s"
  [ "$round" != 1 ] || profile_stop saturation
done
if [ -z "${RATES:-}" ]; then
  best=$(awk '$1 ~ /^saturation/ {print int($3)}' "$out/load.tsv" | sort -n | tail -1)
  rates="$((best / 4)) $((best / 2))"
fi
for rate in $rates; do
  survived main && [ "$rate" -gt 0 ] || break
  attack "rate-$rate" -rate="$rate" -duration="${seconds_per_rate}s"
done
api_requests "main: after load"
if survived main; then
  phase "main: after load"
  measure "main: after load"
  histogram main-after-load

  # --- 4: from a Secret's creation to its cluster served ----------------------------------------

  phase "main: Secret to served"
  for i in 1 2 3 4 5; do
    served "new-$i" -
  done
  # Asked 1 to 20 s before the Secret existed, concurrently: the answer "no such cluster" is cached too.
  delays="1 3 6 12 20"
  pids=()
  for delay in $delays; do
    served "asked-$delay" "$delay" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || fail "a cluster asked before its Secret existed was not served"; done
  for id in new-1 new-2 new-3 new-4 new-5 $(printf 'asked-%s ' $delays); do
    cat "$work/served-$id.tsv" >> "$out/served.tsv"
  done

  # --- overload: far past saturation, as an API server in a pod storm sends ---------------------

  if [ "$overload_rate" -gt 0 ]; then
    attack "overload-$overload_rate" -rate="$overload_rate" -duration="${overload_seconds}s"
    sleep 5
    survived main && measure "main: after overload"
  fi
  ! survived main || stop main
fi

# --- 5: eviction --------------------------------------------------------------------------------

launch evict "-Dpod-identity.cluster-idle-after=$idle_after"
measure "evict: started"
histogram evict-started
phase "evict: first admissions"
first_admissions evict
last_admission=$SECONDS
histogram evict-active
# One scrape of the metrics, as a Prometheus would make it, with every cluster active.
phase "evict: metrics scrape"
curl -s -m 60 -o "$work/metrics.txt" -w '%{http_code} %{size_download} %{time_total}\n' \
  "http://127.0.0.1:$management_port/q/metrics" > "$work/scrape.txt" || true
read -r scrape_code scrape_bytes scrape_seconds < "$work/scrape.txt"
printf 'One scrape of /q/metrics with %s clusters active: HTTP %s, %s bytes, %s series (%s labelled with a cluster, %s with a cluster'"'"'s fault-tolerance guard), %s s.\n' \
  "$active" "$scrape_code" "$scrape_bytes" "$(grep -vc '^#' "$work/metrics.txt")" \
  "$(grep -c 'cluster="c[0-9]' "$work/metrics.txt")" "$(grep -c 'kubernetes-api\[c[0-9]' "$work/metrics.txt")" \
  "$scrape_seconds" > "$out/scrape.txt"
phase "evict: idle"
idle_seconds=${idle_after%s}
all_evicted() { [ "$(grep -c 'no admission for a while' "$fn_log")" -ge "$active" ]; }
profile_start
await $((idle_seconds + 180)) "$active clusters evicted" all_evicted
profile_stop eviction
evicted_after=$((SECONDS - last_admission))
sleep 5
measure "evict: evicted"
histogram evict-evicted
again=$(admit c00001)
{
  echo "With \`pod-identity.cluster-idle-after=$idle_after\`: $(grep -c 'no admission for a while' "$fn_log") clusters closed" \
    "(\"no admission for a while\" in the log) within ${evicted_after}s of the last admission;" \
    "then cluster c00001 answered $again (built again)."
  echo
  echo "| class | instances after start | all active | all evicted |"
  echo "|---|---:|---:|---:|"
  for class in dev.podidentity.cluster.ServedCluster dev.podidentity.serviceaccount.ApiServerClient \
    dev.podidentity.metrics.ClusterMetrics io.micrometer.core.instrument.Meter\$Id \
    '[Lio.vertx.core.net.impl.pool.SimpleConnectionPool$Slot;' io.vertx.core.http.impl.Http1xClientConnection \
    io.fabric8.kubernetes.client.Config dev.podidentity.cluster.SecretClusters\$Found; do
    echo "| \`$class\` | $(awk -v c="$class" '$4 == c {print $2}' "$work/histogram-evict-started.txt") |" \
      "$(awk -v c="$class" '$4 == c {print $2}' "$work/histogram-evict-active.txt") |" \
      "$(awk -v c="$class" '$4 == c {print $2}' "$work/histogram-evict-evicted.txt") |"
  done
  echo
  cat "$out/scrape.txt"
} > "$out/evicted.txt"
{
  echo "## What an active cluster holds (class histograms: after start, then all active)"
  echo
  python3 "$here/benchmarks/fleet.py" per-cluster "$work/histogram-evict-started.txt" "$work/histogram-evict-active.txt" "$active"
  echo
  echo "## What it leaves behind once closed (after start, then all evicted)"
  echo
  python3 "$here/benchmarks/fleet.py" per-cluster "$work/histogram-evict-started.txt" "$work/histogram-evict-evicted.txt" "$active"
} > "$out/histogram-per-cluster.md"
[ "$again" = 200 ] || fail "cluster c00001 answered $again after it was evicted"
stop evict

stop_api_servers
echo "RUN_SECONDS=$((SECONDS - started_at))" >> "$out/run.env"
python3 "$here/benchmarks/fleet.py" summary "$out"
