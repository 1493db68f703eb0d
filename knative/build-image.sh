#!/usr/bin/env bash
# Builds the function's container image without a container engine, from what `./mvnw package`
# produced, and writes it as a docker-archive tarball (`docker load`, `ctr images import`,
# `crane push`, `skopeo copy docker-archive:...`). Prints the tarball's path on the last line of
# standard output; everything else goes to standard error.
#
#   ./mvnw -B -ntp -pl function -am package -DskipTests
#   knative/build-image.sh [--tag REF] [--output FILE] [--no-check]
#
# REF defaults to registry.example.com/pod-identity:0.1.0-SNAPSHOT (the overlays' `images:`
# entry), FILE to knative/target/pod-identity-image.tar. Runs as root on Debian (or a derivative):
# it installs what it lacks with apt-get, chroots and mounts in a mount namespace of its own.
#
# Steps (knative/IMAGE.md):
#  1. a JRE jlinked from the JDK the build uses (.mvn/select-jdk.sh), with the modules the function
#     needs, cached by JDK version and module list;
#  2. a base root file system from Debian packages (the C library the JRE links against), with
#     /etc/passwd and /etc/group for root and user 185, and /tmp, cached by package versions;
#  3. the image's root: /opt/java, /deployments/{lib,app,quarkus,quarkus-run.jar} with the
#     timestamps Maven gave them, the dependency jars merged into lib/main/dependencies.jar
#     (knative/MergeLibs.java: ~50 ms sooner to the first answer), and netty-tcnative's OpenSSL
#     library in /usr/java/packages/lib, on the JVM's default java.library.path;
#  4. the AOT cache trained by knative/train-aot.sh with that JRE, in a chroot of that root, as user
#     185 from /deployments with the image's JVM flags (knative/image.conf), written to
#     /deployments/app.aot; nothing under /deployments changes afterwards;
#  5. unless --no-check: the image's command started the same way on the finished root, read-only,
#     until it answers POST /mutate with a patch; the JVM must say it used the AOT cache;
#  6. the tarball, by knative/image (go-containerregistry), built into the cache with the
#     committed go.mod/go.sum: layers base, JRE, lib/ (with /usr/java), app, AOT cache (least to most
#     often changed).
#
# Caches: ${XDG_CACHE_HOME:-~/.cache}/pod-identity-image (JRE, base, Debian packages, the image
# writer); knative/target/image (the staged root, git-ignored). Environment: SOURCE_DATE_EPOCH (the
# image's creation time; default: the time of function/target/quarkus-app/quarkus-run.jar).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
tag=registry.example.com/pod-identity:0.1.0-SNAPSHOT
output=$here/knative/target/pod-identity-image.tar
check=1

log() { printf 'build-image: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case $1 in
    --tag) tag=${2:?--tag needs a value}; shift 2 ;;
    --tag=*) tag=${1#--tag=}; shift ;;
    --output) output=${2:?--output needs a value}; shift 2 ;;
    --output=*) output=${1#--output=}; shift ;;
    --no-check) check=; shift ;;
    -h | --help) usage 0 ;;
    *) log "unknown argument: $1"; usage 2 ;;
  esac
