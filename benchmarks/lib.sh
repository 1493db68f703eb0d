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

# The packaged function (built if missing).
function_jar() {
  local jar="$here/function/target/quarkus-app/quarkus-run.jar"
  [ -f "$jar" ] || "$here/mvnw" -q -f "$here/pom.xml" -pl function -DskipTests package >&2
  echo "$jar"
}

# median: the median of the whole numbers on standard input, one a line.
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
