#!/usr/bin/env bash
# skaffold's custom builder in the profile "local" (skaffold.yaml): builds
# the image of one service without Docker and imports it into the containerd
# of the project's single-node cluster, whose pods run it with
# imagePullPolicy IfNotPresent (nothing is pulled, nothing is pushed).
#   scripts/skaffold-build-image.sh SERVICE PORT
# SERVICE is the service's directory and PORT its default port, the same
# values the Dockerfile takes as build args; k8scheck checks both against
# contracts. skaffold sets IMAGE (the name:tag to build), BUILD_CONTEXT (the
# repository root) and PUSH_IMAGE. The cluster's state directory is
# SAGA_CLUSTER_DIR (default /var/lib/order-saga-cluster).
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 SERVICE PORT (with IMAGE set, as skaffold does)" >&2
  exit 2
fi
service=$1 port=$2
: "${IMAGE:?IMAGE is not set: skaffold sets it to the name:tag to build}"
if [[ "${PUSH_IMAGE:-false}" == true ]]; then
  echo "skaffold-build-image: the local cluster has no registry; build with local.push: false" >&2
  exit 1
fi

cluster_dir="${SAGA_CLUSTER_DIR:-/var/lib/order-saga-cluster}"
socket="$cluster_dir/containerd/containerd.sock"
if [[ ! -S "$socket" ]]; then
  echo "skaffold-build-image: no containerd socket at $socket: is the local cluster up?" >&2
  exit 1
fi

cd "${BUILD_CONTEXT:-$(dirname "$0")/..}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go run ./devcluster/cmd/saga-image -name "$IMAGE" -o "$tmp/$service.tar" \
  service "$service" "$port" -import -address "$socket" -ctr ctr