done
case $output in /*) ;; *) output=$PWD/$output ;; esac

[ "$(id -u)" = 0 ] || die "run as root: the training run needs chroot and a mount namespace"
app=$here/function/target/quarkus-app
[ -f "$app/quarkus-run.jar" ] ||
  die "no $app: package the function first (./mvnw -B -ntp -pl function -am package -DskipTests)"

cache=${XDG_CACHE_HOME:-$HOME/.cache}/pod-identity-image
work=$here/knative/target/image
root=$work/root
case $root in *[[:space:]]*) die "the repository's path has white space: $here" ;; esac
mkdir -p "$cache" "$work" "$(dirname "$output")"

. "$here/.mvn/select-jdk.sh"  # JAVA_HOME: the JDK the build uses
[ "$(pod_identity_java_major "$JAVA_HOME")" -ge 25 ] ||
  die "$JAVA_HOME is older than JDK 25, the first with -XX:AOTCacheOutput: set JAVA_HOME to a JDK 25"
. "$here/knative/image.conf"  # JVM_FLAGS, MALLOC_ARENA_MAX, TRAIN_MAX_RAM
# The stand-in API servers of the training run (knative/TrainApiServer.java) and of the check
# (jdk.httpserver) run on this JDK.
export PATH="$JAVA_HOME/bin:$PATH"
aot=/deployments/app.aot
java_tool_options="-XX:AOTCache=$aot $JVM_FLAGS"

apt_install() {
  log "installing $* (apt-get)"
  { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" ||
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"; }; } >&2
}
for tool in curl:curl dpkg-deb:dpkg apt-get:apt unshare:util-linux ldd:libc-bin sha256sum:coreutils openssl:openssl unzip:unzip; do
  command -v "${tool%%:*}" > /dev/null || apt_install "${tool#*:}"
done

# ---- 1. the JRE ------------------------------------------------------------------------------
# The function's modules (jdeps on its jars, then trial: Quarkus reads its class path through the
# jar file system, jdk.zipfs) and what it needs at run time without naming it: jdk.crypto.ec (TLS
# to the API server; empty since JDK 22, where java.base has EC), jdk.naming.dns (Netty's DNS
# resolver), jdk.net (socket options), jdk.management (JVM metrics). Not included: java.desktop and
# java.xml, which Jackson and Micrometer only probe for.
modules=(java.base java.logging java.management java.naming jdk.crypto.ec jdk.management
  jdk.naming.dns jdk.net jdk.unsupported jdk.zipfs)
jlink_options=(--strip-debug --no-header-files --no-man-pages)
available=$("$JAVA_HOME/bin/java" --list-modules | sed 's/@.*//')
present=()
for m in "${modules[@]}"; do
  if grep -qx "$m" <<< "$available"; then present+=("$m"); else log "this JDK has no module $m: left out"; fi
done
jdk_version=$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"$/\1/p' "$JAVA_HOME/release")
[ -n "$jdk_version" ] || die "$JAVA_HOME/release names no JAVA_RUNTIME_VERSION"
key=$(printf '%s\n' "$JAVA_HOME" "$jdk_version" "${present[*]}" "${jlink_options[*]}" | sha256sum | cut -c1-12)
jre=$cache/jre-$jdk_version-$key
if [ ! -x "$jre/bin/java" ]; then
  log "jlink: a JRE of $jdk_version with ${present[*]}"
  rm -rf "$jre.tmp"
  nice "$JAVA_HOME/bin/jlink" --add-modules "$(IFS=,; echo "${present[*]}")" "${jlink_options[@]}" \
    --output "$jre.tmp" >&2
  mv "$jre.tmp" "$jre"
fi
log "JRE: $jre ($(du -sh "$jre" | cut -f1))"

# ---- 2. the base -----------------------------------------------------------------------------
# The Debian packages of the shared libraries the JRE's executables and libraries load (ldd on this
# machine, which must be the image's architecture), libgcc-s1 (glibc loads it to unwind threads),
# and what they depend on, in the versions apt-get would install now.
arch=$(dpkg --print-architecture)
case $arch in amd64 | arm64) ;; *) die "architecture $arch: only amd64 and arm64 are built" ;; esac
packages=(libc6 libgcc-s1)
while read -r lib; do
  owner=$(dpkg -S "$lib" 2> /dev/null || dpkg -S "${lib#/usr}" 2> /dev/null || dpkg -S "/usr$lib" 2> /dev/null) ||
    die "no Debian package holds $lib, which the JRE loads"
  packages+=("${owner%%[:,]*}")
done < <(find "$jre/bin" "$jre/lib" -type f \( -path "$jre/bin/*" -o -name '*.so' \) -exec ldd {} + 2> /dev/null |
  awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}' | grep -v "^$jre/" | sort -u)
