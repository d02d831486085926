// Package devcluster runs a real single-node Kubernetes on this machine:
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet
// on containerd and runc, kube-proxy, CoreDNS and kube-router (for
// NetworkPolicy), with the Dapr control plane installed by Helm. Every
// binary is built from the Go module proxy (scripts/ensure-tool.sh), every
// image is built here, and nothing is pulled or leaves the machine: pods
// live on one bridge, CoreDNS has no upstream, and forwarding is kept on
// that bridge. Down removes every process, mount, cgroup, iptables rule
// and ipset it made and restores the kernel settings it changed.
package devcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// NodeName is the name of the cluster's one node.
const NodeName = "saga-node"

// DefaultDir is where the cluster keeps its state while it runs.
const DefaultDir = "/var/lib/order-saga-cluster"

// Options say where the cluster lives and what it logs.
type Options struct {
	// Dir holds every file of the cluster; it is emptied first.
	Dir string
	// Repo is the repository root (for scripts/ensure-tool.sh and the
	// images).
	Repo string
	// Log receives one line per step.
	Log io.Writer
}

// Cluster is a running cluster.
type Cluster struct {
	Dir string
	// Kubeconfig is the administrator's kubeconfig.
	Kubeconfig string
	repo       string
	log        io.Writer
	tools      map[string]string
	procs      []*proc
	sysctls    map[string]string
	iptables   map[string][]string
	cgroupsOf  []string
	started    time.Time
	// Images maps each image built for the cluster to its reference.
	Images map[string]string
}

// tool names, in the order they are needed.
var toolNames = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet",
	"kube-proxy", "kubectl", "coredns", "kube-router", "helm",
	"daprd", "dapr-operator", "dapr-sentry", "dapr-injector", "dapr-scheduler"}

// hostCommands are the node's other parts, from Debian packages.
var hostCommands = []string{"containerd", "containerd-shim-runc-v2", "runc", "ctr", "iptables", "ip6tables", "ipset", "conntrack", "ip"}

// Up brings the cluster up. On failure it tears down what it started.
func Up(ctx context.Context, o Options) (c *Cluster, err error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("devcluster: a node needs root (mounts, cgroups, iptables)")
	}
	if o.Dir == "" {
		o.Dir = DefaultDir
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	for _, name := range hostCommands {
		if _, err := exec.LookPath(name); err != nil {
			return nil, fmt.Errorf("devcluster: %s not found; scripts/install-test-deps.sh installs the node's Debian packages", name)
		}
	}
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		return nil, errors.New("devcluster: /usr/lib/cni/bridge not found; install containernetworking-plugins")
	}
	if err := Clean(ctx, o.Dir); err != nil {
		return nil, fmt.Errorf("devcluster: cleaning up after an earlier cluster: %w", err)
	}
	if err := checkNoCluster(o.Dir); err != nil {
		return nil, err
	}
	c = &Cluster{Dir: o.Dir, repo: o.Repo, log: o.Log, Kubeconfig: filepath.Join(o.Dir, "kubeconfig"), started: time.Now()}
	if c.tools, err = ensureTools(ctx, o.Repo); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(o.Dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	c.sysctls = Sysctls()
	c.iptables = iptablesState(ctx)
	if err := c.saveState(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			c.step("bring-up failed (%v): tearing down; the logs stay in .dev/cluster-logs", err)
			if derr := c.Down(context.WithoutCancel(ctx)); derr != nil {
				err = fmt.Errorf("%w; teardown: %v", err, derr)
			}
		}
	}()
	for _, s := range []struct {
		name string
		fn   func(context.Context) error
	}{
		{"network: bridge " + Bridge + " " + NodeIP + ", forwarding guarded", c.network},
		{"certificates and kubeconfigs", c.certificates},
		{"etcd and kube-apiserver", c.apiServer},
		{"controller-manager and scheduler", c.controllers},
		{"containerd and the images", c.containerd},
		{"kubelet: node Ready", c.kubelet},
		{"kube-proxy, CoreDNS and kube-router", c.nodeServices},
		{"Dapr control plane (Helm), sidecar injector serving", c.installDapr},
	} {
		start := time.Now()
		if err := s.fn(ctx); err != nil {
			return c, fmt.Errorf("%s: %w", s.name, err)
		}
		c.step("%s (%.1fs)", s.name, time.Since(start).Seconds())
	}
	c.step("cluster up in %.1fs", time.Since(c.started).Seconds())
	return c, nil
}

