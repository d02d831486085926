#!/usr/bin/env bash
# Prints the path of kube-apiserver 1.36 (or, with the argument "etcd", of
# etcd 3.6), building it from the Go module proxy when none is found. The
# manifest dry-run in k8scheck starts both on loopback ports; no cluster,
# container engine or download site is needed.
#
# Order of preference: $KUBE_APISERVER (or $ETCD), the binary on PATH, each
# used only when it reports the wanted version, then the build cache outside
# the repository that scripts/ensure-tool.sh keeps (it does the build, about
# 2.5 minutes for kube-apiserver and 20 seconds for etcd on 2 cores, once).
set -euo pipefail

kube_version="1.36.3"
etcd_version="3.6.8" # the etcd that k8s.io/kubernetes v1.36.3 pins
root="$(cd "$(dirname "$0")/.." && pwd)"
what="${1:-kube-apiserver}"

case "$what" in
  kube-apiserver)
    override="${KUBE_APISERVER:-}"
    want="Kubernetes v${kube_version%.*}."
    ;;
  etcd)
    override="${ETCD:-}"
    want="etcd Version: ${etcd_version%.*}."
    ;;
  *)
    echo "usage: $0 [kube-apiserver|etcd]" >&2
    exit 2
    ;;
esac

is_wanted() {
  local bin="$1" out
  [ -x "$bin" ] || return 1
  # Read all of the output first: with pipefail, grep -q closing the pipe
  # early could fail the check of a good binary.
  out="$("$bin" --version 2>/dev/null)" || return 1
  grep -q "^$want" <<<"$out"
}

for candidate in "$override" "$(command -v "$what" 2>/dev/null || true)"; do
  if [ -n "$candidate" ] && is_wanted "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

# An override that is not the wanted version falls through to the cache.
KUBE_APISERVER="" ETCD="" exec "$root/scripts/ensure-tool.sh" "$what"
