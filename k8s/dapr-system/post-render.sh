#!/usr/bin/env bash
# Helm post-renderer for the Dapr chart (`helm install|upgrade
# --post-renderer k8s/dapr-system/post-render.sh`, with values.yaml beside
# it): reads the chart's manifests on stdin and writes them to stdout with
# the patches of kustomization.yaml applied (one scheduler instead of three,
# one-scheduler.yaml), through `kubectl kustomize` ($KUBECTL, else kubectl
# on PATH). Helm passes it the rendered templates only, not the CRDs.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$here/kustomization.yaml" "$here/one-scheduler.yaml" "$work/"
cat >"$work/chart.yaml"
"${KUBECTL:-kubectl}" kustomize "$work"