// checkNoCluster refuses to start over a cluster that still runs.
func checkNoCluster(dir string) error {
	sock := filepath.Join(dir, "containerd", "containerd.sock")
	if conn, err := net.DialTimeout("unix", sock, time.Second); err == nil {
		conn.Close()
		return fmt.Errorf("devcluster: a cluster is already running in %s (its containerd answers); stop it first", dir)
	}
	if _, err := net.InterfaceByName(Bridge); err == nil {
		return fmt.Errorf("devcluster: the bridge %s exists: a cluster runs or was not torn down (`make k8s-down` cleans up)", Bridge)
	}
	return nil
}

func ensureTools(ctx context.Context, repo string) (map[string]string, error) {
	tools := map[string]string{}
	for _, name := range toolNames {
		var out, errOut bytes.Buffer
		cmd := exec.CommandContext(ctx, filepath.Join(repo, "scripts", "ensure-tool.sh"), name)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("scripts/ensure-tool.sh %s: %w: %s", name, err, strings.TrimSpace(errOut.String()))
		}
		tools[name] = strings.TrimSpace(out.String())
	}
	return tools, nil
}

func (c *Cluster) step(format string, args ...any) {
	fmt.Fprintf(c.log, "cluster: "+format+"\n", args...)
}

// detail logs a line within a step.
func (c *Cluster) detail(format string, args ...any) {
	fmt.Fprintf(c.log, "cluster:   "+format+"\n", args...)
}

func (c *Cluster) path(parts ...string) string {
	return filepath.Join(append([]string{c.Dir}, parts...)...)
}

func (c *Cluster) pkiDir() string { return c.path("pki") }

func (c *Cluster) start(name, bin string, args ...string) (*proc, error) {
	p, err := startProc(c.path("logs"), name, bin, args...)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, p)
	return p, nil
}

