#!/usr/bin/env bash
# Prints the path of kube-apiserver 1.36 (or, with the argument "etcd", of
# etcd 3.6), building it from the Go module proxy when none is found. The
# manifest dry-run in k8scheck starts both on loopback ports; no cluster,
# container engine or download site is needed.
#
# Order of preference: $KUBE_APISERVER (or $ETCD), the binary on PATH, then
# the build cache outside the repository. The builds take about 2.5 minutes
# (kube-apiserver) and 20 seconds (etcd) on 2 cores, once.
set -euo pipefail

kube_version="1.36.3"
etcd_version="3.6.8" # the etcd that k8s.io/kubernetes v1.36.3 pins
cache_dir="${KUBE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/order-saga/kube-$kube_version}"
root="$(cd "$(dirname "$0")/.." && pwd)"
what="${1:-kube-apiserver}"

case "$what" in
  kube-apiserver)
    override="${KUBE_APISERVER:-}"
    want="Kubernetes v${kube_version%.*}."
    pkg="k8s.io/kubernetes/cmd/kube-apiserver"
    minor="${kube_version#*.}"
    minor="${minor%%.*}"
    ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$kube_version
      -X k8s.io/component-base/version.gitMajor=1
      -X k8s.io/component-base/version.gitMinor=$minor
      -X k8s.io/component-base/version.gitTreeState=clean"
    minutes="about 2.5 minutes"
    ;;
  etcd)
    override="${ETCD:-}"
    want="etcd Version: ${etcd_version%.*}."
    pkg="go.etcd.io/etcd/server/v3"
    ldflags="-s -w"
    minutes="about 20 seconds"
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

for candidate in "$override" "$(command -v "$what" 2>/dev/null || true)" "$cache_dir/$what"; do
  if [ -n "$candidate" ] && is_wanted "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

echo "building $what into $cache_dir ($minutes on 2 cores, once)..." >&2
mkdir -p "$cache_dir"
(
  cd "$root/tools/kube"
  GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" \
    -o "$cache_dir/$what.tmp" "$pkg"
)
mv "$cache_dir/$what.tmp" "$cache_dir/$what"
echo "$cache_dir/$what"
