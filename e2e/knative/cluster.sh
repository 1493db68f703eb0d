#!/usr/bin/env bash
# A real one-node Kubernetes cluster on this machine, for the Knative suite: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet with containerd/runc and the CNI bridge plugin,
# and kube-proxy (iptables). State, logs and pids live in one work directory.
#
#   e2e/knative/cluster.sh start WORK     # returns once the node is Ready; writes WORK/cluster.env
#   e2e/knative/cluster.sh member WORK ADMISSION_CONFIG HOSTS_FILE
#                                         # a second API server (member cluster, no node) on the
#                                         # bridge, port 6444, for the shared overlay; writes
#                                         # WORK/member.env
#   e2e/knative/cluster.sh stop WORK      # stops everything and cleans up the host; safe to repeat
#
# Network: the node and the API server sit on a bridge this script creates (pik0, 10.88.0.1/16);
# pods get addresses in 10.88.0.0/16 from the CNI bridge plugin, each pod in its own network
# namespace; Services in 10.96.0.0/16 through kube-proxy. Forwarding from the bridge to any other
# interface is dropped, so nothing a pod sends can leave the machine, and the cluster DNS has no
# upstream. kube-apiserver resolves names through the cluster DNS (its own mount namespace with a
# resolv.conf naming 10.96.0.10), as an API server that can reach cluster-local routes does.
#
# Needs root, Go (for the binaries), and Debian's containerd, runc, containernetworking-plugins,
# iptables, conntrack and openssl (installed with apt-get when missing).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
. "$HERE/../lib.sh"

BRIDGE=pik0
NODE_IP=10.88.0.1
POD_CIDR=10.88.0.0/16
SERVICE_CIDR=10.96.0.0/16
DNS_IP=10.96.0.10
API_PORT=6443
ETCD_PORT=23791
NODE_NAME=pik-node
MEMBER_PORT=6444
MEMBER_ETCD_PORT=23793

cmd=${1:-}; W=${2:-}
[ -n "$cmd" ] && [ -n "$W" ] || e2e_die "usage: $0 start|stop WORK_DIR"
mkdir -p "$W"
W=$(cd "$W" && pwd)
PKI=$W/pki; LOGS=$W/logs; CTRD=$W/containerd

log() { printf '[knative-cluster %s] %s\n' "$(date +%T)" "$*" >&2; }

# start NAME CMD...: runs a component in the background, output in logs/NAME.log, pid in NAME.pid.
start() {
  local name=$1; shift
  nohup "$@" </dev/null >"$LOGS/$name.log" 2>&1 &
  echo $! >"$W/$name.pid"
}

