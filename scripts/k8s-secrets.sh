#!/usr/bin/env bash
# Writes the development secrets of the local-cluster overlays: one env file
# per Secret in k8s/components/dev-secrets/secrets/ (git-ignored; the
# directory is 0700 and each file 0600), each holding a random value. A file
# that exists is kept, so values stay the same from one run to the next and
# a value written by hand is never replaced; delete a file to get a new one.
# `make k8s-up`, skaffold's render hook and `make k8s-render` run this before
# kustomize reads the files. See docs/kubernetes.md.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/k8s/components/dev-secrets/secrets"

umask 077
mkdir -p "$dir"

# 32 random bytes as 64 hex digits: safe in an env file, a header and a
# Redis command line.
random_value() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

# secret NAME KEY: secrets/NAME.env holds KEY=<value> for the Secret NAME.
secret() {
  local file="$dir/$1.env"
  if [[ -s "$file" ]]; then
    return
  fi
  printf '%s=%s\n' "$2" "$(random_value)" >"$file.tmp"
  mv "$file.tmp" "$file"
  echo "k8s-secrets: wrote ${file#"$root"/}" >&2
}

secret redis-auth redis-password
# The PostgreSQL of k8s/components/postgres: the superuser, and each
# store's role.
secret postgres-auth password
for store in orderstore stockstore paymentstore; do
  secret "$store-postgres" password
done
secret admin-token token
# The key "token" is the one the Dapr sidecar injector reads.
for app in order-svc stock-svc payment-svc; do
  secret "$app-app-api-token" token
  secret "$app-dapr-api-token" token
done
