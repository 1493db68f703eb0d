#!/usr/bin/env bash
# Runs a real etcd + kube-apiserver on 127.0.0.1 only, with state in a work directory.
#
#   e2e/cluster.sh start <workdir> [options] [-- extra kube-apiserver flags...]
#   e2e/cluster.sh stop  <workdir>
#   e2e/cluster.sh status <workdir>
#
# start options:
#   --port N              kube-apiserver secure port (default: a free port)
#   --etcd-port N         etcd client port; the peer port is N+1 (default: free ports)
#   --webhook-ca FILE     PEM CA(s) that kube-apiserver trusts when it calls a webhook whose
#                         configuration has no caBundle (passed as SSL_CERT_FILE)
#   --admission-control-config-file FILE
#                         passed through to kube-apiserver (AdmissionConfiguration, e.g. the
#                         kubeconfig it presents to webhooks); read once at start
#   --issuer URL          --service-account-issuer (default https://127.0.0.1:<port>)
#   --owner-pid PID       stop the cluster by itself once process PID is gone (test JVM crash)
#   --timeout S           how long to wait for /readyz (default 120)
#   --bin-dir DIR         where kube-apiserver and etcd are (default: e2e/build-binaries.sh,
#                         which builds them on first use)
# Environment: EXTRA_APISERVER_ARGS (word-split, appended to the kube-apiserver flags),
#              EXTRA_ETCD_ARGS (likewise for etcd).
#
# After start, <workdir> holds:
#   admin.kubeconfig   admin (client cert, group system:masters), certs embedded
#   cluster.env        APISERVER_URL, APISERVER_PORT, ETCD_URL, KUBECONFIG, CA_FILE, ADMIN_TOKEN,
#                      ADMIN_CERT, ADMIN_KEY, SA_ISSUER, SA_PUBLIC_KEY, SA_SIGNING_KEY (shell syntax)
#   pki/               ca.{crt,key}, apiserver.{crt,key}, admin.{crt,key}, sa.{key,pub}, tokens.csv
#   etcd/ etcd.log apiserver.log etcd.pid apiserver.pid
# stop kills both processes, waits for them, and keeps the logs; it is safe to call twice.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

# --- processes -------------------------------------------------------------------------------

# pid_of WORKDIR NAME: the pid in NAME.pid if that process is alive and is still ours (its
# command line mentions the work directory, so a recycled pid is never killed).
pid_of() {
  local dir=$1 name=$2 pid
  pid=$(cat "$dir/$name.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && alive "$pid" || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/" || return 1
  printf '%s\n' "$pid"
}

# alive PID: running and not a zombie
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }

# terminate PID NAME: SIGTERM, up to 15 s for a clean exit, then SIGKILL; waits until it is gone.
terminate() {
  local pid=$1 name=$2 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do alive "$pid" || return 0; sleep 0.1; done
  e2e_log "$name ($pid) ignored SIGTERM for 15s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do alive "$pid" || return 0; sleep 0.1; done
}

stop_one() {
  local dir=$1 name=$2 pid
  # the watchdog runs cmd_stop itself: it must not kill itself
  if pid=$(pid_of "$dir" "$name") && [ "$pid" != $$ ]; then
    terminate "$pid" "$name"
  fi
  rm -f "$dir/$name.pid"
}

cmd_stop() {
  local dir=$1
  [ -d "$dir" ] || { e2e_log "nothing to stop: $dir does not exist"; return 0; }
  dir=$(cd "$dir" && pwd)
  stop_one "$dir" watchdog
  stop_one "$dir" apiserver
  stop_one "$dir" etcd
  e2e_log "stopped cluster in $dir"
}

cmd_status() {
  local dir rc=0 name pid
  dir=$(cd "$1" && pwd)
  for name in etcd apiserver; do
    if pid=$(pid_of "$dir" "$name"); then echo "$name running ($pid)"; else echo "$name not running"; rc=1; fi
  done
  return $rc
}

# --- ports -----------------------------------------------------------------------------------

