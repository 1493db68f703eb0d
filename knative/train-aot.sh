#!/bin/bash
# Training run for the JDK AOT cache (JEP 483/514/515), driven by knative/build-image.sh when it
# builds the image (and by benchmarks/startup.sh, which measures the result).
#
# Starts the function with -XX:AOTCacheOutput, sends it admission reviews until the admission path,
# the JSON (de)serialisation and the health endpoints have been loaded and profiled, then stops it
# with SIGTERM: the JVM writes the cache when it exits. Run it where the function runs in
# production (/deployments, the same jar path as the production command line) with the same java
# and the same GC and heap flags, after the application's files are in their final place with
# their final timestamps: the cache describes exactly those jars, and the JVM does not reliably
# notice when they change afterwards (knative/IMAGE.md, "The AOT cache").
#
# The function's JVM is started with the command in JAVA (default: java from the PATH), so that it
# can run elsewhere than this script: build-image.sh starts the image's own JRE in a chroot of the
# image's root file system, as the image's user. This script, the requests and the stand-in API
# server stay outside; the chroot shares the network. TRAIN_ROOT names that root: the cache path
# is then the JVM's, under TRAIN_ROOT for this script.
#
# With TRAIN_API_DIR, the ServiceAccounts come from a stand-in API server, so the cache also holds
# what the first admission after a scale-from-zero needs in production: the fabric8 Kubernetes
# client, its Vert.x HTTP client, the lookup cache and the fault-tolerance guard, warmed on real
# GETs over TLS. The stand-in is knative/TrainApiServer.java, run by the java on the PATH: it
# answers GET /api/v1/namespaces/<ns>/serviceaccounts/<name> with the file at that path under
# TRAIN_API_DIR (200, the ServiceAccount's JSON) and 404 for any other, over HTTPS with a
# certificate signed by a CA of its own, as a cluster's API server does. The function checks it
# against that CA (fabric8's kubernetes.certs.ca.file, as in a pod) and sends a bearer token, so
# the TLS handshake, the certificate checks and the encrypted records of the first lookup are
# trained too.
#
# The function also serves HTTPS during the training, on TRAIN_TLS_PORT, and answers a few reviews
# there: the Deployment overlay ends TLS itself.
#
# Needs bash (the HTTP requests to the function go through /dev/tcp), openssl (the certificates)
# and curl (the HTTPS requests).
#
# usage: train-aot.sh <dir with AdmissionReview *.json files> [cache file, default app.aot]
# environment: JAVA (command starting the function's JVM, default java), TRAIN_ROOT (the root
# JAVA runs in, if not /), JAVA_OPTS (GC and heap flags), JAR (default quarkus-run.jar: give the
# path the production command line uses), TRAIN_PORT (8080), TRAIN_ROUNDS (200 passes over the
# reviews), TRAIN_API_DIR (absolute path of the stand-in API server's files; unset: no stand-in,
# the caller configures where ServiceAccounts come from), TRAIN_API_PORT (18080), TRAIN_TLS_PORT (8443)
set -euo pipefail
export LC_ALL=C              # ${#body} below must count bytes, not characters

reviews=${1:?usage: train-aot.sh <reviews-dir> [cache]}
cache=${2:-app.aot}
jar=${JAR:-quarkus-run.jar}
port=${TRAIN_PORT:-8080}
rounds=${TRAIN_ROUNDS:-200}

# Prints the status line of one HTTP/1.1 request (with WHOLE=1 the whole response); empty if the
# connection is refused.
request() {
    local method=$1 path=$2 body=${3:-} status=
    exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || return 0
    printf '%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "$method" "$path" "${#body}" "$body" >&3
    IFS= read -r status <&3 || true
    printf '%s\n' "${status%$'\r'}"
    if [ "${WHOLE:-}" = 1 ]; then cat <&3; else cat <&3 >/dev/null; fi
    exec 3>&-
}

# Certificates, made with openssl: the function's own for HTTPS (ECDSA P-256, as the Deployment
# overlay's cert-manager Certificate), and for the stand-in API server a CA and an RSA 2048
# certificate signed by it, as kube-apiserver's usually are. The function's JVM reads its files
# where it sees /tmp: in TRAIN_ROOT's /tmp when it runs there.
pki=$(mktemp -d)
tls=/tmp/train-aot.$$
(cd "$pki" && umask 077 &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 -keyout serving.key -out serving.crt &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -sha256 -subj /CN=train-api-ca \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign -keyout ca.key -out ca.crt &&
    openssl req -newkey rsa:2048 -nodes -sha256 -subj /CN=kube-apiserver -keyout api.key -out api.csr &&
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > api.ext &&
    openssl x509 -req -in api.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 -extfile api.ext -out api.crt &&
    openssl pkcs12 -export -in api.crt -inkey api.key -certfile ca.crt -passout pass:train -out api.p12) 2>/dev/null ||
    { echo "train-aot: openssl could not make the training's certificates" >&2; exit 1; }
api_pid=
trap 'kill -KILL $api_pid 2>/dev/null || true; rm -rf "$pki" "${TRAIN_ROOT:-}$tls"' EXIT
# Readable by the function's user (the image's 185); throwaway keys, gone when the training ends.
mkdir -p "${TRAIN_ROOT:-}$tls"
install -m 0644 "$pki/ca.crt" "$pki/serving.crt" "$pki/serving.key" "${TRAIN_ROOT:-}$tls/"
tls_port=${TRAIN_TLS_PORT:-8443}
tls_opts=(-Dquarkus.http.ssl-port="$tls_port" -Dquarkus.http.ssl.certificate.files="$tls/serving.crt"
    -Dquarkus.http.ssl.certificate.key-files="$tls/serving.key")

