# A real single-node Kubernetes on this machine (devcluster/): etcd, the
# control plane, kubelet on containerd and runc, kube-proxy, CoreDNS and
# kube-router, with the Dapr control plane from its Helm chart, every part
# built from the Go module proxy and every image built here. It needs root.
# See docs/kubernetes.md.

MODULES += devcluster
# Its tests bring the cluster up; they run under k8s-e2e.
NOT_UNIT += devcluster
EXTRA_TESTS += k8s-e2e

.PHONY: k8s-e2e k8s-local k8s-clean k8s-tools

## k8s-e2e: bring up the real cluster, apply the kind overlay, run the saga on it (orders, policies, pod deletions under load), then once on PostgreSQL stores, and tear it down
k8s-e2e: k8s-tools
	go test $(TESTFLAGS) -timeout 5m ./devcluster/images/... ./devcluster/cmd/...
	go test $(TESTFLAGS) -timeout 25m ./devcluster/k8se2e/...

## k8s-local: the same cluster and deployment, with localhost:8081-8083 forwarded to the Services until Ctrl-C, which removes it all (OVERLAY=kind-postgres: the state stores on PostgreSQL)
k8s-local: k8s-tools
	@mkdir -p .dev/bin
	@go build -o .dev/bin/k8s-local ./devcluster/cmd/k8s-local
	@exec .dev/bin/k8s-local -overlay k8s/overlays/$(OVERLAY)

## k8s-clean: remove what a cluster whose program was killed left behind
k8s-clean:
	@go run ./devcluster/cmd/k8s-local -clean

# The node's Debian packages and every binary of the cluster, built once.
k8s-tools:
	@scripts/install-test-deps.sh
	@scripts/ensure-tool.sh all-cluster >/dev/null
