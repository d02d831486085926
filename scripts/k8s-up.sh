#!/usr/bin/env bash
# From nothing to the saga on a local Kubernetes cluster: creates the
# cluster (kind, or minikube with K8S=minikube), installs Dapr 1.18.1 with
# Helm (the values and post-renderer of k8s/dapr-system), writes the
# development secrets (scripts/k8s-secrets.sh), then runs `skaffold dev`,
# which builds the three images, deploys k8s/overlays/$K8S, forwards
# order-svc to localhost:8081 and redeploys on every change.
# Ctrl-C stops skaffold and removes what it deployed; the cluster, Dapr
# and the secrets' files stay (delete the cluster with `kind delete cluster
# --name order-saga` or `minikube delete -p order-saga`).
#
# Needs docker, kubectl, helm, skaffold and kind or minikube on PATH. See
# docs/kubernetes.md for the same steps one by one.
set -euo pipefail

k8s="${K8S:-kind}"
cluster="${CLUSTER:-order-saga}"
dapr_version="1.18.1"
root="$(cd "$(dirname "$0")/.." && pwd)"

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "k8s-up: $1 is not on PATH; see docs/kubernetes.md for what to install" >&2
    exit 1
  }
}
for tool in docker kubectl helm skaffold "$k8s"; do need "$tool"; done

case "$k8s" in
  kind)
    if ! kind get clusters 2>/dev/null | grep -qx "$cluster"; then
      kind create cluster --name "$cluster" --wait 120s
    fi
    kubectl config use-context "kind-$cluster"
    ;;
  minikube)
    if ! minikube status -p "$cluster" >/dev/null 2>&1; then
      # Calico, because minikube's default network does not enforce
      # NetworkPolicy.
      minikube start -p "$cluster" --cpus=2 --memory=6g --cni=calico
    fi
    kubectl config use-context "$cluster"
    ;;
  *)
    echo "k8s-up: K8S must be kind or minikube, not $k8s" >&2
    exit 2
    ;;
esac

helm repo add dapr https://dapr.github.io/helm-charts --force-update >/dev/null
helm repo update dapr >/dev/null
# k8s/dapr-system/values.yaml says why each value: sidecars without any
# capability, no placement (the saga uses no actors), the scheduler with a
# 1Gi claim; the post-renderer (kubectl kustomize) makes the scheduler one
# replica instead of the chart's three. The project's own cluster
# (devcluster) installs Dapr with the same two files.
helm upgrade --install dapr dapr/dapr --version "$dapr_version" \
  --namespace dapr-system --create-namespace --wait \
  -f "$root/k8s/dapr-system/values.yaml" \
  --post-renderer "$root/k8s/dapr-system/post-render.sh"

cd "$root"
# skaffold's render hook runs it too; here it comes first, so that the
# secrets exist even for a `kubectl apply -k` without skaffold.
scripts/k8s-secrets.sh
exec skaffold dev -p "$k8s" --port-forward=user
