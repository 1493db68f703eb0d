# Shared by the measurement scripts (sourced): the JDK, the load generator, the stand-in API server.
# Expects $here (the repository root) to be set.
. "$here/.mvn/select-jdk.sh"
bench_cache=${XDG_CACHE_HOME:-$HOME/.cache}/pod-identity-soak
mkdir -p "$bench_cache"

# vegeta, the fixed-rate load generator, from the Go module proxy (installed once).
vegeta_bin() {
  local bin="$bench_cache/bin/vegeta"
  [ -x "$bin" ] || GOBIN="$bench_cache/bin" GOTOOLCHAIN=local go install github.com/tsenart/vegeta/v12@v12.12.0 >&2
  echo "$bin"
}

# WireMock standalone, the stand-in API server, from Maven Central (once).
wiremock_jar() {
  local jar="$bench_cache/wiremock-standalone-3.13.2.jar"
  [ -f "$jar" ] || "$here/mvnw" -q -f "$here/pom.xml" dependency:copy \
    -Dartifact=org.wiremock:wiremock-standalone:3.13.2 -DoutputDirectory="$bench_cache" >&2
  echo "$jar"
}

# The packaged function, built when missing or older than its sources.
function_jar() {
  local jar="$here/function/target/quarkus-app/quarkus-run.jar"
  # Built again when a source or build file is newer than it: a stale jar would measure old code.
  [ -f "$jar" ] && [ -z "$(find "$here/function/src/main" "$here/function/pom.xml" "$here/pom.xml" -newer "$jar" -print -quit)" ] ||
    "$here/mvnw" -q -f "$here/pom.xml" -pl function -DskipTests package >&2
  echo "$jar"
}

# loadavg: the one-minute load average, written beside every figure taken.
loadavg() { cut -d' ' -f1 /proc/loadavg; }

# median: the median of the whole numbers on standard input, one a line.
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

# image_jvm: sets jvm_flags (JVM_FLAGS of knative/image.conf, which knative/build-image.sh trains
# the AOT cache with and ships, checked equal to every overlay's JAVA_TOOL_OPTIONS), max_ram
# (-XX:MaxRAM standing in for the single-cluster overlay's memory limit) and image_env (the image's
# MALLOC_* settings), so that measurements run what ships. The file is read in a subshell: a
# JVM_FLAGS of the caller's (load.sh compares other flags with it) stays as it is.
image_jvm() {
  local manifest overlay_flags expected
  jvm_flags=$(. "$here/knative/image.conf" && printf '%s' "${JVM_FLAGS:-}")
  [ -n "$jvm_flags" ] || { echo "no JVM_FLAGS in knative/image.conf" >&2; exit 1; }
  for manifest in $(grep -rl JAVA_TOOL_OPTIONS "$here/knative/overlays"); do
    overlay_flags=$(awk '/name: JAVA_TOOL_OPTIONS/ {f = 1; next} f && /^ *- name:/ {exit}
      f && /^ *-X/ {for (i = 1; i <= NF && $i != "#"; i++) printf "%s ", $i}' "$manifest")
    expected="-XX:AOTCache=/deployments/app.aot $jvm_flags"
    if [ "${overlay_flags% }" != "$expected" ]; then
      echo "$manifest starts the JVM with '${overlay_flags% }', the image (knative/image.conf) with" \
        "'$expected'" >&2
      exit 1
    fi
  done
  image_env=$(. "$here/knative/image.conf" && printf 'MALLOC_ARENA_MAX=%s' "${MALLOC_ARENA_MAX:?}")
  max_ram=$(max_ram_of "$here/knative/overlays/single-cluster/service.yaml")
}

# deployment_jvm: image_jvm, then the heap of the Deployment overlay, the one overlay that ends TLS
# itself: the image's flags and its own memory limit.
deployment_jvm() {
  image_jvm
  max_ram=$(max_ram_of "$here/knative/overlays/deployment/deployment.yaml")
}

# max_ram_of MANIFEST: -XX:MaxRAM=<the container's memory limit in MANIFEST>, standing in for the
# cgroup limit the JVM sizes its heap from in the cluster.
max_ram_of() {
  local limit
  limit=$(awk '/limits:/ {l = 1} l && /memory:/ {print $2; exit}' "$1")
  case $limit in *Mi) echo "-XX:MaxRAM=${limit%Mi}m" ;; *Gi) echo "-XX:MaxRAM=${limit%Gi}g" ;;
    *) echo "cannot read the memory limit '$limit' of $1" >&2; return 1 ;; esac
}

