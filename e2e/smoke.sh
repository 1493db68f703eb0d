#!/usr/bin/env bash
# Smoke test of the e2e harness: builds (or reuses) kube-apiserver + etcd, starts a cluster in a
# temporary directory, stores a namespace, a ServiceAccount and a Pod and reads them back, asks
# for a ServiceAccount token, and (when python3 is there) calls a throw-away loopback HTTPS
# mutating webhook registered by URL. The cluster is stopped on any exit.
#
#   e2e/smoke.sh              # KEEP_WORKDIR=1 keeps the temp dir (logs) afterwards
#
# Pods are never scheduled (no scheduler, no kubelet): the API server only stores them.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

passed=0
ok() { passed=$((passed + 1)); printf '[smoke] ok: %s\n' "$*"; }
fail() { printf '[smoke] FAILED: %s\n' "$*" >&2; exit 1; }

e2e_need curl curl
e2e_need jq jq
# kubectl: any recent client (Debian's kubernetes-client if none is installed).
e2e_need kubectl kubernetes-client

BIN=$("$HERE/build-binaries.sh")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pod-identity-e2e-smoke.XXXXXX")
WEBHOOK_PID=""
cleanup() {
  local rc=$?
  [ -z "$WEBHOOK_PID" ] || kill "$WEBHOOK_PID" 2>/dev/null || true
  "$HERE/cluster.sh" stop "$WORK/cluster" || true
  if [ $rc -ne 0 ] || [ -n "${KEEP_WORKDIR:-}" ]; then
    echo "[smoke] work directory kept: $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  if [ $rc -eq 0 ]; then echo "$passed passed, 0 failed"; else echo "$passed passed, 1 failed"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A CA for the webhook server, made before the cluster starts: --webhook-ca is read at start.
mkdir -p "$WORK/webhook"
(
  cd "$WORK/webhook"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -sha256 -subj "/CN=smoke-webhook-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -keyout ca.key -out ca.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=smoke-webhook" -keyout tls.key -out tls.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > tls.ext
  openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -sha256 \
    -extfile tls.ext -out tls.crt 2>/dev/null
)

t0=$(date +%s%N)
"$HERE/cluster.sh" start "$WORK/cluster" --bin-dir "$BIN" --webhook-ca "$WORK/webhook/ca.crt" --owner-pid $$
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "cluster started, /readyz ok after $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s"
# shellcheck disable=SC1091
. "$WORK/cluster/cluster.env"
export KUBECONFIG
k() { kubectl --request-timeout=20s "$@"; }

v=$(curl -sS --cacert "$CA_FILE" -H "Authorization: Bearer $ADMIN_TOKEN" "$APISERVER_URL/version" | jq -r .gitVersion)
[ "$v" = "$(kubectl version -o json 2>/dev/null | jq -r .serverVersion.gitVersion)" ] || fail "kubectl and curl disagree on the version"
ok "server version $v (bearer token and client cert both accepted)"

NS=smoke
k create namespace "$NS" >/dev/null
k label namespace "$NS" smoke-webhook=on >/dev/null
k -n "$NS" apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/smoke
EOF
ok "namespace and annotated ServiceAccount created"

pod_yaml() {
  cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  serviceAccountName: app
  containers:
  - name: main
    image: registry.invalid/never-pulled:1
    command: ["sleep", "3600"]
EOF
}

pod_yaml plain | k -n "$NS" create -f - >/dev/null
pod=$(k -n "$NS" get pod plain -o json)
[ "$(jq -r .spec.serviceAccountName <<<"$pod")" = app ] || fail "serviceAccountName not stored"
[ "$(jq -r .status.phase <<<"$pod")" = Pending ] || fail "pod phase is not Pending"
# The ServiceAccount admission plugin is on: it adds the projected kube-api-access volume.
jq -e '.spec.volumes[] | select(.name | startswith("kube-api-access-")) | .projected' <<<"$pod" >/dev/null \
  || fail "no kube-api-access volume: ServiceAccount admission plugin not active"
ok "pod stored and read back (Pending, kube-api-access volume from ServiceAccount admission)"

got=$(curl -sS --cacert "$CA_FILE" --cert "$ADMIN_CERT" --key "$ADMIN_KEY" \
  "$APISERVER_URL/api/v1/namespaces/$NS/pods/plain" | jq -r .metadata.uid)
[ "$got" = "$(jq -r .metadata.uid <<<"$pod")" ] || fail "curl with the admin cert read another pod"
ok "pod read back with curl and the admin client cert"

# TokenRequest works without a controller-manager: the apiserver signs with the SA key.
# (curl, not "kubectl create token": Debian's kubectl 1.20 predates that command)
tok=$(curl -sS --cacert "$CA_FILE" -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
  -d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"audiences":["sts.amazonaws.com"],"expirationSeconds":3600}}' \
  "$APISERVER_URL/api/v1/namespaces/$NS/serviceaccounts/app/token" | jq -r .status.token)
