package devcluster

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// The cluster's network: one Linux bridge on the host holds the node's
// address and every pod; Services are iptables rules of kube-proxy on the
// host. Nothing listens on, or is forwarded to, any other interface.
const (
	Bridge      = "saga0"
	NodeIP      = "10.244.0.1"
	PodCIDR     = "10.244.0.0/24"
	ServiceCIDR = "10.96.0.0/16"
	// APIServiceIP is the first address of ServiceCIDR: the kubernetes
	// Service. DNSServiceIP is kube-dns.
	APIServiceIP = "10.96.0.1"
	DNSServiceIP = "10.96.0.10"
	// dnsPort is where CoreDNS listens on the node, behind kube-dns.
	dnsPort = 1053
	// The chains of the rules that keep the cluster's traffic on this
	// machine.
	guardForward = "ORDER-SAGA-FORWARD"
	guardOut     = "ORDER-SAGA-OUT"
)

// privateNets are dropped on every interface but the bridge and loopback
// while the cluster runs: a packet to a Service address that kube-proxy
// has not rewritten yet would otherwise follow the default route out.
var privateNets = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"}

// sysctls are the kernel settings that the cluster (or kubelet and
// kube-proxy on its behalf) may change; their values are recorded before
// and restored on teardown.
var sysctls = []string{
	"net/ipv4/ip_forward",
	"net/bridge/bridge-nf-call-iptables",
	"net/bridge/bridge-nf-call-ip6tables",
	"net/ipv4/conf/all/route_localnet",
	"net/netfilter/nf_conntrack_max",
	"net/netfilter/nf_conntrack_tcp_timeout_established",
	"net/netfilter/nf_conntrack_tcp_timeout_close_wait",
	"net/netfilter/nf_conntrack_tcp_be_liberal",
	"vm/overcommit_memory",
	"vm/panic_on_oom",
	"kernel/panic",
	"kernel/panic_on_oops",
	"kernel/keys/root_maxkeys",
	"kernel/keys/root_maxbytes",
}

// Sysctls reads the settings the cluster may change, by name.
func Sysctls() map[string]string {
	out := map[string]string{}
	for _, name := range sysctls {
		b, err := os.ReadFile(filepath.Join("/proc/sys", name))
		if err == nil {
			out[name] = strings.TrimSpace(string(b))
		}
	}
	return out
}

func restoreSysctls(saved map[string]string) error {
	var errs []string
	for name, want := range saved {
		path := filepath.Join("/proc/sys", name)
		b, err := os.ReadFile(path)
		if err == nil && strings.TrimSpace(string(b)) == want {
			continue
		}
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", name, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("restore sysctls: %s", strings.Join(errs, "; "))
	}
	return nil
}

func setSysctl(name, value string) error {
	return os.WriteFile(filepath.Join("/proc/sys", name), []byte(value), 0o644)
}

// externalInterfaces are every link but loopback and the bridge (and the
// pods' veths, which are enslaved to the bridge).
func externalInterfaces() ([]string, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 || i.Name == Bridge || strings.HasPrefix(i.Name, "veth") {
			continue
		}
		out = append(out, i.Name)
	}
	return out, nil
}

// guard installs the rules that keep the cluster on this machine, in
// chains of the mangle table (which neither kube-proxy nor kube-router
// touch): nothing is forwarded unless it comes from the bridge and goes
// back to it, and no packet to a private address leaves by another
// interface, except to the host's own name servers.
func guard(ctx context.Context) error {
	ifs, err := externalInterfaces()
	if err != nil {
		return err
	}
	rules := [][]string{
		{"-N", guardForward},
		{"-A", guardForward, "!", "-i", Bridge, "-m", "comment", "--comment", "order-saga: forward nothing from outside the bridge", "-j", "DROP"},
		{"-A", guardForward, "!", "-o", Bridge, "-m", "comment", "--comment", "order-saga: forward nothing out of the bridge", "-j", "DROP"},
		{"-I", "FORWARD", "1", "-j", guardForward},
		{"-N", guardOut},
	}
	for _, ns := range hostNameServers() {
		rules = append(rules, []string{"-A", guardOut, "-d", ns + "/32", "-p", "udp", "--dport", "53", "-j", "RETURN"},
			[]string{"-A", guardOut, "-d", ns + "/32", "-p", "tcp", "--dport", "53", "-j", "RETURN"})
	}
	for _, name := range ifs {
		for _, n := range privateNets {
			rules = append(rules, []string{"-A", guardOut, "-o", name, "-d", n, "-m", "comment", "--comment", "order-saga: no private destination out", "-j", "DROP"})
		}
	}
	rules = append(rules, []string{"-I", "POSTROUTING", "1", "-j", guardOut})
	for _, r := range rules {
		if err := run(ctx, "iptables", append([]string{"-w", "-t", "mangle"}, r...)...); err != nil {
			return err
		}
	}
	return nil
}

