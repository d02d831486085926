package devcluster

import (
	"bytes"
	"os"
	"text/template"
)

// The configuration files of the node's servers, written into the
// cluster's directory. Each setting that is not a default is here because
// the server failed without it on this kind of machine (see
// docs/kubernetes.md).

// containerdConfig: its own root, state and socket, so it never meets
// another containerd; the CRI plugin with a locally built sandbox image;
// restrict_oom_score_adj because root here lacks CAP_SYS_RESOURCE and a
// sandbox asking for -998 would fail to start.
const containerdConfig = `version = 2
root = "{{.Dir}}/containerd/root"
state = "{{.Dir}}/containerd/state"
plugin_dir = ""
disabled_plugins = ["io.containerd.internal.v1.tracing", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "{{.Dir}}/containerd/containerd.sock"

[ttrpc]
  address = "{{.Dir}}/containerd/containerd.sock.ttrpc"

[debug]
  level = "warn"

[plugins."io.containerd.internal.v1.opt"]
  path = "{{.Dir}}/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{{.PauseImage}}"
  restrict_oom_score_adj = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{{.Dir}}/cni/net.d"
    max_conf_num = 1
`

// cniConfig: every pod on the bridge, the node as gateway, no masquerade:
// nothing leaves through the host's external interface.
const cniConfig = `{
  "cniVersion": "0.4.0",
  "name": "order-saga",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "` + Bridge + `",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "{{.Dir}}/cni/ipam",
        "ranges": [[{"subnet": "` + PodCIDR + `", "rangeStart": "10.244.0.10", "gateway": "` + NodeIP + `"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`

// kubeletConfig: cgroup v1 with the cgroupfs driver (kubelet 1.36 refuses
// v1 unless told), swap allowed, the node's address on the bridge, clients
// authenticated by the cluster's CA. syncFrequency is 10s, not 1m: a pod's
// ConfigMap volumes are refreshed on its periodic sync, and every Dapr
// control plane pod waits for Sentry's trust bundle (ConfigMap
// dapr-trust-bundle, filled by Sentry once it runs) to appear in its
// volume; with the default, Helm's install waited up to 90 s for it.
const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ` + NodeIP + `
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: {{.KubeletHealthzPort}}
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: false
  x509:
    clientCAFile: {{.PKI}}/ca.crt
authorization:
  mode: AlwaysAllow
tlsCertFile: {{.PKI}}/kubelet.crt
tlsPrivateKeyFile: {{.PKI}}/kubelet.key
rotateCertificates: false
serverTLSBootstrap: false
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://{{.Dir}}/containerd/containerd.sock
clusterDNS: ["` + DNSServiceIP + `"]
clusterDomain: cluster.local
resolvConf: {{.Dir}}/kubelet-resolv.conf
volumePluginDir: {{.Dir}}/kubelet-plugins
serializeImagePulls: false
maxPods: 60
syncFrequency: 10s
evictionHard:
  memory.available: 100Mi
  nodefs.available: "1%"
  nodefs.inodesFree: "1%"
  imagefs.available: "1%"
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
containerLogMaxSize: 10Mi
logging:
  format: text
`

// kubeProxyConfig: iptables mode, no conntrack tuning (the sysctls stay as
// they are), node ports only on the node's bridge address.
const kubeProxyConfig = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: {{.Dir}}/kube-proxy.kubeconfig
mode: iptables
hostnameOverride: {{.NodeName}}
bindAddress: ` + NodeIP + `
clusterCIDR: ` + PodCIDR + `
healthzBindAddress: 127.0.0.1:{{.ProxyHealthzPort}}
metricsBindAddress: 127.0.0.1:{{.ProxyMetricsPort}}
nodePortAddresses: ["` + NodeIP + `/32"]
conntrack:
  maxPerCore: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
iptables:
  localhostNodePorts: false
`

// corefile: the cluster's names only, no forward plugin: a pod cannot
// resolve, and so cannot reach, anything outside the cluster.
const corefile = `.:{{.DNSPort}} {
    bind ` + NodeIP + `
    errors
    ready 127.0.0.1:{{.DNSReadyPort}}
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig {{.Dir}}/admin.kubeconfig order-saga-dev
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
}
`

// writeTemplate renders text with data into path.
func writeTemplate(path, text string, data any) error {
	t, err := template.New(path).Option("missingkey=error").Parse(text)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