claims=$(cut -d. -f2 <<<"$tok" | tr '_-' '/+' | { read -r s; while [ $(( ${#s} % 4 )) -ne 0 ]; do s="$s="; done; echo "$s"; } | base64 -d)
[ "$(jq -r .iss <<<"$claims")" = "$SA_ISSUER" ] || fail "token issuer $(jq -r .iss <<<"$claims") != $SA_ISSUER"
[ "$(jq -r '.aud[0]' <<<"$claims")" = sts.amazonaws.com ] || fail "token audience wrong"
[ "$(jq -r .sub <<<"$claims")" = "system:serviceaccount:$NS:app" ] || fail "token subject wrong"
ok "ServiceAccount token issued (iss $SA_ISSUER, aud sts.amazonaws.com)"

# RBAC is on: a ServiceAccount without grants cannot read ServiceAccounts.
can=$(k auth can-i get serviceaccounts -n "$NS" --as "system:serviceaccount:$NS:app" || true)
[ "$can" = no ] || fail "RBAC: app may get serviceaccounts without a Role ($can)"
ok "RBAC enforced"

# --- a loopback URL webhook (no caBundle: trusted through --webhook-ca) ----------------------
if ! command -v python3 >/dev/null 2>&1; then
  echo "[smoke] python3 not found: webhook check skipped"
  exit 0
fi
WP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$WORK/webhook/server.py" <<'EOF'
import base64, json, ssl, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class H(BaseHTTPRequestHandler):
    def do_POST(self):
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        req = review["request"]
        labels = (req["object"].get("metadata") or {}).get("labels")
        op = ({"op": "add", "path": "/metadata/labels/smoke-webhook", "value": "seen"} if labels is not None
              else {"op": "add", "path": "/metadata/labels", "value": {"smoke-webhook": "seen"}})
        body = json.dumps({"apiVersion": review["apiVersion"], "kind": review["kind"],
                           "response": {"uid": req["uid"], "allowed": True, "patchType": "JSONPatch",
                                        "patch": base64.b64encode(json.dumps([op]).encode()).decode()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass

srv = HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
EOF
python3 "$WORK/webhook/server.py" "$WP" "$WORK/webhook/tls.crt" "$WORK/webhook/tls.key" \
  </dev/null >"$WORK/webhook/server.log" 2>&1 &
WEBHOOK_PID=$!

k apply -f - >/dev/null <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: smoke
webhooks:
- name: smoke.e2e.invalid
  clientConfig:
    url: https://127.0.0.1:$WP/mutate
  rules:
  - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"], scope: Namespaced}
  admissionReviewVersions: ["v1"]
  sideEffects: None
  failurePolicy: Fail
  timeoutSeconds: 10
  namespaceSelector:
    matchLabels: {smoke-webhook: "on"}
EOF
# The apiserver picks webhook configurations up through an informer: poll with dry-run creates.
deadline=$((SECONDS + 30)) seen=""
while [ $SECONDS -lt $deadline ]; do
  seen=$(pod_yaml probe | k -n "$NS" create --dry-run=server -o jsonpath='{.metadata.labels.smoke-webhook}' -f - 2>/dev/null || true)
  [ "$seen" = seen ] && break
  sleep 0.5
done
[ "$seen" = seen ] || fail "webhook never mutated a dry-run pod (see $WORK/cluster/apiserver.log)"
pod_yaml hooked | k -n "$NS" create -f - >/dev/null
[ "$(k -n "$NS" get pod hooked -o jsonpath='{.metadata.labels.smoke-webhook}')" = seen ] || fail "stored pod not mutated"
ok "loopback URL webhook called over TLS (trusted via --webhook-ca) and its JSON Patch stored"