port_free() { ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

# free_port [COUNT]: a port P such that P..P+COUNT-1 are all free on this machine, below the
# kernel's ephemeral range (32768 up): a port in that range can be taken as the source port of any
# outgoing connection between this check and the server's bind (E2eEnvironment.freePort, same rule).
free_port() {
  local count=${1:-1} p i ok tries
  for ((tries = 0; tries < 200; tries++)); do
    p=$((20000 + RANDOM % 12000)); ok=1
    for ((i = 0; i < count; i++)); do port_free $((p + i)) || { ok=0; break; }; done
    [ $ok = 1 ] && { echo "$p"; return 0; }
  done
  e2e_die "no free port found"
}

# --- certificates ----------------------------------------------------------------------------

gen_pki() {
  local pki=$1
  mkdir -p "$pki"
  (
    cd "$pki"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 -subj "/CN=pod-identity-e2e-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout ca.key -out ca.crt 2>/dev/null
    # serving cert: Go ignores the CN, so the SANs carry the loopback address
    openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=kube-apiserver" \
      -keyout apiserver.key -out apiserver.csr 2>/dev/null
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" \
      "extendedKeyUsage=serverAuth" "keyUsage=critical,digitalSignature,keyEncipherment" > apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
      -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    # admin client cert: O= is the group, CN= the user
    openssl req -newkey rsa:2048 -nodes -sha256 -subj "/O=system:masters/CN=e2e-admin" \
      -keyout admin.key -out admin.csr 2>/dev/null
    printf '%s\n' "extendedKeyUsage=clientAuth" "keyUsage=critical,digitalSignature,keyEncipherment" > admin.ext
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
      -extfile admin.ext -out admin.crt 2>/dev/null
    # service-account token signing key pair (RSA, as EKS; RS256 tokens)
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    # static bearer token for the same admin (curl-friendly): token,user,uid,"groups"
    printf '%s,e2e-admin-token,e2e-admin-token,"system:masters"\n' "$(openssl rand -hex 24)" > tokens.csv
    rm -f ./*.csr ./*.ext ca.srl
    chmod 644 ca.crt apiserver.crt admin.crt sa.pub
  )
}

b64() { base64 -w0 < "$1"; }

write_kubeconfig() {
  local dir=$1 url=$2
  cat > "$dir/admin.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: $url
    certificate-authority-data: $(b64 "$dir/pki/ca.crt")
users:
- name: e2e-admin
  user:
    client-certificate-data: $(b64 "$dir/pki/admin.crt")
    client-key-data: $(b64 "$dir/pki/admin.key")
contexts:
- name: e2e
  context:
    cluster: e2e
    user: e2e-admin
current-context: e2e
EOF
  chmod 600 "$dir/admin.kubeconfig"
}

# --- start -----------------------------------------------------------------------------------

fail_start() {
  local dir=$1 msg=$2 f
  {
    printf '[e2e] error: %s\n' "$msg"
    for f in etcd.log apiserver.log; do
      [ -s "$dir/$f" ] || continue
      printf '[e2e] ---- last 40 lines of %s ----\n' "$dir/$f"
      tail -n 40 "$dir/$f"
    done
  } >&2
  cmd_stop "$dir" 2>/dev/null || true
  exit 1
}

# curl as the admin; prints the HTTP status, body to $2
admin_curl() {
  curl -sS -o "$2" -w '%{http_code}' --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" \
    --key "$PKI/admin.key" "$APISERVER_URL$1" 2>/dev/null || true
}

cmd_start() {
  local dir=$1; shift
  local port="" etcd_port="" webhook_ca="" admission="" issuer="" owner="" timeout=120 bin_dir=""
  local passthrough=()
  while [ $# -gt 0 ]; do
    case $1 in
      --port) port=${2:?}; shift 2 ;;
      --etcd-port) etcd_port=${2:?}; shift 2 ;;
      --webhook-ca) webhook_ca=${2:?}; shift 2 ;;
      --admission-control-config-file) admission=${2:?}; shift 2 ;;
      --issuer) issuer=${2:?}; shift 2 ;;
      --owner-pid) owner=${2:?}; shift 2 ;;
      --timeout) timeout=${2:?}; shift 2 ;;
      --bin-dir) bin_dir=${2:?}; shift 2 ;;
      --) shift; passthrough=("$@"); break ;;
      *) e2e_die "unknown option $1 (see: $0 help)" ;;
    esac
  done

  e2e_need openssl openssl
  e2e_need curl curl
  e2e_need ss iproute2

  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if pid_of "$dir" etcd >/dev/null || pid_of "$dir" apiserver >/dev/null; then
    e2e_die "a cluster is already running in $dir; run: $0 stop $dir"
  fi
  [ -z "$webhook_ca" ] || [ -r "$webhook_ca" ] || e2e_die "--webhook-ca $webhook_ca is not readable"
  [ -z "$admission" ] || [ -r "$admission" ] || e2e_die "--admission-control-config-file $admission is not readable"

  if [ -z "$bin_dir" ]; then
    bin_dir=$("$HERE/build-binaries.sh")
  fi
  [ -x "$bin_dir/kube-apiserver" ] && [ -x "$bin_dir/etcd" ] || e2e_die "no kube-apiserver/etcd in $bin_dir"

  [ -n "$port" ] || port=$(free_port 1)
  [ -n "$etcd_port" ] || { etcd_port=$(free_port 2); while [ "$etcd_port" = "$port" ] || [ $((etcd_port + 1)) = "$port" ]; do etcd_port=$(free_port 2); done; }
  local peer_port=$((etcd_port + 1)) p
  for p in "$port" "$etcd_port" "$peer_port"; do
    port_free "$p" || e2e_die "port $p on 127.0.0.1 is already in use"
  done

  PKI=$dir/pki
  APISERVER_URL=https://127.0.0.1:$port
  local etcd_url=http://127.0.0.1:$etcd_port
  [ -n "$issuer" ] || issuer=$APISERVER_URL
  rm -rf "$dir/etcd" "$PKI" "$dir/etcd.log" "$dir/apiserver.log"
  gen_pki "$PKI"
  write_kubeconfig "$dir" "$APISERVER_URL"

  # Both daemons: stdin from /dev/null and output to files, so a caller that reads our stdout
  # (e.g. a JVM's ProcessBuilder) is not kept waiting by them.
  # shellcheck disable=SC2086
  "$bin_dir/etcd" \
    --name=e2e \
    --data-dir="$dir/etcd" \
    --listen-client-urls="$etcd_url" --advertise-client-urls="$etcd_url" \
    --listen-peer-urls="http://127.0.0.1:$peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-cluster="e2e=http://127.0.0.1:$peer_port" --initial-cluster-state=new \
    --unsafe-no-fsync=true \
    --log-level=warn \
    ${EXTRA_ETCD_ARGS:-} \
    </dev/null >"$dir/etcd.log" 2>&1 &
  local etcd_pid=$!
  echo "$etcd_pid" > "$dir/etcd.pid"

  local deadline=$((SECONDS + timeout))
  until [ "$(curl -sS --max-time 2 "$etcd_url/health" 2>/dev/null)" = '{"health":"true","reason":""}' ]; do
    alive "$etcd_pid" || fail_start "$dir" "etcd exited during start"
    [ $SECONDS -lt $deadline ] || fail_start "$dir" "etcd not healthy after ${timeout}s at $etcd_url"
    sleep 0.2
  done

  # shellcheck disable=SC2054  # the comma in Node,RBAC is meant
  local args=(
    --etcd-servers="$etcd_url"
    --bind-address=127.0.0.1
    --advertise-address=127.0.0.1      # else it advertises the default-route interface's address
    --secure-port="$port"
    --cert-dir="$dir/apiserver-certs"
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key"
    --client-ca-file="$PKI/ca.crt"
    --token-auth-file="$PKI/tokens.csv"
    --service-account-issuer="$issuer"
    --service-account-key-file="$PKI/sa.pub"
    --service-account-signing-key-file="$PKI/sa.key"
    --service-cluster-ip-range=10.0.0.0/24
    --authorization-mode=Node,RBAC
    --allow-privileged=true
    --profiling=false
  )
  [ -z "$admission" ] || args+=(--admission-control-config-file="$(cd "$(dirname "$admission")" && pwd)/$(basename "$admission")")
  # shellcheck disable=SC2206
  [ -z "${EXTRA_APISERVER_ARGS:-}" ] || args+=(${EXTRA_APISERVER_ARGS})
  [ ${#passthrough[@]} = 0 ] || args+=("${passthrough[@]}")
  printf '%s\n' "${args[@]}" > "$dir/apiserver.args"

  local env_args=()
  [ -z "$webhook_ca" ] || env_args=(SSL_CERT_FILE="$(cd "$(dirname "$webhook_ca")" && pwd)/$(basename "$webhook_ca")")
  env "${env_args[@]}" "$bin_dir/kube-apiserver" "${args[@]}" </dev/null >"$dir/apiserver.log" 2>&1 &
  local apiserver_pid=$!
  echo "$apiserver_pid" > "$dir/apiserver.pid"

  # Authenticated probes: an anonymous /readyz can be refused early (RBAC not yet bootstrapped).
  local code
  until [ "$(admin_curl /readyz "$dir/.readyz")" = 200 ] && [ "$(cat "$dir/.readyz")" = ok ]; do
    # Our own children, by pid: pid_of's command-line check fails for a child that has not yet
    # exec'd (its command line is still this script's), which a loaded machine makes last.
    alive "$apiserver_pid" || fail_start "$dir" "kube-apiserver exited during start"
    alive "$etcd_pid" || fail_start "$dir" "etcd exited during start"
    [ $SECONDS -lt $deadline ] || fail_start "$dir" "kube-apiserver /readyz not ok after ${timeout}s at $APISERVER_URL"
    sleep 0.25
  done
  # The apiserver creates namespace default itself, shortly after /readyz
  until code=$(admin_curl /api/v1/namespaces/default "$dir/.readyz") && [ "$code" = 200 ]; do
    [ $SECONDS -lt $deadline ] || fail_start "$dir" "namespace default missing after ${timeout}s"
    sleep 0.25
  done
  rm -f "$dir/.readyz"

  local token
  token=$(cut -d, -f1 "$PKI/tokens.csv")
  cat > "$dir/cluster.env" <<EOF
APISERVER_URL=$APISERVER_URL
APISERVER_PORT=$port
ETCD_URL=$etcd_url
KUBECONFIG=$dir/admin.kubeconfig
CA_FILE=$PKI/ca.crt
ADMIN_CERT=$PKI/admin.crt
ADMIN_KEY=$PKI/admin.key
ADMIN_TOKEN=$token
SA_ISSUER=$issuer
SA_PUBLIC_KEY=$PKI/sa.pub
SA_SIGNING_KEY=$PKI/sa.key
EOF

  if [ -n "$owner" ]; then
    # Its command line names the work directory, so pid_of/stop_one recognise it.
    nohup "$HERE/cluster.sh" __watchdog "$owner" "$dir/" "$(cat "$dir/etcd.pid")" "$(cat "$dir/apiserver.pid")" \
      </dev/null >>"$dir/watchdog.log" 2>&1 &
    echo $! > "$dir/watchdog.pid"
  fi
  e2e_log "cluster up in $((SECONDS))s: $APISERVER_URL (etcd $etcd_url), KUBECONFIG=$dir/admin.kubeconfig"
}

# __watchdog OWNER DIR ETCD_PID APISERVER_PID: once OWNER is gone, stops the cluster. Keeps the
# pids itself, so it also works when the work directory was deleted before the processes.
cmd_watchdog() {
  local owner=$1 dir=${2%/} pid
  while alive "$owner"; do sleep 1; done
  [ ! -d "$dir" ] || cmd_stop "$dir"
  for pid in "$4" "$3"; do   # apiserver first, then etcd
    if alive "$pid" && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/"; then
      terminate "$pid" "pid $pid"
    fi
  done
}

# --- main ------------------------------------------------------------------------------------

[ $# -ge 1 ] || usage
case $1 in
  start) [ $# -ge 2 ] || usage; cmd_start "${@:2}" ;;
  stop) [ $# -eq 2 ] || usage; cmd_stop "$2" ;;
  status) [ $# -eq 2 ] || usage; cmd_status "$2" ;;
  __watchdog) [ $# -eq 5 ] || usage; cmd_watchdog "${@:2}" ;;
  help|-h|--help) usage ;;
  *) usage ;;
esac
