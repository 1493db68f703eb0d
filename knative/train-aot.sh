#!/bin/bash
# Training run for the JDK AOT cache (JEP 483/514/515), driven by knative/Dockerfile at build time.
#
# Starts the function with -XX:AOTCacheOutput, sends it admission reviews until the admission path,
# the JSON (de)serialisation and the health endpoints have been loaded and profiled, then stops it
# with SIGTERM: the JVM writes the cache when it exits. Run it where the function runs in
# production (/deployments, the same jar path as the production command line) with the same java
# and the same GC and heap flags, after the application's files are in their final place with
# their final timestamps: the cache describes exactly those jars, and the JVM does not reliably
# notice when they change afterwards (see knative/Dockerfile).
#
# Needs only bash (the HTTP requests go through /dev/tcp): the Temurin JRE image has no curl.
#
# usage: train-aot.sh <dir with AdmissionReview *.json files> [cache file, default app.aot]
# environment: JAVA_OPTS (GC and heap flags), JAR (default quarkus-run.jar: give the path the
# production command line uses), TRAIN_PORT (8080), TRAIN_ROUNDS (200 passes over the reviews)
set -euo pipefail
export LC_ALL=C              # ${#body} below must count bytes, not characters

reviews=${1:?usage: train-aot.sh <reviews-dir> [cache]}
cache=${2:-app.aot}
jar=${JAR:-quarkus-run.jar}
port=${TRAIN_PORT:-8080}
rounds=${TRAIN_ROUNDS:-200}

# Prints the status line of one HTTP/1.1 request; empty if the connection is refused.
request() {
    local method=$1 path=$2 body=${3:-} status=
    exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || return 0
    printf '%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "$method" "$path" "${#body}" "$body" >&3
    IFS= read -r status <&3 || true
    cat <&3 >/dev/null
    exec 3>&-
    printf '%s\n' "${status%$'\r'}"
}

# shellcheck disable=SC2086  # JAVA_OPTS is a list of flags
java ${JAVA_OPTS:-} -XX:AOTCacheOutput="$cache" -Dquarkus.http.port="$port" -jar "$jar" &
pid=$!
trap 'kill -KILL "$pid" 2>/dev/null || true' ERR

for _ in $(seq 1 240); do
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
for ((i = 0; i < rounds; i++)); do
    for f in "${files[@]}"; do
        request POST /mutate "$(cat "$f")" >/dev/null
    done
done
# The refusal paths (400, 405) and the other endpoints Kubernetes and Prometheus call.
echo "train-aot: /mutate not JSON -> $(request POST /mutate 'not json')"
echo "train-aot: GET /mutate -> $(request GET /mutate)"
request GET /q/health/live >/dev/null
request GET /q/metrics >/dev/null
echo "train-aot: sent $((rounds * ${#files[@]})) reviews; stopping the function to write $cache"

kill -TERM "$pid"
wait "$pid" || true          # 143 after SIGTERM is the expected exit
test -s "$cache" || { echo "train-aot: $cache was not written" >&2; exit 1; }
ls -l "$cache"