func (c *Cluster) network(ctx context.Context) error {
	if err := addBridge(ctx); err != nil {
		return err
	}
	if err := guard(ctx); err != nil {
		return err
	}
	// Pod to Service traffic is routed by the host; the guard keeps it on
	// the bridge. Bridged traffic goes through iptables so that replies of
	// a Service's pod on the same bridge are un-NATed, and so that
	// kube-router's policies see it.
	for name, v := range map[string]string{
		"net/ipv4/ip_forward":                 "1",
		"net/bridge/bridge-nf-call-iptables":  "1",
		"net/bridge/bridge-nf-call-ip6tables": "1",
	} {
		if err := setSysctl(name, v); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) certificates(ctx context.Context) error {
	p, err := newPKI(c.pkiDir())
	if err != nil {
		return err
	}
	node := net.ParseIP(NodeIP)
	ids := []identity{
		{name: "apiserver", cn: "kube-apiserver", server: true,
			ips: []net.IP{node, net.ParseIP(APIServiceIP), net.ParseIP("127.0.0.1")},
			dns: []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}},
		{name: "apiserver-kubelet-client", cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"}, client: true},
		{name: "admin", cn: "order-saga-admin", orgs: []string{"system:masters"}, client: true},
		{name: "controller-manager", cn: "system:kube-controller-manager", client: true},
		{name: "scheduler", cn: "system:kube-scheduler", client: true},
		{name: "kube-proxy", cn: "system:kube-proxy", client: true},
		{name: "kubelet", cn: "system:node:" + NodeName, orgs: []string{"system:nodes"}, client: true, server: true,
			ips: []net.IP{node}, dns: []string{NodeName}},
	}
	for _, id := range ids {
		if err := p.issue(id); err != nil {
			return err
		}
	}
	if err := p.serviceAccountKey(); err != nil {
		return err
	}
	server := "https://" + NodeIP + ":6443"
	for file, name := range map[string]string{
		"kubeconfig":                    "admin",
		"admin.kubeconfig":              "admin",
		"controller-manager.kubeconfig": "controller-manager",
		"scheduler.kubeconfig":          "scheduler",
		"kube-proxy.kubeconfig":         "kube-proxy",
		"kubelet.kubeconfig":            "kubelet",
	} {
		if err := p.kubeconfig(c.path(file), name, server); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) apiServer(ctx context.Context) error {
	clientPort, err := freePort()
	if err != nil {
		return err
	}
	peerPort, err := freePort()
	if err != nil {
		return err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", clientPort)
	if _, err := c.start("etcd", c.tools["etcd"],
		"--data-dir", c.path("etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort),
		"--initial-cluster", fmt.Sprintf("default=http://127.0.0.1:%d", peerPort),
		"--listen-metrics-urls", "", "--log-level", "warn",
		"--quota-backend-bytes", strconv.Itoa(2<<30)); err != nil {
		return err
	}
	pki := c.pkiDir()
	if _, err := c.start("kube-apiserver", c.tools["kube-apiserver"],
		"--etcd-servers", etcdURL,
		"--bind-address", NodeIP, "--advertise-address", NodeIP, "--secure-port", "6443",
		"--tls-cert-file", pki+"/apiserver.crt", "--tls-private-key-file", pki+"/apiserver.key",
		"--client-ca-file", pki+"/ca.crt",
		"--kubelet-client-certificate", pki+"/apiserver-kubelet-client.crt",
		"--kubelet-client-key", pki+"/apiserver-kubelet-client.key",
		"--kubelet-certificate-authority", pki+"/ca.crt",
		// The node has no DNS name that resolves: logs, exec and
		// port-forward reach the kubelet by its address.
		"--kubelet-preferred-address-types", "InternalIP,Hostname",
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", pki+"/sa.pub",
		"--service-account-signing-key-file", pki+"/sa.key",
		"--service-cluster-ip-range", ServiceCIDR,
		"--service-node-port-range", "31000-31099",
		"--authorization-mode", "Node,RBAC",
		"--enable-admission-plugins", "NodeRestriction",
		// Webhooks (the sidecar injector) are called at their pods'
		// addresses: the host never sends to a Service address.
		"--enable-aggregator-routing=true",
		"--profiling=false",
		"--v=0"); err != nil {
		return err
	}
	return c.pollKubectl(ctx, 60*time.Second, "get", "--raw", "/readyz")
}

func (c *Cluster) controllers(ctx context.Context) error {
	cmPort, err := freePort()
	if err != nil {
		return err
	}
	schedPort, err := freePort()
	if err != nil {
		return err
	}
	pki := c.pkiDir()
	if _, err := c.start("kube-controller-manager", c.tools["kube-controller-manager"],
		"--kubeconfig", c.path("controller-manager.kubeconfig"),
		"--authentication-kubeconfig", c.path("controller-manager.kubeconfig"),
		"--authorization-kubeconfig", c.path("controller-manager.kubeconfig"),
		"--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(cmPort),
		// No node IPAM: the one node's pod range is the bridge's, set in
		// the CNI configuration.
		"--controllers", "*,-nodeipam",
		"--service-account-private-key-file", pki+"/sa.key",
		"--root-ca-file", pki+"/ca.crt",
		"--cluster-signing-cert-file", pki+"/ca.crt", "--cluster-signing-key-file", pki+"/ca.key",
		"--use-service-account-credentials=true",
		"--service-cluster-ip-range", ServiceCIDR,
		"--leader-elect=false", "--v=0"); err != nil {
		return err
	}
	if _, err := c.start("kube-scheduler", c.tools["kube-scheduler"],
		"--kubeconfig", c.path("scheduler.kubeconfig"),
		"--authentication-kubeconfig", c.path("scheduler.kubeconfig"),
		"--authorization-kubeconfig", c.path("scheduler.kubeconfig"),
		"--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(schedPort),
		"--leader-elect=false", "--v=0"); err != nil {
		return err
	}
	// The default service account of a namespace is made by the
	// controller-manager: until it exists, no pod can be created.
	return c.pollKubectl(ctx, 60*time.Second, "get", "serviceaccount", "default", "-n", "default")
}

func (c *Cluster) kubelet(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.path("kubelet-resolv.conf"), nil, 0o644); err != nil {
		return err
	}
	if err := writeTemplate(c.path("kubelet.yaml"), kubeletConfig, map[string]any{
		"Dir": c.Dir, "PKI": c.pkiDir(), "KubeletHealthzPort": port,
	}); err != nil {
		return err
	}
	c.cgroupsOf = kubepodsCgroups()
	if _, err := c.start("kubelet", c.tools["kubelet"],
		"--config", c.path("kubelet.yaml"),
		"--kubeconfig", c.path("kubelet.kubeconfig"),
		"--root-dir", c.path("kubelet"),
		"--cert-dir", c.path("kubelet-pki"),
		"--hostname-override", NodeName,
		"--node-ip", NodeIP,
		"--v=0"); err != nil {
		return err
	}
	return c.pollKubectl(ctx, 90*time.Second, "wait", "--for=condition=Ready", "node/"+NodeName, "--timeout=2s")
}

func (c *Cluster) nodeServices(ctx context.Context) error {
	healthz, err := freePort()
	if err != nil {
		return err
	}
	metrics, err := freePort()
	if err != nil {
		return err
	}
	if err := writeTemplate(c.path("kube-proxy.yaml"), kubeProxyConfig, map[string]any{
		"Dir": c.Dir, "NodeName": NodeName, "ProxyHealthzPort": healthz, "ProxyMetricsPort": metrics,
	}); err != nil {
		return err
	}
	if _, err := c.start("kube-proxy", c.tools["kube-proxy"], "--config", c.path("kube-proxy.yaml"), "--v=0"); err != nil {
		return err
	}
	ready, err := freePort()
	if err != nil {
		return err
	}
	if err := writeTemplate(c.path("Corefile"), corefile, map[string]any{
		"Dir": c.Dir, "DNSPort": dnsPort, "DNSReadyPort": ready,
	}); err != nil {
		return err
	}
	if _, err := c.start("coredns", c.tools["coredns"], "-conf", c.path("Corefile")); err != nil {
		return err
	}
	if err := c.apply(ctx, dnsService); err != nil {
		return err
	}
	// kube-router exits if its Node does not exist yet: the kubelet has
	// registered it by now.
	if _, err := c.start("kube-router", c.tools["kube-router"],
		"--kubeconfig", c.path("admin.kubeconfig"),
		"--hostname-override", NodeName,
		"--run-firewall=true", "--run-router=false", "--run-service-proxy=false", "--enable-cni=false",
		"--metrics-port=0", "--health-port=0", "--v=0"); err != nil {
		return err
	}
	if err := pollHTTP(ctx, 30*time.Second, fmt.Sprintf("http://127.0.0.1:%d/ready", ready)); err != nil {
		return fmt.Errorf("CoreDNS not ready: %w", err)
	}
	return c.alive()
}

// alive fails if one of the host processes has exited.
func (c *Cluster) alive() error {
	for _, p := range c.procs {
		if done, err := p.exited(); done {
			return fmt.Errorf("%s exited (%v); see %s", p.name, err, c.path("logs", p.name+".log"))
		}
	}
	return nil
}

// Kubectl runs kubectl on the cluster and returns its standard output.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) ([]byte, error) {
	return c.kubectlIn(ctx, nil, args...)
}

func (c *Cluster) kubectlIn(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, c.tools["kubectl"], append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.Bytes(), nil
}

// KubectlPath is the kubectl binary.
func (c *Cluster) KubectlPath() string { return c.tools["kubectl"] }

func (c *Cluster) apply(ctx context.Context, manifest string) error {
	_, err := c.kubectlIn(ctx, []byte(manifest), "apply", "--server-side", "--force-conflicts", "-f", "-")
	return err
}

// pollKubectl retries a kubectl command until it succeeds or the timeout
// passes, failing early if a host process has died.
func (c *Cluster) pollKubectl(ctx context.Context, timeout time.Duration, args ...string) error {
	deadline := time.Now().Add(timeout)
	for {
		_, err := c.Kubectl(ctx, args...)
		if err == nil {
			return nil
		}
		if aerr := c.alive(); aerr != nil {
			return aerr
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func pollHTTP(ctx context.Context, timeout time.Duration, url string) error {
	deadline := time.Now().Add(timeout)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: %s", url, resp.Status)
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
