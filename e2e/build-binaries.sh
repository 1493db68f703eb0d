#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go module proxy (wrapper module in e2e/build/) into a
# cache directory keyed by the Kubernetes version, and prints that directory on stdout.
#
#   BIN=$(e2e/build-binaries.sh)          # then "$BIN/kube-apiserver", "$BIN/etcd"
#   BIN=$(e2e/build-binaries.sh --node)   # also kubelet, kube-proxy, kube-scheduler,
#                                         # kube-controller-manager and kubectl (e2e/knative/)
#
# Skips the build when the binaries are there and were built from the same go.mod/go.sum, Go
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

# The node set is built in one `go build` with kube-apiserver so shared packages compile once.
K8S_CMDS=(kube-apiserver)
case "${1:-}" in
  --node) K8S_CMDS+=(kubelet kube-proxy kube-scheduler kube-controller-manager kubectl) ;;
  "") ;;
  *) e2e_die "usage: $0 [--node]" ;;
esac

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

# One stamp per binary, so the node set can be added to a cache that holds the plain set.
missing=()
for b in etcd "${K8S_CMDS[@]}"; do
  if [ -n "${E2E_FORCE_BUILD:-}" ] || [ ! -x "$OUT/$b" ] || [ "$(cat "$OUT/$b.stamp" 2>/dev/null)" != "$stamp" ]; then
    missing+=("$b")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  e2e_log "cached: ${K8S_CMDS[*]} $K8S_VERSION and etcd $ETCD_VERSION in $OUT"
  printf '%s\n' "$OUT"
  exit 0
fi

cd "$HERE/build"
start=$(date +%s)
e2e_log "building ${missing[*]} into $OUT (Go $have_go, GOMODCACHE=$(go env GOMODCACHE), GOCACHE=$(go env GOCACHE))"
k8s_pkgs=()
for b in "${missing[@]}"; do
  if [ "$b" = etcd ]; then
    nice -n "${BUILD_NICE:-10}" go build -trimpath -ldflags "-s -w" -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3
    mv -f "$OUT/etcd.tmp" "$OUT/etcd"
    printf '%s\n' "$stamp" > "$OUT/etcd.stamp"
    e2e_log "etcd built after $(( $(date +%s) - start ))s"
  else
    k8s_pkgs+=("k8s.io/kubernetes/cmd/$b")
  fi
done
if [ ${#k8s_pkgs[@]} -gt 0 ]; then
  e2e_log "building ${k8s_pkgs[*]##*/} $K8S_VERSION (cold: ~4-5 min on 2 cores for kube-apiserver, ~15 min with the node set)"
  tmp=$(mktemp -d "$OUT/.build.XXXXXX")
  nice -n "${BUILD_NICE:-10}" go build -trimpath -tags="$TAGS" -ldflags "$LDF" -o "$tmp/" "${k8s_pkgs[@]}"
  for p in "${k8s_pkgs[@]}"; do
    mv -f "$tmp/${p##*/}" "$OUT/${p##*/}"
    printf '%s\n' "$stamp" > "$OUT/${p##*/}.stamp"
  done
  rmdir "$tmp"
fi

"$OUT/kube-apiserver" --version >&2
# sed reads etcd's every line: head would leave it writing into a closed pipe (SIGPIPE, and with
# pipefail the script's end).
"$OUT/etcd" --version | sed -n 1p >&2
e2e_log "built in $(( $(date +%s) - start ))s"
printf '%s\n' "$OUT"
