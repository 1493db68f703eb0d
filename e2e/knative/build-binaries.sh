#!/usr/bin/env bash
# Builds everything the Knative suite's cluster runs besides the Kubernetes binaries (those come
# from e2e/build-binaries.sh --node): Knative Serving, Traefik (the Knative networking layer),
# CoreDNS, the pause process, and wraps each into a docker-archive image for containerd. All from
# the Go module proxy, through the wrapper modules in e2e/knative/build/; no registry is involved.
# The images are written by the product's own image writer, knative/image (go-containerregistry).
#
#   DIR=$(e2e/knative/build-binaries.sh)     # then $DIR/bin/<name> and $DIR/images/<name>.tar
#
# Each wrapper module is rebuilt only when its go.mod/go.sum, the Go version or the flags change
# (a stamp per module), so a warm run takes well under a second. Cold, on 2 cores: ~15 minutes
# (Traefik ~7, Knative ~5, CoreDNS ~2), downloads included.
#
# Environment: KNATIVE_BIN_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/pod-identity-e2e/knative),
# BUILD_NICE (default 10), E2E_FORCE_BUILD=1 to rebuild anyway.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
. "$HERE/../lib.sh"

command -v go >/dev/null 2>&1 || e2e_die "Go is required to build the Knative suite's cluster"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"

OUT=${KNATIVE_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pod-identity-e2e/knative}
mkdir -p "$OUT/bin" "$OUT/images"
exec 9>"$OUT/.lock"
flock 9

# Versions, read from the committed wrapper modules (the images are tagged with them).
version_of() { sed -n "s|^[[:space:]]*\(require \)\{0,1\}$2 \(v[^ ]*\).*|\2|p" "$HERE/build/$1/go.mod" | head -1; }
SERVING_VERSION=$(version_of serving knative.dev/serving)
TRAEFIK_VERSION=$(version_of traefik github.com/traefik/traefik/v3)
COREDNS_VERSION=$(version_of coredns github.com/coredns/coredns)
[ -n "$SERVING_VERSION" ] && [ -n "$TRAEFIK_VERSION" ] && [ -n "$COREDNS_VERSION" ] \
  || e2e_die "cannot read the versions from $HERE/build/*/go.mod"

# build MODULE PACKAGE...: builds the packages of one wrapper module (a directory under build/, or
# any directory) into $OUT/bin unless its stamp matches.
build() {
  local module=$1; shift
  local dir=$HERE/build/$module stamp start
  case $module in /*) dir=$module; module=$(basename "$module") ;; esac
  stamp=$( { cat "$dir/go.mod"; [ ! -f "$dir/go.sum" ] || cat "$dir/go.sum"; find "$dir" -name '*.go' -print0 | sort -z | xargs -0 cat; \
             go env GOVERSION; } | sha256sum | cut -d' ' -f1)
  if [ -z "${E2E_FORCE_BUILD:-}" ] && [ "$(cat "$OUT/$module.stamp" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  start=$(date +%s)
  e2e_log "building $module: ${*##*/}"
  rm -f "$OUT/$module.stamp"
  (cd "$dir" && nice -n "${BUILD_NICE:-10}" go build -trimpath -ldflags "-s -w" -o "$OUT/bin/" "$@")
  printf '%s\n' "$stamp" > "$OUT/$module.stamp"
  e2e_log "built $module in $(( $(date +%s) - start ))s"
}

build tools ./pause
build "$(cd "$HERE/../../knative/image" && pwd)" .
mv -f "$OUT/bin/pod-identity-image" "$OUT/bin/image" 2>/dev/null || true
build coredns .
mv -f "$OUT/bin/pod-identity-knative-coredns" "$OUT/bin/coredns" 2>/dev/null || true
build serving knative.dev/serving/cmd/controller knative.dev/serving/cmd/webhook \
  knative.dev/serving/cmd/autoscaler knative.dev/serving/cmd/activator knative.dev/serving/cmd/queue
build traefik github.com/traefik/traefik/v3/cmd/traefik

# image TAG FILE ENTRYPOINT [mkimage flags] BINARY: a one-layer image of the binary at ENTRYPOINT
# and an empty /tmp, rewritten only when the binary is newer than its tarball.
image() {
  local tag=$1 file=$2 entrypoint=$3; shift 3
  local bin=${*: -1} stage=$OUT/stage/$file
  if [ ! -s "$OUT/images/$file.tar" ] || [ "$OUT/bin/$bin" -nt "$OUT/images/$file.tar" ]; then
    rm -rf "$stage"
    mkdir -p "$stage/tmp" "$stage$(dirname "$entrypoint")"
    chmod 1777 "$stage/tmp"
    cp "$OUT/bin/$bin" "$stage$entrypoint"
    "$OUT/bin/image" -root "$stage" -tag "$tag" -output "$OUT/images/$file.tar.tmp" -layer bin=. \
      -entrypoint "[\"$entrypoint\"]" "${@:1:$#-1}" >/dev/null
    mv -f "$OUT/images/$file.tar.tmp" "$OUT/images/$file.tar"
  fi
}
image registry.k8s.io/pause:3.10 pause /pause pause
image "dev.local/coredns:$COREDNS_VERSION" coredns /coredns -user 65532 coredns
image "dev.local/traefik:$TRAEFIK_VERSION" traefik /traefik -user 65532 traefik
for c in controller webhook autoscaler activator queue; do
  # Knative's ko-built images keep their binary at /ko-app/<name>, with KO_DATA_PATH set.
  image "dev.local/knative/$c:$SERVING_VERSION" "knative-$c" "/ko-app/$c" -user 65532 \
    -env KO_DATA_PATH=/var/run/ko "$c"
done
printf 'SERVING_VERSION=%s\nTRAEFIK_VERSION=%s\nCOREDNS_VERSION=%s\n' \
  "$SERVING_VERSION" "$TRAEFIK_VERSION" "$COREDNS_VERSION" > "$OUT/versions.env"
printf '%s\n' "$OUT"
