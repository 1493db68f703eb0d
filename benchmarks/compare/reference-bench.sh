#!/usr/bin/env bash
# The AWS webhook's admission handler in process, on the JMH fixtures (small, typical, large), for
# the figures beside the function's fullPath: `go test -bench` of reference_bench_test.go, copied
# into pkg/handler of a temporary copy of the reference module (REFERENCE_VERSION, default v0.6.17,
# from the Go module proxy). Prints go test's output; ns/op, B/op and allocs/op per fixture.
#
#   benchmarks/compare/reference-bench.sh     # BENCHTIME (default 2s), COUNT (5) go to go test
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
version=${REFERENCE_VERSION:-v0.6.17}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOTOOLCHAIN=local GOFLAGS=
module=github.com/aws/amazon-eks-pod-identity-webhook
# The module cache is read-only: the copy takes the test file and its build writes nothing there.
dir=$(cd "$work" && go mod download -json "$module@$version" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
cp -r "$dir" "$work/reference"
chmod -R u+w "$work/reference"
cp "$here/benchmarks/compare/reference_bench_test.go" "$work/reference/pkg/handler/"
cd "$work/reference"
echo "# $module $version, $(go env GOVERSION), load average $(cut -d' ' -f1-3 /proc/loadavg)"
FIXTURES_DIR="$here/benchmarks/src/main/resources/fixtures" go test -run '^$' -bench BenchmarkFullPath \
  -benchmem -benchtime "${BENCHTIME:-2s}" -count "${COUNT:-5}" ./pkg/handler/