# image_app DIR: the packaged function laid out as the image has it, in DIR/app: function/target/
# quarkus-app copied with its timestamps (an AOT cache describes these exact jars), its dependency
# jars merged into one (knative/MergeLibs.java), and netty-tcnative's library in DIR/app/native,
# where $app_libs (-Djava.library.path=native, for a JVM started in DIR/app) finds it as the image's
# JVM finds it in /usr/java/packages/lib.
image_app() {
  cp -a "$here/function/target/quarkus-app" "$1/app"
  "$JAVA_HOME/bin/java" "$here/knative/MergeLibs.java" "$1/app" > /dev/null
  python3 - "$1/app" <<'PY'
import os, sys, zipfile
app = sys.argv[1]
os.makedirs(os.path.join(app, "native"), exist_ok=True)
with zipfile.ZipFile(os.path.join(app, "lib/main/dependencies.jar")) as jar:
    name = "META-INF/native/libnetty_tcnative_linux_x86_64.so"
    with open(os.path.join(app, "native", os.path.basename(name)), "wb") as out:
        out.write(jar.read(name))
PY
  app_libs=-Djava.library.path=native
}

# train_aot DIR PORT API_PORT TLS_PORT [MANAGEMENT_PORT]: the packaged function in DIR/app as the
# image has it (image_app), and DIR/app/app.aot trained as
# knative/build-image.sh does: the flags of image_jvm (call it first), the same reviews and the same
# stand-in API server (knative/train-api), other paths (and the JDK here, the image's JRE there).
# Run the function from DIR/app as `java ... -jar quarkus-run.jar` for the cache to apply.
train_aot() {
  local dir=$1 port=$2 api_port=$3 tls_port=$4 management_port=${5:-9000}
  image_app "$dir"
  (cd "$dir/app" && PATH="$JAVA_HOME/bin:$PATH" JAVA_OPTS="$jvm_flags $max_ram $app_libs" \
    TRAIN_API_DIR="$here/knative/train-api" TRAIN_API_PORT=$api_port TRAIN_TLS_PORT=$tls_port \
    TRAIN_MANAGEMENT_PORT=$management_port \
    POD_IDENTITY_CONTAINER_CREDENTIALS_CONFIG_FILE="$here/examples/pod-identity-associations.json" \
    POD_IDENTITY_AWS_DEFAULT_REGION=eu-west-1 \
    TRAIN_PORT=$port bash "$here/knative/train-aot.sh" "$here/examples" app.aot > "$dir/train.log" 2>&1) ||
    { tail -20 "$dir/train.log" >&2; exit 1; }
}

# ec_certificate PREFIX: a self-signed ECDSA P-256 certificate for IP 127.0.0.1 (the key type the
# Deployment overlay's cert-manager Certificate asks for), as PREFIX.crt and PREFIX.key.
ec_certificate() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$1.key" -out "$1.crt" 2> /dev/null
}

# reference_webhook_bin VERSION: the AWS webhook this function re-implements
# (github.com/aws/amazon-eks-pod-identity-webhook), built from the Go module proxy once per version.
# Its go.mod has no replace directive, so `go install module@version` builds it as released.
reference_webhook_bin() {
  local dir="$bench_cache/amazon-eks-pod-identity-webhook-$1"
  [ -x "$dir/amazon-eks-pod-identity-webhook" ] || GOBIN="$dir" GOTOOLCHAIN=local GOFLAGS= \
    nice -n "${BUILD_NICE:-10}" go install "github.com/aws/amazon-eks-pod-identity-webhook@$1" >&2
  echo "$dir/amazon-eks-pod-identity-webhook"
}

# poll_mutate PORT TRIES PAUSE: POSTs examples/irsa-pod.json to the function on PORT until it
# answers 200 or TRIES run out, PAUSE seconds apart; prints the last HTTP status (000: no answer).
poll_mutate() {
  local port=$1 tries=$2 pause=$3 code=000
  for _ in $(seq 1 "$tries"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
      --data @"$here/examples/irsa-pod.json" "http://127.0.0.1:$port/mutate" || true)
    [ "$code" = 200 ] && break
    sleep "$pause"
  done
  echo "$code"
}

