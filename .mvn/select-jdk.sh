# Sourced by ./mvnw: make sure Maven runs on a JDK >= 21 without any hand set-up.
# Keeps JAVA_HOME when it already points at one; otherwise picks the newest JDK >= 21 found in the
# usual install locations (the machine's default `java` may be 17).
pod_identity_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}
if [ -z "${JAVA_HOME-}" ] || [ ! -x "$JAVA_HOME/bin/java" ] ||
  [ "$(pod_identity_java_major "$JAVA_HOME")" -lt 21 ] 2>/dev/null; then
  # The search needs globbing; mvnw runs with it off: restore the caller's setting afterwards.
  case $- in *f*) pod_identity_noglob=1 ;; *) pod_identity_noglob= ;; esac
  set +f
  pod_identity_best=""
  pod_identity_best_major=0
  for pod_identity_candidate in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*; do
    [ -x "$pod_identity_candidate/bin/javac" ] || continue
    pod_identity_major=$(pod_identity_java_major "$pod_identity_candidate")
    [ -n "$pod_identity_major" ] || continue
    if [ "$pod_identity_major" -ge 21 ] && [ "$pod_identity_major" -gt "$pod_identity_best_major" ]; then
      pod_identity_best=$pod_identity_candidate
      pod_identity_best_major=$pod_identity_major
    fi
  done
  [ -z "$pod_identity_noglob" ] || set -f
  if [ -n "$pod_identity_best" ]; then
    JAVA_HOME=$pod_identity_best
    export JAVA_HOME
  else
    echo "mvnw: no JDK >= 21 found; set JAVA_HOME to one" >&2
    exit 1
  fi
fi
