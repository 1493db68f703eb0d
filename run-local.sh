#!/bin/sh
# Runs the function on this machine with no cluster: ServiceAccounts and Pod Identity associations
# come from the files in examples/ (edit them while it runs: they are re-read when they change).
# Serves http://localhost:8080/mutate. Any pod-identity.* property can be set the same way, as an
# environment variable (POD_IDENTITY_AWS_DEFAULT_REGION=...).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
export POD_IDENTITY_SERVICE_ACCOUNTS_FILE="${POD_IDENTITY_SERVICE_ACCOUNTS_FILE:-$here/examples/service-accounts.yaml}"
export POD_IDENTITY_CONTAINER_CREDENTIALS_CONFIG_FILE="${POD_IDENTITY_CONTAINER_CREDENTIALS_CONFIG_FILE:-$here/examples/pod-identity-associations.json}"
export POD_IDENTITY_AWS_DEFAULT_REGION="${POD_IDENTITY_AWS_DEFAULT_REGION:-eu-west-1}"
exec "$here/mvnw" -q -f "$here/pom.xml" -pl function -DskipTests package io.quarkus:quarkus-maven-plugin:run