# wait_for WHAT SECONDS CMD...: polls CMD every half second; on timeout shows the logs and fails.
wait_for() {
  local what=$1 seconds=$2; shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      for f in "$LOGS"/*.log; do printf '\n--- %s (last 20 lines)\n' "$f" >&2; tail -n 20 "$f" >&2; done
      e2e_die "$what not ready after ${seconds}s"
    fi
    sleep 0.5
  done
}

pki() {
  [ -f "$PKI/ca.crt" ] && return 0
  mkdir -p "$PKI"
  (
    cd "$PKI"
    umask 077
    cert() { # cert NAME SUBJECT EXTENSIONS: a key and a certificate signed by the cluster CA
      openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
      printf '%s\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile "$1.ext" \
        -out "$1.crt" 2>/dev/null
    }
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=pod-identity-knative-ca" \
      -keyout ca.key -out ca.crt 2>/dev/null
    cert apiserver "/CN=kube-apiserver" "subjectAltName=IP:$NODE_IP,IP:10.96.0.1,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth"
    cert admin "/O=system:masters/CN=pik-admin" "extendedKeyUsage=clientAuth"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    chmod 0644 ./*.crt sa.pub
  )
}

kubeconfig() {
  local kc=$W/admin.kubeconfig
  "$BIN/kubectl" config --kubeconfig="$kc" set-cluster pik --server="https://$NODE_IP:$API_PORT" \
    --certificate-authority="$PKI/ca.crt" --embed-certs >/dev/null
  "$BIN/kubectl" config --kubeconfig="$kc" set-credentials admin --client-certificate="$PKI/admin.crt" \
    --client-key="$PKI/admin.key" --embed-certs >/dev/null
  "$BIN/kubectl" config --kubeconfig="$kc" set-context pik --cluster=pik --user=admin >/dev/null
  "$BIN/kubectl" config --kubeconfig="$kc" use-context pik >/dev/null
}

network() {
  # What the kubelet and kube-proxy change on the host, to put back at stop.
  [ -f "$W/sysctl-before.txt" ] || sysctl -e net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables \
    vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys \
    kernel.keys.root_maxbytes net.netfilter.nf_conntrack_max 2>/dev/null | tr -d ' ' >"$W/sysctl-before.txt"
  ip link show "$BRIDGE" >/dev/null 2>&1 || {
    ip link add "$BRIDGE" type bridge
    ip addr add "$NODE_IP/16" dev "$BRIDGE"
  }
  ip link set "$BRIDGE" up
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
  # Nothing from the pods leaves the machine: no forwarding between the bridge and anything else.
  iptables -C FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -j DROP 2>/dev/null \
    || iptables -I FORWARD 1 -i "$BRIDGE" ! -o "$BRIDGE" -j DROP
  iptables -C FORWARD -o "$BRIDGE" ! -i "$BRIDGE" -j DROP 2>/dev/null \
    || iptables -I FORWARD 1 -o "$BRIDGE" ! -i "$BRIDGE" -j DROP
  mkdir -p "$W/cni/net.d" "$W/cni/ipam"
  cat >"$W/cni/net.d/10-pik.conflist" <<JSON
{"cniVersion": "0.4.0", "name": "pik", "plugins": [
  {"type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$W/cni/ipam", "routes": [{"dst": "0.0.0.0/0"}],
            "ranges": [[{"subnet": "$POD_CIDR", "rangeStart": "10.88.1.0", "gateway": "$NODE_IP"}]]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
JSON
}

containerd_start() {
  mkdir -p "$CTRD"
  # restrict_oom_score_adj: root here lacks CAP_SYS_RESOURCE, and runc fails to start any
  # container that asks for a lower oom_score_adj than its parent's.
  cat >"$CTRD/config.toml" <<TOML
version = 2
root = "$CTRD/root"
state = "$CTRD/state"
[grpc]
  address = "$CTRD/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  restrict_oom_score_adj = true
  disable_apparmor = true
  tolerate_missing_hugetlb_controller = true
  disable_hugetlb_controller = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$W/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
TOML
  start containerd containerd --config "$CTRD/config.toml"
  wait_for containerd 30 ctr -a "$CTRD/containerd.sock" version
  for img in "$KN_DIR"/images/*.tar; do
    ctr -a "$CTRD/containerd.sock" -n k8s.io images import --no-unpack=false "$img" >/dev/null
  done
}

# etcd_start NAME MEMBER PORT: a one-member etcd on 127.0.0.1 (client PORT, peer PORT+1), data in
# WORK/NAME; returns once it is healthy.
etcd_start() {
  local name=$1 member=$2 port=$3
  start "$name" "$BIN/etcd" --name="$member" --data-dir="$W/$name" \
    --listen-client-urls="http://127.0.0.1:$port" --advertise-client-urls="http://127.0.0.1:$port" \
    --listen-peer-urls="http://127.0.0.1:$((port + 1))" --initial-advertise-peer-urls="http://127.0.0.1:$((port + 1))" \
    --initial-cluster="$member=http://127.0.0.1:$((port + 1))" --unsafe-no-fsync=true --log-level=warn
  wait_for "$name" 30 curl -sf "http://127.0.0.1:$port/health"
}

control_plane() {
  etcd_start etcd pik "$ETCD_PORT"

  # Every pod create and every ServiceAccount read, with the API server's own timestamps: the
  # suite reads admission wall times and lookup counts from this log.
  cat >"$W/audit-policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create]
  resources: [{group: "", resources: [pods]}]
- level: Metadata
  verbs: [get]
  resources: [{group: "", resources: [serviceaccounts]}]
- level: None
YAML
  printf 'nameserver %s\nsearch svc.cluster.local cluster.local\noptions ndots:5 timeout:1 attempts:3\n' \
    "$DNS_IP" >"$W/apiserver-resolv.conf"
  # shellcheck disable=SC2016  # $0 and $@ belong to the inner shell
  start kube-apiserver unshare -m --propagation private sh -c \
    'mount --bind "$RESOLV" /etc/resolv.conf && exec "$0" "$@"' "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" --bind-address="$NODE_IP" --advertise-address="$NODE_IP" \
    --secure-port="$API_PORT" --cert-dir="$W/apiserver-certs" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" --client-ca-file="$PKI/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=Node,RBAC --allow-privileged=true --profiling=false \
    --audit-policy-file="$W/audit-policy.yaml" --audit-log-path="$LOGS/audit.log" --audit-log-format=json \
    --audit-log-mode=blocking \
    --kubelet-client-certificate="$PKI/admin.crt" --kubelet-client-key="$PKI/admin.key" \
    --kubelet-preferred-address-types=InternalIP
  wait_for kube-apiserver 120 "$BIN/kubectl" --kubeconfig="$W/admin.kubeconfig" get --raw /readyz

  start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$W/admin.kubeconfig" \
    --authentication-kubeconfig="$W/admin.kubeconfig" --authorization-kubeconfig="$W/admin.kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" --root-ca-file="$PKI/ca.crt" \
    --service-account-private-key-file="$PKI/sa.key" --use-service-account-credentials=true \
    --service-cluster-ip-range="$SERVICE_CIDR" --allocate-node-cidrs=false
  start kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$W/admin.kubeconfig" \
    --authentication-kubeconfig="$W/admin.kubeconfig" --authorization-kubeconfig="$W/admin.kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0
}

node() {
  : >"$W/node-resolv.conf"   # pods with dnsPolicy Default get no upstream either
  # cgroupfs and cgroup v1: the machine's layout; no swap check; kubelet may not change kernel
  # defaults it dislikes, it only warns.
  cat >"$W/kubelet-config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 20250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 20248
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: $PKI/ca.crt}}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$CTRD/containerd.sock
clusterDNS: [$DNS_IP]
clusterDomain: cluster.local
resolvConf: $W/node-resolv.conf
serializeImagePulls: false
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
maxPods: 250
YAML
  start kubelet "$BIN/kubelet" --config="$W/kubelet-config.yaml" --kubeconfig="$W/admin.kubeconfig" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --root-dir="$W/kubelet" --cert-dir="$W/kubelet-pki" -v=1
  start kube-proxy "$BIN/kube-proxy" --kubeconfig="$W/admin.kubeconfig" --proxy-mode=iptables \
    --cluster-cidr="$POD_CIDR" --hostname-override="$NODE_NAME" --nodeport-addresses="$NODE_IP/32" \
    --metrics-bind-address=127.0.0.1:20249 --healthz-bind-address=127.0.0.1:20256 --conntrack-max-per-core=0
  node_ready() { "$BIN/kubectl" --kubeconfig="$W/admin.kubeconfig" get node "$NODE_NAME" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -qx True; }
  wait_for "node $NODE_NAME" 180 node_ready
  # The ServiceAccount admission plugin refuses pods until the controller-manager made `default`.
  wait_for "ServiceAccount default/default" 60 "$BIN/kubectl" --kubeconfig="$W/admin.kubeconfig" -n default get serviceaccount default
}

do_start() {
  [ "$(id -u)" = 0 ] || e2e_die "the Knative suite's node needs root (containerd, bridge, iptables)"
  for p in containerd:containerd runc:runc iptables:iptables conntrack:conntrack openssl:openssl curl:curl; do
    e2e_need "${p%%:*}" "${p#*:}"
  done
  [ -x /usr/lib/cni/bridge ] || e2e_need /usr/lib/cni/bridge containernetworking-plugins
  if [ -f "$W/kube-apiserver.pid" ] && kill -0 "$(cat "$W/kube-apiserver.pid")" 2>/dev/null; then
    e2e_die "a cluster is already running in $W"
  fi
  BIN=$("$HERE/../build-binaries.sh" --node)
  KN_DIR=$("$HERE/build-binaries.sh")
  # A new cluster each time: nothing from an earlier run's etcd, node or certificates.
  rm -rf "$W/member-etcd" "$W/etcd" "$W/kubelet" "$W/kubelet-pki" "$W/apiserver-certs" "$CTRD" "$W/cni" "$LOGS" "$PKI" "$W/sysctl-before.txt"
  mkdir -p "$LOGS"
  local t0=$SECONDS
  pki
  kubeconfig
  network
  containerd_start
  export RESOLV=$W/apiserver-resolv.conf
  control_plane
  node
  cat >"$W/cluster.env" <<ENV
KUBECONFIG=$W/admin.kubeconfig
KUBECTL=$BIN/kubectl
APISERVER_URL=https://$NODE_IP:$API_PORT
CA_FILE=$PKI/ca.crt
CA_KEY=$PKI/ca.key
AUDIT_LOG=$LOGS/audit.log
CONTAINERD_SOCK=$CTRD/containerd.sock
KNATIVE_BIN_DIR=$KN_DIR
NODE_NAME=$NODE_NAME
ENV
  log "node $NODE_NAME ready after $((SECONDS - t0))s (state in $W)"
}

# A member cluster of the shared overlay: its own etcd and kube-apiserver (same CA, so the same
# admin credentials), reachable from pods at https://10.88.0.1:6444. It calls webhooks with the
# credentials of ADMISSION_CONFIG and resolves names through HOSTS_FILE (its own mount namespace),
# as an API server outside the hosting cluster reaches the shared endpoint's public name.
do_member() {
  local admission=$1 hosts=$2
  BIN=$(e2e_bin_dir)
  etcd_start member-etcd member "$MEMBER_ETCD_PORT"
  # shellcheck disable=SC2016  # $0 and $@ belong to the inner shell
  HOSTS=$hosts start member-apiserver unshare -m --propagation private sh -c \
    'mount --bind "$HOSTS" /etc/hosts && exec "$0" "$@"' "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$MEMBER_ETCD_PORT" --bind-address="$NODE_IP" --advertise-address="$NODE_IP" \
    --secure-port="$MEMBER_PORT" --cert-dir="$W/member-apiserver-certs" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" --client-ca-file="$PKI/ca.crt" \
    --service-account-issuer=https://member.invalid --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" --service-cluster-ip-range=10.97.0.0/16 \
    --authorization-mode=RBAC --profiling=false --admission-control-config-file="$admission" \
    --audit-policy-file="$W/audit-policy.yaml" --audit-log-path="$LOGS/member-audit.log" --audit-log-format=json \
    --audit-log-mode=blocking
  sed "s#https://$NODE_IP:$API_PORT#https://$NODE_IP:$MEMBER_PORT#" "$W/admin.kubeconfig" >"$W/member.kubeconfig"
  wait_for member-apiserver 120 "$BIN/kubectl" --kubeconfig="$W/member.kubeconfig" get --raw /readyz
  printf 'MEMBER_KUBECONFIG=%s\nMEMBER_URL=%s\nMEMBER_AUDIT_LOG=%s\n' "$W/member.kubeconfig" \
    "https://$NODE_IP:$MEMBER_PORT" "$LOGS/member-audit.log" >"$W/member.env"
  log "member cluster's API server ready at https://$NODE_IP:$MEMBER_PORT"
}

# stop_pid NAME: SIGTERM, then SIGKILL after 15 s, for a pid this script recorded.
stop_pid() {
  local f=$W/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

do_stop() {
  set +e   # clean up as much as possible, whatever fails
  local sock=$CTRD/containerd.sock
  for c in member-apiserver member-etcd kube-proxy kubelet kube-scheduler kube-controller-manager kube-apiserver etcd; do
    stop_pid "$c"
  done
  if [ -S "$sock" ]; then
    # The containers outlive the kubelet: kill their tasks through containerd before stopping it.
    for t in $(ctr -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr -a "$sock" -n k8s.io tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
    done
    sleep 1
    for t in $(ctr -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr -a "$sock" -n k8s.io tasks delete -f "$t" >/dev/null 2>&1 || true
    done
  fi
  stop_pid containerd
  # Shims whose containerd was this one, if any survived it.
  for pid in $(ps -eo pid=,args= | awk -v a="$sock" 'index($0, "containerd-shim") && index($0, a) {print $1}'); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  local proxy
  proxy="$(e2e_bin_dir)/kube-proxy"
  [ -x "$proxy" ] && "$proxy" --cleanup >/dev/null 2>&1 || true
  # What kube-proxy --cleanup leaves: the kubelet's own chains (KUBE-FIREWALL, the canaries).
  local table chain rule
  for table in filter nat mangle; do
    { iptables -t "$table" -S 2>/dev/null | grep -E '^-A [A-Z]+ .*-j KUBE-' | sed 's/^-A/-D/' \
      | while read -r rule; do eval "iptables -t $table $rule" 2>/dev/null || true; done; } || true
    for chain in $(iptables -t "$table" -S 2>/dev/null | awk '/^-N KUBE-/ {print $2}'); do
      iptables -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in $(iptables -t "$table" -S 2>/dev/null | awk '/^-N KUBE-/ {print $2}'); do
      iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
  iptables -D FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -j DROP 2>/dev/null || true
  iptables -D FORWARD -o "$BRIDGE" ! -i "$BRIDGE" -j DROP 2>/dev/null || true
  # Mounts under the work directory (kubelet volumes, containerd snapshots) and pod namespaces.
  { awk '{print $2}' /proc/mounts | grep -E "^$W/|^/run/netns/cni-|^/var/run/netns/cni-" | sort -r \
    | while read -r m; do umount -l "$m" 2>/dev/null || true; done; } || true
  rm -f /var/run/netns/cni-* 2>/dev/null || true
  ip link del "$BRIDGE" 2>/dev/null || true
  # The pods' cgroups (cgroupfs driver), deepest first.
  # They empty as the last container processes exit.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    find /sys/fs/cgroup/*/kubepods -depth -type d -exec rmdir {} + 2>/dev/null || true
    compgen -G '/sys/fs/cgroup/*/kubepods' >/dev/null || break
    sleep 1
  done
  if [ -f "$W/sysctl-before.txt" ]; then
    while IFS='=' read -r k v; do sysctl -qw "$k=$v" 2>/dev/null || true; done <"$W/sysctl-before.txt"
  fi
  log "stopped; logs stay in $LOGS"
}

case $cmd in
  start) do_start ;;
  member) do_member "${3:?admission configuration file}" "${4:?hosts file}" ;;
  stop) do_stop ;;
  *) e2e_die "usage: $0 start|member|stop WORK_DIR" ;;
esac