api_opts=()
if [ -n "${TRAIN_API_DIR:-}" ]; then
    api_port=${TRAIN_API_PORT:-18080}
    ca_file=$tls/ca.crt
    java "$(dirname "$0")/TrainApiServer.java" "$TRAIN_API_DIR" "$api_port" "$pki/api.p12" train &
    api_pid=$!
    # Through fabric8's own configuration (Quarkus's Kubernetes client config), the path of the
    # overlays' function in its cluster: a CA file and a token; no kubeconfig or service account
    # of the machine instead.
    # The first lookups of two cold JVMs over TLS on a busy build machine can outlast the shipped
    # 1 s per call and 3 s per admission; a failed lookup would train the failure path and open the
    # breaker, so the training allows them longer (values only: the same code runs).
    api_opts=(-Dkubernetes.master="https://127.0.0.1:$api_port" -Dkubernetes.certs.ca.file="$ca_file"
        -Dkubernetes.auth.token=train -Dkubernetes.auth.tryKubeConfig=false -Dkubernetes.auth.tryServiceAccount=false
        -Dpod-identity.lookup.request-timeout=20s -Dpod-identity.lookup.budget=60s)
    for _ in $(seq 1 600); do   # it compiles itself first: seconds on a busy machine
        { exec 3<>"/dev/tcp/127.0.0.1/$api_port"; } 2>/dev/null && { exec 3>&-; break; }
        kill -0 "$api_pid" 2>/dev/null || { echo "train-aot: the stand-in API server did not start" >&2; exit 1; }
        sleep 0.1
    done
fi

# shellcheck disable=SC2086  # JAVA is a command line, JAVA_OPTS a list of flags
${JAVA:-java} ${JAVA_OPTS:-} "${api_opts[@]}" "${tls_opts[@]}" -XX:AOTCacheOutput="$cache" -Dquarkus.http.port="$port" -Dquarkus.management.port="${TRAIN_MANAGEMENT_PORT:-9000}" \
    -Dquarkus.http.host=127.0.0.1 -jar "$jar" &
pid=$!
trap 'kill -KILL "$pid" $api_pid 2>/dev/null || true; rm -rf "$pki" "${TRAIN_ROOT:-}$tls"' ERR EXIT

for _ in $(seq 1 1200); do  # up to 5 minutes: a busy build machine may start it slowly
    case $(request GET /q/health/ready) in *" 200"*) break ;; esac
    kill -0 "$pid" || { echo "train-aot: the function exited before it was ready" >&2; exit 1; }
    sleep 0.25
done

shopt -s nullglob
files=()
for f in "$reviews"/*.json; do       # only AdmissionReviews, not the other example files
    case $(<"$f") in *'"AdmissionReview"'*) files+=("$f") ;; esac
done
[ ${#files[@]} -gt 0 ] || { echo "train-aot: no *.json in $reviews" >&2; exit 1; }
# A training run whose lookups fail would fill the cache with the failure path: check first. The
# first lookups of a cold JVM on a busy machine may outlast the lookup budget (3 s): a few tries.
for f in "${files[@]}"; do
    for try in 1 2 3 4 5; do
        case $(WHOLE=1 request POST /mutate "$(cat "$f")") in
            *"lookup failed"*) ;;
            *) continue 2 ;;
        esac
        echo "train-aot: ServiceAccount lookup failed ($f, try $try)" >&2
        sleep 1
    done
    echo "train-aot: ServiceAccount lookups fail: $f" >&2
    exit 1
done
for ((i = 0; i < rounds; i++)); do
    for f in "${files[@]}"; do
        request POST /mutate "$(cat "$f")" >/dev/null
    done
done
# HTTPS as the Deployment overlay serves it (the Knative overlays serve plain HTTP behind the
# ingress): the server's TLS set-up is on the start path, its handshake and records on the first
# admission's.
for ((i = 0; i < 20; i++)); do
    curl -sk --http2 -o /dev/null -H 'Content-Type: application/json' --data-binary @"${files[0]}" \
        "https://127.0.0.1:$tls_port/mutate" || { echo "train-aot: no answer over HTTPS" >&2; exit 1; }
done
# The refusal paths (400, 405) and the other endpoints Kubernetes and Prometheus call.
echo "train-aot: /mutate not JSON -> $(request POST /mutate 'not json')"
echo "train-aot: GET /mutate -> $(request GET /mutate)"
request GET /q/health/live >/dev/null
port=${TRAIN_MANAGEMENT_PORT:-9000} request GET /q/metrics >/dev/null   # the management port
echo "train-aot: sent $((rounds * ${#files[@]})) reviews; stopping the function to write $cache"

kill -TERM "$pid"
wait "$pid" || true          # 143 after SIGTERM is the expected exit
[ -z "$api_pid" ] || { kill "$api_pid"; wait "$api_pid" 2>/dev/null || true; }
test -s "${TRAIN_ROOT:-}$cache" || { echo "train-aot: $cache was not written" >&2; exit 1; }
ls -l "${TRAIN_ROOT:-}$cache"
