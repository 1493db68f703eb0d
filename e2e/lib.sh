# shellcheck shell=bash
# Shared helpers for the e2e shell scripts. Source it; it defines functions only.

e2e_log() { printf '[e2e] %s\n' "$*" >&2; }
e2e_die() { printf '[e2e] error: %s\n' "$*" >&2; exit 1; }

# e2e_need CMD DEBIAN_PACKAGE: installs the package with apt-get when CMD is missing.
e2e_need() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || e2e_die "$cmd is missing and there is no apt-get to install $pkg"
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  e2e_log "installing $pkg (for $cmd)"
  if [ -z "${E2E_APT_UPDATED:-}" ]; then
    "${sudo[@]}" apt-get update -qq >&2 || e2e_die "apt-get update failed"
    E2E_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$pkg" >&2 \
    || e2e_die "apt-get install $pkg failed"
  command -v "$cmd" >/dev/null 2>&1 || e2e_die "$pkg installed but $cmd is still not on PATH"
}

# e2e_versions: sets K8S_VERSION and ETCD_VERSION from the committed wrapper go.mod.
e2e_versions() {
  local gomod
  gomod="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/build/go.mod"
  K8S_VERSION=$(sed -n 's|^[[:space:]]*k8s.io/kubernetes \(v[^ ]*\).*|\1|p' "$gomod")
  ETCD_VERSION=$(sed -n 's|^[[:space:]]*go.etcd.io/etcd/server/v3 \(v[^ ]*\).*|\1|p' "$gomod")
  [ -n "$K8S_VERSION" ] && [ -n "$ETCD_VERSION" ] || e2e_die "cannot read versions from $gomod"
}

# e2e_bin_dir: the cache directory for the binaries of the committed versions.
e2e_bin_dir() {
  e2e_versions
  printf '%s\n' "${E2E_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pod-identity-e2e/k8s-$K8S_VERSION}"
}
