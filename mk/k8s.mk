# Kubernetes: the manifests in k8s/, the service images and skaffold.yaml,
# and the checks that prove them without a cluster (docs/kubernetes.md).

MODULES += k8scheck
# Its tests run under k8s-check, which builds the API server they need.
NOT_UNIT += k8scheck
EXTRA_TESTS += k8s-check

K8S_DAPR_MODULE := github.com/dapr/dapr@v1.18.1
OVERLAY ?= kind

.PHONY: k8s-check k8s-render k8s-up kube-apiserver

## k8s-check: render every overlay, validate it (types, Dapr CRDs, policies) and dry-run it on a local kube-apiserver
k8s-check:
	@set -e; \
	apiserver="$$(scripts/ensure-kube-apiserver.sh)"; \
	etcd="$$(scripts/ensure-kube-apiserver.sh etcd)"; \
	moddir="$$(GOWORK=off GOFLAGS=-mod=mod go mod download -json $(K8S_DAPR_MODULE) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$$/\1/p')"; \
	test -d "$$moddir/charts/dapr/crds" || { echo "k8s-check: no Dapr CRDs in '$$moddir'" >&2; exit 1; }; \
	skaffold="$$(scripts/ensure-tool.sh skaffold)"; \
	kubectl="$$(scripts/ensure-tool.sh kubectl)"; \
	echo "KUBE_APISERVER=$$apiserver ETCD=$$etcd DAPR_CRDS_DIR=$$moddir/charts/dapr/crds SKAFFOLD=$$skaffold KUBECTL=$$kubectl"; \
	KUBE_APISERVER="$$apiserver" ETCD="$$etcd" DAPR_CRDS_DIR="$$moddir/charts/dapr/crds" SKAFFOLD="$$skaffold" KUBECTL="$$kubectl" \
		go test $(TESTFLAGS) -timeout 15m ./k8scheck/...

## k8s-render: print the manifests of k8s/overlays/$(OVERLAY) (kind or minikube) without kubectl, development secrets included
k8s-render:
	@scripts/k8s-secrets.sh
	@go run ./k8scheck/cmd/k8s-render k8s/overlays/$(OVERLAY)

## k8s-up: create a local cluster (K8S=kind or minikube), install Dapr 1.18.1 with Helm (k8s/dapr-system), write the development secrets, then skaffold dev
k8s-up:
	@scripts/k8s-up.sh

## kube-apiserver: print the paths of kube-apiserver and etcd, building them once
kube-apiserver:
	@scripts/ensure-kube-apiserver.sh
	@scripts/ensure-kube-apiserver.sh etcd