// hostNameServers are the IPv4 name servers of /etc/resolv.conf.
func hostNameServers() []string {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == "nameserver" && net.ParseIP(f[1]).To4() != nil {
			out = append(out, f[1])
		}
	}
	return out
}

// addBridge creates the bridge with the node's address: the node IP, the
// pods' gateway and the API server's address.
func addBridge(ctx context.Context) error {
	if _, err := net.InterfaceByName(Bridge); err != nil {
		if err := run(ctx, "ip", "link", "add", Bridge, "type", "bridge"); err != nil {
			return err
		}
	}
	if err := run(ctx, "ip", "addr", "replace", NodeIP+"/24", "dev", Bridge); err != nil {
		return err
	}
	return run(ctx, "ip", "link", "set", Bridge, "up")
}

// cleanNetwork removes what the cluster added to the host's network: the
// bridge, every iptables rule and chain of kube-proxy, kube-router,
// kubelet and the guard, and kube-router's ipsets. before is the
// iptables-save output of each table and family from before the cluster.
func cleanNetwork(ctx context.Context, before map[string][]string) []error {
	var errs []error
	if _, err := net.InterfaceByName(Bridge); err == nil {
		if err := run(ctx, "ip", "link", "del", Bridge); err != nil {
			errs = append(errs, err)
		}
	}
	for key, lines := range iptablesState(ctx) {
		errs = append(errs, undoRules(ctx, key, before[key], lines)...)
	}
	out, err := exec.CommandContext(ctx, "ipset", "list", "-n").Output()
	if err == nil {
		for _, name := range strings.Fields(string(out)) {
			if isClusterSet(name) {
				if err := run(ctx, "ipset", "destroy", name); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errs
}

// isClusterSet names kube-router's ipsets (and kube-proxy's, which this
// cluster does not make in iptables mode).
func isClusterSet(name string) bool {
	for _, p := range []string{"KUBE-", "kube-router", "inet6:KUBE-", "inet6:kube-router"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

var ipTables = []string{"filter", "nat", "mangle", "raw"}

// iptablesState is the iptables-save output of each family and table,
// keyed "iptables/nat".
func iptablesState(ctx context.Context) map[string][]string {
	state := map[string][]string{}
	for _, family := range []string{"iptables", "ip6tables"} {
		for _, table := range ipTables {
			out, err := exec.CommandContext(ctx, family+"-save", "-t", table).Output()
			if err != nil {
				continue
			}
			var lines []string
			for _, l := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(l, "-A ") || (strings.HasPrefix(l, ":") && !isBuiltinChain(l)) {
					lines = append(lines, l)
				}
			}
			state[family+"/"+table] = lines
		}
	}
	return state
}

func isBuiltinChain(line string) bool {
	name := strings.Fields(strings.TrimPrefix(line, ":"))[0]
	return slices.Contains([]string{"INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING"}, name)
}

// undoRules deletes the rules and chains in now that were not in before.
func undoRules(ctx context.Context, key string, before, now []string) []error {
	family, table, _ := strings.Cut(key, "/")
	var errs []error
	var chains []string
	for _, l := range now {
		if slices.Contains(before, l) {
			continue
		}
		if strings.HasPrefix(l, ":") {
			chains = append(chains, strings.Fields(strings.TrimPrefix(l, ":"))[0])
			continue
		}
		args := append([]string{"-w", "-t", table, "-D"}, splitRule(strings.TrimPrefix(l, "-A "))...)
		if err := run(ctx, family, args...); err != nil {
			errs = append(errs, err)
		}
	}
	for _, c := range chains {
		_ = run(ctx, family, "-w", "-t", table, "-F", c)
	}
	for _, c := range chains {
		if err := run(ctx, family, "-w", "-t", table, "-X", c); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// splitRule splits one iptables-save rule into arguments, keeping quoted
// comments whole.
func splitRule(rule string) []string {
	var args []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(rule); i++ {
		c := rule[i]
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\\' && quoted && i+1 < len(rule):
			i++
			cur.WriteByte(rule[i])
		case c == ' ' && !quoted:
			if cur.Len() > 0 {
				args = append(args, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 {
		args = append(args, cur.String())
	}
	return args
}

// run runs a command and returns its output in the error when it fails.
func run(ctx context.Context, name string, args ...string) error {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// commandOutput runs a command and returns its standard output, with its
// standard error in the error when it fails.
func commandOutput(ctx context.Context, name string, args ...string) ([]byte, error) {
	var errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out, nil
}