# stand_in_api_server DIR PORT: knative/TrainApiServer.java (the training's stand-in API server,
# serving knative/train-api) on PORT over HTTPS, with an RSA 2048 certificate signed by a CA of its
# own as a cluster's is; the CA lands in DIR/ca.crt (any bearer token is accepted). Sets api_pid and
# returns once the port accepts connections.
stand_in_api_server() {
  local dir=$1 port=$2
  (cd "$dir" && umask 022 &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -sha256 -subj /CN=stand-in-api-ca \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign -keyout ca.key -out ca.crt &&
    openssl req -newkey rsa:2048 -nodes -sha256 -subj /CN=kube-apiserver -keyout api.key -out api.csr &&
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > api.ext &&
    openssl x509 -req -in api.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 -extfile api.ext \
      -out api.crt &&
    openssl pkcs12 -export -in api.crt -inkey api.key -certfile ca.crt -passout pass:stand-in -out api.p12) \
    2> /dev/null || { echo "openssl could not make the stand-in API server's certificates" >&2; exit 1; }
  java "$here/knative/TrainApiServer.java" "$here/knative/train-api" "$port" "$dir/api.p12" stand-in \
    > "$dir/api.log" 2>&1 &
  api_pid=$!
  for _ in $(seq 1 300); do
    { exec 3<> "/dev/tcp/127.0.0.1/$port"; } 2> /dev/null && { exec 3>&-; return; }
    kill -0 "$api_pid" 2> /dev/null || { cat "$dir/api.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "the stand-in API server did not listen on $port" >&2
  exit 1
}

# stand_in_client DIR PORT: the JVM flags that point the function's Kubernetes client at the
# stand-in API server of stand_in_api_server DIR PORT through fabric8's own configuration, as in a
# pod: its URL, its CA, a bearer token, no kubeconfig or service account of this machine.
stand_in_client() {
  echo "-Dkubernetes.master=https://127.0.0.1:$2 -Dkubernetes.certs.ca.file=$1/ca.crt" \
    "-Dkubernetes.auth.token=stand-in -Dkubernetes.auth.tryKubeConfig=false -Dkubernetes.auth.tryServiceAccount=false"
}

# launch_image SIDE CPUS EXTRA LOG: starts the function as the image of the checkout SIDE runs it
# (knative/target/image/root: its jlinked JRE and AOT cache; knative/image.conf's JVM_FLAGS and
# MALLOC_ARENA_MAX; the single-cluster overlay's memory limit as -XX:MaxRAM), EXTRA flags after
# them, pinned to the taskset CPU list CPUS, output to LOG. It serves plain HTTP on $port, HTTPS on
# $tls_port with $work/serving.crt and .key (ec_certificate), management on $management_port, and
# reads ServiceAccounts from the stand-in API server on $api_port (stand_in_api_server "$work"
# "$api_port"). Sets pid. OVERLAY runs it as a shipped overlay runs it instead: knative (plain HTTP
# only, no HTTPS port, as behind the Knative ingress) or deployment (that overlay's memory limit,
# HTTPS as above).
launch_image() {
  local side=$1 cpus=$2 extra=$3 log=$4 flags arena ram libs= root tls
  read -r arena flags < <(. "$side/knative/image.conf" && printf '%s %s\n' "$MALLOC_ARENA_MAX" "$JVM_FLAGS")
  ram=$(max_ram_of "$side/knative/overlays/single-cluster/service.yaml")
  tls=(-Dquarkus.http.ssl-port="$tls_port" -Dquarkus.http.ssl.certificate.files="$work/serving.crt"
    -Dquarkus.http.ssl.certificate.key-files="$work/serving.key")
  case ${OVERLAY:-} in
    '') ;;
    knative) tls=() ;;
    deployment)
      ram=$(max_ram_of "$side/knative/overlays/deployment/deployment.yaml") ;;
    *) echo "OVERLAY is knative or deployment, not '$OVERLAY'" >&2; exit 1 ;;
  esac
  root=$side/knative/target/image/root
  # The image's native libraries, which its JVM finds on its default java.library.path; this JVM
  # runs outside the image's root.
  [ -d "$root/usr/java/packages/lib" ] && libs=-Djava.library.path=$root/usr/java/packages/lib
  # The AOT cache was trained at /deployments, in the image's root. Started elsewhere, the JVM looks
  # for every cached class's jar at its trained path, fails and does not remember it: ~5,000
  # exceptions and ~35 ms more per start (benchmarks/README.md, "Cold start"). Where it can (as
  # root), it runs with the side's deployments mounted at /deployments in a mount namespace of its
  # own; elsewhere as before, with the warning image_bench_setup prints.
  local in_place=(env)
  if [ -n "$deployments_mount" ]; then
    # shellcheck disable=SC2016  # expanded by the inner bash
    in_place=(unshare --mount --propagation private env DEPLOYMENTS="$root/deployments" bash -c \
      'mount --bind "$DEPLOYMENTS" /deployments && cd /deployments && exec "$@"' launch)
  fi
  # shellcheck disable=SC2046,SC2086  # flag lists
  (cd "$root/deployments" && exec env MALLOC_ARENA_MAX="$arena" taskset -c "$cpus" "${in_place[@]}" \
    "$root/opt/java/bin/java" -XX:AOTCache=app.aot $flags $ram $libs $extra $(stand_in_client "$work" "$api_port") \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" "${tls[@]}" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$management_port" -jar quarkus-run.jar) \
    > "$log" 2>&1 &
  pid=$!
}