candidate() { apt-cache show --no-all-versions "$1" 2> /dev/null | awk '/^Version: / && !v {v = $2} END {print v}'; }
[ -n "$(candidate libc6)" ] || { log "apt-get update (no package lists)"; apt-get update >&2; }
# With what they depend on (gcc-12-base: libgcc's copyright), as if installed.
mapfile -t packages < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances "${packages[@]}" | grep -v '^[ <]' | sed "s/:$arch\$//" | sort -u)
versions=()
for p in "${packages[@]}"; do
  v=$(candidate "$p")
  [ -n "$v" ] || die "apt knows no version of $p"
  versions+=("$p=$v")
done
# What the base holds besides the packages' files; part of the cache key.
passwd='root:x:0:0:root:/root:/usr/sbin/nologin
pod-identity:x:185:185:pod identity function:/nonexistent:/usr/sbin/nologin'
group='root:x:0:
pod-identity:x:185:'
nsswitch='passwd: files
group: files
hosts: files dns'
layout=3 # change when the steps below change
key=$(printf '%s\n' "$arch" "${versions[@]}" "$passwd" "$group" "$nsswitch" "$layout" | sha256sum | cut -c1-12)
base=$cache/base-$key
if [ ! -d "$base" ]; then
  log "base from ${versions[*]}"
  debs=$cache/debs
  mkdir -p "$debs"
  (cd "$debs" && for pv in "${versions[@]}"; do
    f="${pv%%=*}_${pv#*=}_$arch.deb"
    f=${f//:/%3a}
    [ -f "$f" ] || apt-get download "$pv" >&2 2> /dev/null || { apt-get update >&2 && apt-get download "$pv" >&2; }
  done)
  rm -rf "$base.tmp"
  mkdir -p "$base.tmp"
  for pv in "${versions[@]}"; do
    f="${pv%%=*}_${pv#*=}_$arch.deb"
    dpkg-deb -x "$debs/${f//:/%3a}" "$base.tmp"
  done
  # Character set converters (iconv: the JVM has its own), documentation and lintian overrides:
  # not needed at run time. The packages' copyright files stay.
  rm -rf "$base.tmp"/usr/lib/*-linux-gnu/gconv "$base.tmp"/usr/share/lintian
  find "$base.tmp/usr/share/doc" -type f ! -name copyright -delete 2> /dev/null || true
  find "$base.tmp/usr/share/doc" -depth -type d -empty -delete 2> /dev/null || true
  mkdir -p "$base.tmp"/{etc,proc,dev,sys,tmp,opt,deployments}
  printf '%s\n' "$passwd" > "$base.tmp/etc/passwd"
  printf '%s\n' "$group" > "$base.tmp/etc/group"
  printf '%s\n' "$nsswitch" > "$base.tmp/etc/nsswitch.conf"
  chmod 0644 "$base.tmp"/etc/{passwd,group,nsswitch.conf}
  chmod 1777 "$base.tmp/tmp"
  chmod 0755 "$base.tmp"/{etc,proc,dev,sys,opt,deployments}
  touch -h -d @0 "$base.tmp"/etc/{passwd,group,nsswitch.conf}
  mv "$base.tmp" "$base"
fi
log "base: $base ($(du -sh "$base" | cut -f1); ${versions[*]})"

# ---- 3. the image's root ---------------------------------------------------------------------
log "staging the root in $root"
if [ -d "$root" ]; then chmod -R u+w "$root"; rm -rf "$root"; fi
cp -a "$base" "$root"
cp -a "$jre" "$root/opt/java"
# The aot-jar as Maven wrote it, timestamps kept (quarkus-app-dependencies.txt is a listing only),
# then its ~170 dependency jars as one: each jar on the class path costs every start (MergeLibs.java
# says why and what is kept).
cp -a "$app/lib" "$app/app" "$app/quarkus" "$app/quarkus-run.jar" "$root/deployments/"
java "$here/knative/MergeLibs.java" "$root/deployments" >&2
# netty-tcnative's OpenSSL (the HTTPS server's TLS, ServerTlsEngine) where the JVM's default
# java.library.path looks first, so Netty loads it from there: from the jar, it would inflate its
# 3 MB into /tmp at every start (~3 % of the CPU to the first answer on one CPU).
mkdir -p "$root/usr/java/packages/lib"
unzip -q -o -j "$root/deployments/lib/main/dependencies.jar" 'META-INF/native/libnetty_tcnative_linux_x86_64.so' \
  -d "$root/usr/java/packages/lib"
chown -R 0:0 "$root"

# ---- 4. the AOT cache ------------------------------------------------------------------------
# Ports nobody listens on (other builds may run on this machine).
free_port() {
  local p
  for p in $(shuf -i 20000-29999 -n 50); do
    { exec 3<> "/dev/tcp/127.0.0.1/$p"; } 2> /dev/null && { exec 3>&-; continue; }
    echo "$p"
    return
  done
  die "no free port"
}
port=$(free_port)
api_port=$(free_port)
[ "$port" != "$api_port" ] || api_port=$(free_port)
tls_port=$(free_port)
while [ "$tls_port" = "$port" ] || [ "$tls_port" = "$api_port" ]; do tls_port=$(free_port); done

# Runs "$@" in a mount namespace where $root has /proc, /dev, an empty /tmp and, read-only,
# examples/ at /tmp/examples; with RO=1 $root itself is read-only there. The mounts end with the
# namespace: nothing of them is left in $root. It execs: call it in a subshell, ( ... ), whose
# process then is the command's, so that $! of ( ... ) & is the process to stop.
in_root_namespace() {
  # shellcheck disable=SC2016  # expanded by the inner bash
  exec unshare --mount --propagation private env ROOT="$root" RO="${RO:-}" EXAMPLES="$here/examples" bash -c '
    set -euo pipefail
    if [ -n "$RO" ]; then mount --bind "$ROOT" "$ROOT"; mount -o remount,bind,ro "$ROOT"; fi
    mount -t proc proc "$ROOT/proc"
    mount --rbind /dev "$ROOT/dev"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$ROOT/tmp"
    mkdir "$ROOT/tmp/examples"
    mount --bind "$EXAMPLES" "$ROOT/tmp/examples"
    mount -o remount,bind,ro "$ROOT/tmp/examples"
    exec "$@"' in-root "$@"
}
# Paths, sizes, times and modes of what the image holds besides the base.
snapshot() { (cd "$root" && find opt deployments -printf '%p %s %T@ %m %U:%G\n' | sort); }
# The image's command as containerd runs it: the root as /, user and group 185, no other groups,
# working directory /deployments.
in_root_java="unshare --root=$root --wd=/deployments --setuid 185 --setgid 185 /opt/java/bin/java"

log "training the AOT cache: the JRE in a chroot of the root as user 185, JVM flags: $JVM_FLAGS -XX:MaxRAM=$TRAIN_MAX_RAM"
train_log=$work/train.log
before=$(snapshot)
# The JVM writes the cache where user 185 may write, the namespace's /tmp; copied to $aot after.
# A clean environment: nothing of the caller's (JAVA_TOOL_OPTIONS, QUARKUS_*, POD_IDENTITY_*) may
# shape the training.
# shellcheck disable=SC2016
if ! (in_root_namespace env -i PATH="$PATH" LC_ALL=C JAVA="$in_root_java" TRAIN_ROOT="$root" \
  JAVA_OPTS="$JVM_FLAGS -XX:MaxRAM=$TRAIN_MAX_RAM" JAR=/deployments/quarkus-run.jar \
  TRAIN_PORT="$port" TRAIN_API_PORT="$api_port" TRAIN_TLS_PORT="$tls_port" TRAIN_API_DIR="$here/knative/train-api" \
  POD_IDENTITY_CONTAINER_CREDENTIALS_CONFIG_FILE=/tmp/examples/pod-identity-associations.json \
  POD_IDENTITY_AWS_DEFAULT_REGION=eu-west-1 \
  AOT="$aot" TRAIN="$here/knative/train-aot.sh" REVIEWS="$here/examples" \
  bash -c 'nice bash "$TRAIN" "$REVIEWS" /tmp/app.aot && cp "$TRAIN_ROOT/tmp/app.aot" "$TRAIN_ROOT$AOT"') \
  > "$train_log" 2>&1; then
  tail -30 "$train_log" >&2
  die "the training run failed (whole log: $train_log)"
fi
chown 0:0 "$root$aot"
chmod 0644 "$root$aot"
log "AOT cache: $(stat -c %s "$root$aot") bytes"
# The training run may add app.aot and nothing else: the cache describes the files as they are.
changed=$(diff <(echo "$before") <(snapshot | grep -v "^deployments/app.aot ") | grep '^[<>]' | grep -v '^[<>] deployments [0-9]' || true)
[ -z "$changed" ] || die "the training run changed the root: $changed"
trained=$(snapshot)

# ---- 5. the check ----------------------------------------------------------------------------
# The image's entry point and environment on the finished root, read-only, as user 185, from
# /deployments: it must answer POST /mutate with a patch (the ServiceAccount from the stand-in API
# server) and say that it used the AOT cache.
image_path=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [ -n "$check" ]; then
  log "check: the image's command on the read-only root"
  check_log=$work/check.log
  java -m jdk.httpserver -b 127.0.0.1 -p "$api_port" -d "$here/knative/train-api" -o none > "$work/check-api.log" 2>&1 &
  api_pid=$!
  # shellcheck disable=SC2086  # in_root_java is a command line
  (RO=1 in_root_namespace env -i PATH="$image_path" JAVA_TOOL_OPTIONS="$java_tool_options" \
    MALLOC_ARENA_MAX="$MALLOC_ARENA_MAX" QUARKUS_HTTP_PORT="$port" QUARKUS_HTTP_HOST=127.0.0.1 \
    KUBERNETES_MASTER="http://127.0.0.1:$api_port" KUBERNETES_AUTH_TRYKUBECONFIG=false \
    KUBERNETES_AUTH_TRYSERVICEACCOUNT=false POD_IDENTITY_AWS_DEFAULT_REGION=eu-west-1 \
    $in_root_java -jar /deployments/quarkus-run.jar) > "$check_log" 2>&1 &
  check_pid=$! # the JVM: every step up to it execs
  trap 'kill "$check_pid" "$api_pid" 2> /dev/null || true' EXIT
  # Up to 5 minutes (a busy machine); an answer without a patch (a lookup that outlasted its
  # budget while the JVM was cold) is asked again.
  code=000
  deadline=$((SECONDS + 300))
  while [ $SECONDS -lt $deadline ] && kill -0 "$check_pid" 2> /dev/null; do
    code=$(curl -s -o "$work/check-answer.json" -w '%{http_code}' -H 'Content-Type: application/json' \
      --data @"$here/examples/irsa-pod.json" "http://127.0.0.1:$port/mutate" || true)
    [ "$code" = 200 ] && grep -q '"patch"' "$work/check-answer.json" && break
    sleep 0.25
  done
  kill -TERM "$check_pid" 2> /dev/null || true
  for _ in $(seq 1 100); do kill -0 "$check_pid" 2> /dev/null || break; sleep 0.1; done
  kill -KILL "$check_pid" 2> /dev/null || true
  wait "$check_pid" 2> /dev/null || true
  kill "$api_pid" 2> /dev/null || true
  wait "$api_pid" 2> /dev/null || true
  trap - EXIT
  grep -E '\]\[aot' "$check_log" | sed 's/^/build-image: check: /' >&2 || true
  if [ "$code" != 200 ] || ! grep -q '"patch"' "$work/check-answer.json" ||
    ! grep -q '"outcome":"mutated"' "$check_log"; then
    tail -30 "$check_log" >&2
    die "check: no patch from POST /mutate (HTTP $code; log: $check_log)"
  fi
  if ! grep -qE '\[info *\]\[aot,codecache,init\] Loaded [0-9]+ AOT code entries' "$check_log" ||
    grep -qE '\[(warning|error) *\]\[aot|Unable to use AOT' "$check_log"; then
    die "check: the JVM did not use the AOT cache (log: $check_log)"
  fi
  [ "$(snapshot)" = "$trained" ] || die "check: the root changed"
  log "check: POST /mutate answered with a patch; the AOT cache was used"
fi

# ---- 6. the tarball --------------------------------------------------------------------------
# A Go >= 1.25 for knative/image: the one on the PATH, else the toolchain module of that version
# from the Go module proxy, fetched (and checked against the checksum database) by whatever go
# there is, Debian's included, and copied into the cache with its programs made executable (the
# module cache keeps no modes), as the go command does for GOTOOLCHAIN.
go_command() {
  local v dir toolchain=go1.25.0
  if command -v go > /dev/null; then
    v=$(GOTOOLCHAIN=local go env GOVERSION 2> /dev/null || go version | awk '{print $3}')
    v=${v#go}
    if [ "$(printf '%s\n' 1.25 "${v%%[!0-9.]*}" | sort -V | head -1)" = 1.25 ]; then
      echo go
      return
    fi
  else
    apt_install golang-go
  fi
  if [ ! -x "$cache/$toolchain/bin/go" ]; then
    log "no Go >= 1.25 here: $toolchain from the Go module proxy"
    dir=$(cd "$(mktemp -d)" && GOTOOLCHAIN=local GOFLAGS=-mod=mod \
      go mod download -json "golang.org/toolchain@v0.0.1-$toolchain.linux-$arch" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -f "$dir/bin/go" ] || die "could not fetch $toolchain from the Go module proxy"
    rm -rf "$cache/$toolchain.tmp"
    cp -r "$dir" "$cache/$toolchain.tmp"
    chmod -R u+w "$cache/$toolchain.tmp"
    chmod +x "$cache/$toolchain.tmp"/bin/* "$cache/$toolchain.tmp"/pkg/tool/*/*
    mv "$cache/$toolchain.tmp" "$cache/$toolchain"
  fi
  echo "$cache/$toolchain/bin/go"
}
src=$here/knative/image
key=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-12)
mkimage=$cache/bin/mkimage-$key
if [ ! -x "$mkimage" ]; then
  gocmd=$(go_command)
  log "building the image writer with $gocmd ($src)"
  mkdir -p "$cache/bin"
  (cd "$src" && GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
    nice "$gocmd" build -trimpath -ldflags "-s -w" -o "$mkimage.tmp" .) >&2
  mv "$mkimage.tmp" "$mkimage"
fi

created=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$root/deployments/quarkus-run.jar")}
log "writing $output ($tag)"
facts=$("$mkimage" -root "$root" -tag "$tag" -output "$output" -created "$created" -arch "$arch" \
  -layer base=. \
  -layer jre=opt/java \
  -layer lib=deployments/lib,usr/java \
  -layer app=deployments/app,deployments/quarkus,deployments/quarkus-run.jar \
  -layer aot=deployments/app.aot \
  -user 185 -workdir /deployments \
  -entrypoint '["/opt/java/bin/java","-jar","/deployments/quarkus-run.jar"]' \
  -env "PATH=$image_path" -env "JAVA_TOOL_OPTIONS=$java_tool_options" \
  -env "MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX" \
  -port 8080/tcp -port 8443/tcp \
  -label org.opencontainers.image.title=pod-identity)
fact() { awk -v k="$1" '$1 == k {print $2}' <<< "$facts"; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
log "image $tag: $(fact tarball-bytes) bytes ($(mib "$(fact tarball-bytes)")) as a tarball," \
  "$(fact uncompressed-bytes) bytes ($(mib "$(fact uncompressed-bytes)")) uncompressed"
log "image ID $(fact image-id), manifest $(fact manifest-digest)"
echo "$output"
