#!/usr/bin/env bash
# Installs the cluster DNS, Knative Serving and its networking layer (Traefik's Knative provider)
# into the cluster that e2e/knative/cluster.sh started in WORK, and waits until they are ready.
#
#   e2e/knative/serving.sh WORK
#
# Knative's YAML comes from the Go module cache, from the same modules the binaries were built
# from (the module zips drop the files that are symlinks in git: the networking CRDs and
# config-network come from knative.dev/networking, the Image CRD from knative.dev/caching, at the
# versions Serving pins). Image references ko://knative.dev/serving/cmd/<name> become the local
# images dev.local/knative/<name>:<version> (Knative resolves no digest for dev.local). The
# components' CPU requests are lowered so that all of it fits one 2-CPU node beside the function.
#
# Autoscaler settings for the suite: scale to zero after a short grace period and stable window,
# so that each cold case waits seconds, not minutes, for a real scale-down (Knative's defaults are
# 30 s and 60 s). The function's own annotations are left as shipped except where the suite
# says so.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
. "$HERE/../lib.sh"

W=$(cd "${1:?usage: $0 WORK}" && pwd)
# shellcheck disable=SC1091
. "$W/cluster.env"
# shellcheck disable=SC1091
. "$KNATIVE_BIN_DIR/versions.env"
export KUBECONFIG
k() { "$KUBECTL" "$@"; }

M=$(cd "$HERE/build/serving" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go env GOMODCACHE)
module_dir() { # module_dir PATH: the module's directory at the version the wrapper resolves
  (cd "$HERE/build/serving" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go mod download -json "$1" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
}
S=$(module_dir knative.dev/serving)
N=$(module_dir knative.dev/networking)
C=$(module_dir knative.dev/caching)
[ -d "$S/config/core" ] && [ -d "$N/config" ] && [ -d "$C/config" ] || e2e_die "Knative's YAML is not in $M"

R=$W/manifests
mkdir -p "$R"
yaml() { for f in "$@"; do printf -- '---\n'; cat "$f"; printf '\n'; done; }
localize() {
  # Only the CPU requests are lowered: the limits stay Knative's (a limit of 10m would throttle
  # the activator, which every request from zero passes through, to a hundredth of a CPU).
  sed -E -e "s#ko://knative.dev/serving/cmd/([a-z-]+)#dev.local/knative/\\1:$SERVING_VERSION#" \
    | awk '/^[[:space:]]+requests:[[:space:]]*$/ {in_requests = 1; print; next}
           /^[[:space:]]+[a-z]+:[[:space:]]*$/ {in_requests = 0}
           in_requests && /^[[:space:]]+cpu: [0-9]+m$/ {sub(/[0-9]+m$/, "10m")}
           {print}'
}
yaml "$N/config/certificate.yaml" "$N/config/domain-claim.yaml" "$N/config/ingress.yaml" \
  "$N/config/serverlessservice.yaml" "$C/config/image.yaml" "$S"/config/core/300-resources/*.yaml \
  | localize >"$R/knative-crds.yaml"
yaml "$S/config/core/100-namespace.yaml" "$S"/config/core/200-roles/*.yaml "$S/config/core/200-serviceaccount.yaml" \
  "$S/config/core/300-knativecertificate.yaml" "$S/config/core/999-cache.yaml" "$S"/config/core/configmaps/*.yaml \
  "$N/config/config-network.yaml" "$S/config/core/deployments/activator.yaml" \
  "$S/config/core/deployments/autoscaler.yaml" "$S/config/core/deployments/controller.yaml" \
  "$S/config/core/deployments/webhook.yaml" "$S"/config/core/webhooks/*.yaml | localize >"$R/knative-core.yaml"
sed "s/COREDNS_VERSION/$COREDNS_VERSION/" "$HERE/manifests/coredns.yaml" >"$R/coredns.yaml"
sed "s/TRAEFIK_VERSION/$TRAEFIK_VERSION/" "$HERE/manifests/traefik.yaml" >"$R/traefik.yaml"

# The certificate Traefik presents, signed by the cluster's CA: cluster-local routes, and the
# shared overlay's public route (pod-identity.pod-identity.example.com).
PKI=$(dirname "$CA_FILE")
if [ ! -f "$PKI/cluster-local.crt" ]; then
  (
    cd "$PKI"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=cluster-local-routes" -keyout cluster-local.key \
      -out cluster-local.csr 2>/dev/null
    printf 'subjectAltName=DNS:*.pod-identity.svc.cluster.local,DNS:*.pod-identity.svc,DNS:*.default.svc.cluster.local,DNS:*.pod-identity.example.com\nextendedKeyUsage=serverAuth\n' \
      >cluster-local.ext
    openssl x509 -req -in cluster-local.csr -CA "$CA_FILE" -CAkey "$CA_KEY" -CAcreateserial -days 30 \
      -extfile cluster-local.ext -out cluster-local.crt 2>/dev/null
  )
fi

t0=$SECONDS
k apply -f "$R/coredns.yaml" >/dev/null
k apply --server-side -f "$R/knative-crds.yaml" >/dev/null
k wait --for=condition=Established crd --all --timeout=60s >/dev/null
# Knative's webhooks validate its ConfigMaps: the first apply can race the webhook's start.
for attempt in 1 2 3 4 5; do
  k apply -f "$R/knative-core.yaml" >/dev/null 2>"$W/knative-apply.err" && break
  [ "$attempt" = 5 ] && { cat "$W/knative-apply.err" >&2; e2e_die "cannot apply Knative Serving"; }
  sleep 5
done
k apply -f "$R/traefik.yaml" >/dev/null
k -n traefik create secret tls cluster-local-tls --cert="$PKI/cluster-local.crt" --key="$PKI/cluster-local.key" \
  --dry-run=client -o yaml | k apply -f - >/dev/null
patch_cm() { # patch_cm NAME JSON: retried while Knative's webhook starts
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    k -n knative-serving patch configmap "$1" --type merge -p "$2" >/dev/null 2>&1 && return 0
    sleep 3
  done
  e2e_die "cannot patch configmap $1"
}
patch_cm config-network '{"data":{"ingress-class":"traefik.ingress.networking.knative.dev"}}'
patch_cm config-domain '{"data":{"example.com":""}}'
patch_cm config-autoscaler \
  '{"data":{"scale-to-zero-grace-period":"6s","stable-window":"6s","scale-to-zero-pod-retention-period":"0s"}}'
for ns_deploy in kube-system/coredns traefik/traefik knative-serving/controller knative-serving/webhook \
  knative-serving/autoscaler knative-serving/activator; do
  k -n "${ns_deploy%/*}" rollout status "deploy/${ns_deploy#*/}" --timeout=300s >/dev/null \
    || e2e_die "deployment $ns_deploy is not ready"
done
e2e_log "Knative Serving $SERVING_VERSION with Traefik $TRAEFIK_VERSION ready after $((SECONDS - t0))s"