# await_patch LOG [SCHEME]: polls the function of launch_image until an answer to POST /mutate
# (examples/irsa-pod.json) carries a patch, over HTTPS (the default; the Deployment overlay's path)
# or over plain HTTP with SCHEME http (the Knative overlays' path: TLS ends at the ingress, so the
# function makes no server handshake); stops the script with LOG's tail if it exits first.
await_patch() {
  local url="https://127.0.0.1:$tls_port/mutate"
  [ "${2:-https}" = http ] && url="http://127.0.0.1:$port/mutate"
  until curl -s -m 5 --cacert "$work/serving.crt" -H 'Content-Type: application/json' \
    --data @"$here/examples/irsa-pod.json" "$url" 2> /dev/null | grep -q '"patch"'; do
    kill -0 "$pid" 2> /dev/null || { echo "the function exited:" >&2; tail -5 "$1" >&2; exit 1; }
    sleep 0.01
  done
}

# cpu_ms PID: the CPU time, user and system, the process has used so far, in milliseconds.
cpu_ms() {
  awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"
}

# rss_mib PID: "<RSS MiB> <anonymous RSS MiB>" of the process.
rss_mib() {
  awk '/^VmRSS/ {r = $2} /^RssAnon/ {a = $2} END {print int(r / 1024), int(a / 1024)}' "/proc/$1/status"
}

# image_bench_setup NAME PORT: what the measurements of image builds (start-ab.sh, memory-ab.sh,
# profile-start.sh) set up first. Resolves the two sides, $before and $after, from BEFORE and AFTER
# (default: this checkout), checks that both have an image root, empties
# $out, makes $work (removed on exit, with the function and the stand-in stopped), takes the fixed
# ports PORT to PORT+3 ($api_port, $port, $tls_port, $management_port; each script has its own
# range), starts the stand-in API server and makes the serving certificate.
image_bench_setup() {
  local name=$1 first=$2 side
  before=$(cd "${BEFORE:-$here}" && pwd)
  after=$(cd "${AFTER:-$here}" && pwd)
  for side in "$before" "$after"; do
    [ -x "$side/knative/target/image/root/opt/java/bin/java" ] && [ -f "$side/knative/target/image/root/deployments/app.aot" ] ||
      { echo "$name: no image root in $side/knative/target: run knative/build-image.sh there first" >&2; exit 1; }
  done
  rm -rf "$out" && mkdir -p "$out"
  work=$(mktemp -d)
  api_pid=
  pid=
  # launch_image mounts each side's deployments at /deployments, where the AOT cache was trained,
  # when it can: as root, with /deployments absent (an empty directory is made for the mounts and
  # removed at the end) or empty.
  deployments_mount= made_deployments=
  if [ "$(id -u)" = 0 ] && command -v unshare > /dev/null; then
    [ -e /deployments ] || { mkdir /deployments && made_deployments=1; }
    [ -d /deployments ] && [ -z "$(ls -A /deployments)" ] && deployments_mount=1
  fi
  [ -n "$deployments_mount" ] || echo "$name: the image's JVM runs outside /deployments, where its AOT cache" \
    "was trained (needs root and a free /deployments): ~35 ms more per start" >&2
  trap 'kill $pid $api_pid 2>/dev/null || true; wait $pid $api_pid 2>/dev/null || true; rm -rf "$work"
    [ -z "$made_deployments" ] || rmdir /deployments' EXIT
  api_port=$first port=$((first + 1)) tls_port=$((first + 2)) management_port=$((first + 3))
  stand_in_api_server "$work" "$api_port"
  # The stand-in is a JVM: its first TLS handshakes run in its interpreter, tens of ms each, where
  # kube-apiserver's are Go's from the start. A few hundred connections first (a few seconds) warm it.
  local _
  for _ in $(seq 1 200); do
    curl -s -o /dev/null --cacert "$work/ca.crt" "https://127.0.0.1:$api_port/api/v1/namespaces/default/serviceaccounts/s3-reader" || true
  done
  ec_certificate "$work/serving"
}
