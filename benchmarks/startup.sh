#!/usr/bin/env bash
# Cold start: process start -> first answer to POST /mutate that had to look its ServiceAccount up
# in the API server (WireMock, reached through fabric8's own configuration as in a cluster), for
# the plain jar (the aot-jar packaging without its cache) and for the JDK AOT cache, on 2 CPUs and
# pinned to 1 (taskset -c 0). Prints the median of RUNS starts per variant, RSS after the first
# answer, and RSS after 100,000 admissions.
#
# Measures what ships: the JVM flags are knative/image.conf's JVM_FLAGS (the script stops if an
# overlay's JAVA_TOOL_OPTIONS say otherwise), the heap is sized from the Knative overlay's memory
# limit (-XX:MaxRAM stands in for the container's cgroup limit), and the AOT cache is trained as
# the container build trains it: knative/train-aot.sh with the same flags, the same reviews and
# the same stand-in API server (knative/train-api).
#
#   benchmarks/startup.sh            (RUNS=5; needs the packaged function, Go for vegeta, taskset)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
work=$(mktemp -d)
. "$here/benchmarks/lib.sh"
vegeta=$(vegeta_bin)
export PATH="$JAVA_HOME/bin:$PATH" # the java below is the JDK the wrapper uses
function_jar > /dev/null
wiremock=$(wiremock_jar)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

image_jvm # jvm_flags, max_ram, image_env: what the image and the overlays run with

api_port=18221; port=18222; train_api_port=18223; train_tls_port=18224
java -jar "$wiremock" --port $api_port --bind-address 127.0.0.1 --disable-banner --no-request-journal > "$work/wiremock.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$api_port/__admin/mappings" > /dev/null && break; sleep 0.1; done
curl -sf -X POST "http://127.0.0.1:$api_port/__admin/mappings" -d '{"request":{"method":"GET",
  "urlPathPattern":"/api/v1/namespaces/[^/]+/serviceaccounts/[^/]+"},"response":{"status":200,
  "headers":{"Content-Type":"application/json"},"jsonBody":{"apiVersion":"v1","kind":"ServiceAccount",
  "metadata":{"name":"s3-reader","namespace":"default",
  "annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::111122223333:role/s3-reader"}}}}}' > /dev/null

# The application in $work/app with the AOT cache trained as the container build trains it.
train_aot "$work" $port $train_api_port $train_tls_port

# No kubeconfig or in-cluster credentials of this machine may take precedence over WireMock.
opts="$jvm_flags $max_ram -Dkubernetes.master=http://127.0.0.1:$api_port -Dkubernetes.auth.tryKubeConfig=false
  -Dkubernetes.auth.tryServiceAccount=false"

first_answer() { # first_answer CPUS FLAGS...: prints "ms rss-kib" of one start
  local cpus=$1; shift
  local start pid code ms rss
  start=$(date +%s%N)
  # shellcheck disable=SC2086
  (cd "$work/app" && exec env $image_env taskset -c "$cpus" java $opts $app_libs "$@" -Dquarkus.http.port=$port -Dquarkus.http.host=127.0.0.1 \
      -jar quarkus-run.jar > "$work/run.log" 2>&1) &
  pid=$!
  code=$(poll_mutate "$port" 1000 0.01)
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  rss=$(ps -o rss= -p "$pid" | tr -d ' ')
  if [ "${AFTER:-}" = 1 ]; then
    printf 'POST http://127.0.0.1:%s/mutate\nContent-Type: application/json\n@%s\n\n' "$port" "$here/examples/irsa-pod.json" > "$work/t"
    "$vegeta" attack -targets="$work/t" -rate=5000 -duration=20s > /dev/null
    rss="$rss $(ps -o rss= -p "$pid" | tr -d ' ')"
  fi
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  sleep 0.3
  # A 200 is also the answer to a failed lookup (pod admitted unmutated): count only mutations.
  grep -q '"outcome":"mutated","reason":"role-arn annotation"' "$work/run.log" || ms=FAILED
  echo "$ms $rss"
}
checked() { # checked MS: MS, or the end of the function's log and a stop when the start failed
  [ "$1" != FAILED ] && return
  echo "startup.sh: the first answer was not a mutation from the API server:" >&2
  tail -5 "$work/run.log" >&2
  exit 1
}

echo "JVM flags: $jvm_flags $max_ram; environment: ${image_env:-none}"
echo
echo "| variant | CPUs | first answer, median of $runs (ms) | all runs (ms) | RSS after start (MiB) |"
echo "|---|---:|---:|---|---:|"
for variant in plain aot; do
  flags=""
  [ $variant = aot ] && flags="-XX:AOTCache=app.aot"
  for cpus in 0,1 0; do
    times=(); rss=0
    for _ in $(seq 1 "$runs"); do
      read -r ms r _ < <(first_answer "$cpus" $flags)
      checked "$ms"
      times+=("$ms"); rss=$r
    done
    echo "| $variant | $(( $(echo "$cpus" | tr -cd ',' | wc -c) + 1 )) | $(printf '%s\n' "${times[@]}" | median) | ${times[*]} | $((rss / 1024)) |"
  done
done
echo
for variant in plain aot; do
  flags=""
  [ $variant = aot ] && flags="-XX:AOTCache=app.aot"
  read -r ms before after < <(AFTER=1 first_answer 0,1 $flags)
  checked "$ms"
  echo "$variant: RSS $((before / 1024)) MiB after the first answer, $((after / 1024)) MiB after 100,000 admissions"
done
