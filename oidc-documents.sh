#!/bin/sh
# Writes a self-hosted cluster's OpenID discovery document and JWKS to a directory and prints the
# kube-apiserver flags that go with them. No other runtime than the JDK the build uses:
#   ./oidc-documents.sh --issuer https://oidc.example.com/prod --key /etc/kubernetes/pki/sa.pub --out site/
set -eu
here=$(cd "$(dirname "$0")" && pwd)
app="$here/function/target/quarkus-app"
[ -d "$app/lib/main" ] || "$here/mvnw" -q -f "$here/pom.xml" -pl function -DskipTests package
. "$here/.mvn/select-jdk.sh"
exec "$JAVA_HOME/bin/java" -cp "$app/app/*:$app/lib/main/*" dev.podidentity.oidc.OidcDocumentsCommand "$@"
