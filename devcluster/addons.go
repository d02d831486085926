package devcluster

import (
	"context"
	"fmt"
	"os"
)

// dnsService is kube-dns: the cluster DNS address that kubelet gives every
// pod, served by CoreDNS on the node (a host process, like the rest of the
// node), so the Service has no selector and one hand-written endpoint.
var dnsService = fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels:
    k8s-app: kube-dns
spec:
  clusterIP: %[1]s
  ports:
    - {name: dns, port: 53, targetPort: %[3]d, protocol: UDP}
    - {name: dns-tcp, port: 53, targetPort: %[3]d, protocol: TCP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-node
  namespace: kube-system
  labels:
    kubernetes.io/service-name: kube-dns
    endpointslice.kubernetes.io/managed-by: order-saga-devcluster
addressType: IPv4
ports:
  - {name: dns, port: %[3]d, protocol: UDP}
  - {name: dns-tcp, port: %[3]d, protocol: TCP}
endpoints:
  - addresses: ["%[2]s"]
    conditions: {ready: true}
`, DNSServiceIP, NodeIP, dnsPort)

// Volumes makes the PersistentVolumes that the manifests' claims bind to:
// a cluster made with kind has a default StorageClass, this one has none,
// so each claim gets a hostPath volume made for it, owned by the user the
// pod runs as.
func (c *Cluster) Volumes(ctx context.Context, claims []Claim) error {
	for _, cl := range claims {
		dir := c.path("volumes", cl.Namespace, cl.Name)
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return err
		}
		if err := os.Chown(dir, cl.UID, cl.GID); err != nil {
			return err
		}
		pv := fmt.Sprintf(`apiVersion: v1
kind: PersistentVolume
metadata:
  name: %[1]s-%[2]s
spec:
  capacity: {storage: %[3]s}
  accessModes: ["ReadWriteOnce"]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  claimRef: {namespace: %[1]s, name: %[2]s}
  hostPath: {path: %[4]s, type: Directory}
`, cl.Namespace, cl.Name, cl.Size, dir)
		if err := c.apply(ctx, pv); err != nil {
			return err
		}
	}
	return nil
}

// Claim is a PersistentVolumeClaim to provide a volume for.
type Claim struct {
	Namespace, Name, Size string
	UID, GID              int
}
