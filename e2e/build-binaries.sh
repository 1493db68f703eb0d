#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go module proxy (wrapper module in e2e/build/) into a
# cache directory keyed by the Kubernetes version, and prints that directory on stdout.
#
#   BIN=$(e2e/build-binaries.sh)      # then "$BIN/kube-apiserver", "$BIN/etcd"
#
# Skips the build when both binaries are there and were built from the same go.mod/go.sum, Go
# version and flags (stamp file). Needs only Go >= the go line of build/go.mod and the module
# proxy; Go's module and build caches are reused, so a rebuild after a cache wipe of the output
# directory alone takes about a minute.
#
# Environment:
#   E2E_BIN_DIR   output directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/pod-identity-e2e/k8s-<version>)
#   BUILD_NICE    nice level of the compiler (default 10, so other work keeps some CPU)
#   E2E_FORCE_BUILD=1  rebuild even when the stamp matches
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

command -v go >/dev/null 2>&1 || e2e_die "Go is required (>= $(sed -n 's/^go //p' "$HERE/build/go.mod")); Debian's golang is too old"
# Never switch toolchains: a newer local Go builds the older go line fine, and a toolchain
# download may be impossible here.
export GOTOOLCHAIN=local CGO_ENABLED=0
# Only GOFLAGS we set: the caller's (e.g. -mod=mod) must not rewrite the committed go.mod.
export GOFLAGS="-mod=readonly -buildvcs=false"

need_go=$(sed -n 's/^go //p' "$HERE/build/go.mod")
have_go=$(go env GOVERSION); have_go=${have_go#go}
if [ "$(printf '%s\n%s\n' "$need_go" "$have_go" | sort -V | head -1)" != "$need_go" ]; then
  e2e_die "Go $have_go is older than $need_go required by e2e/build/go.mod"
fi

e2e_versions
OUT=$(e2e_bin_dir)
mkdir -p "$OUT"

K8S_MINOR=${K8S_VERSION#v1.}; K8S_MINOR=${K8S_MINOR%%.*}
LDF="-s -w"
# The version stamping upstream does (hack/lib/version.sh); without it /version says v0.0.0-master.
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDF="$LDF -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$K8S_MINOR"
  LDF="$LDF -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
TAGS=notest,grpcnotrace   # as upstream's hack/lib/golang.sh (selinux only matters for the kubelet)

stamp=$( { cat "$HERE/build/go.mod" "$HERE/build/go.sum"; go env GOVERSION GOOS GOARCH; echo "$LDF $TAGS"; } \
         | sha256sum | cut -d' ' -f1)

# One build at a time per output directory (two test runs may start together).
exec 9>"$OUT/.lock"
flock 9

if [ -z "${E2E_FORCE_BUILD:-}" ] && [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/etcd" ] \
   && [ "$(cat "$OUT/build.stamp" 2>/dev/null)" = "$stamp" ]; then
  e2e_log "cached: kube-apiserver $K8S_VERSION and etcd $ETCD_VERSION in $OUT"
  printf '%s\n' "$OUT"
  exit 0
fi

rm -f "$OUT/build.stamp"
cd "$HERE/build"
start=$(date +%s)
e2e_log "building etcd $ETCD_VERSION into $OUT (Go $have_go, GOMODCACHE=$(go env GOMODCACHE), GOCACHE=$(go env GOCACHE))"
nice -n "${BUILD_NICE:-10}" go build -trimpath -ldflags "-s -w" -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3
mv -f "$OUT/etcd.tmp" "$OUT/etcd"
e2e_log "etcd built after $(( $(date +%s) - start ))s; building kube-apiserver $K8S_VERSION (cold: ~4-5 min on 2 cores)"
nice -n "${BUILD_NICE:-10}" go build -trimpath -tags="$TAGS" -ldflags "$LDF" -o "$OUT/kube-apiserver.tmp" \
  k8s.io/kubernetes/cmd/kube-apiserver
mv -f "$OUT/kube-apiserver.tmp" "$OUT/kube-apiserver"

"$OUT/kube-apiserver" --version >&2
"$OUT/etcd" --version | head -1 >&2
printf '%s\n' "$stamp" > "$OUT/build.stamp"
e2e_log "built in $(( $(date +%s) - start ))s"
printf '%s\n' "$OUT"
