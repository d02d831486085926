package k8se2e

import (
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/example/order-saga/devcluster"
)

// host is what the cluster may change on this machine, read before it
// comes up and again after Down: the two must be the same.
type host struct {
	mounts   []string
	cgroups  []string
	iptables map[string][]string // "iptables/nat" -> rules and chains, without counters
	ipsets   []string
	links    []string
	netns    []string
	sysctls  map[string]string
}

var ipTables = []string{"filter", "nat", "mangle", "raw", "security"}

// counters are the packet and byte counts of iptables-save: "[0:0]".
var counters = regexp.MustCompile(`\s*\[\d+:\d+\]`)

func readHost(ctx context.Context) (host, error) {
	h := host{
		mounts:   devcluster.Mounts(),
		cgroups:  devcluster.KubepodsCgroupsLeft(),
		iptables: map[string][]string{},
		sysctls:  devcluster.Sysctls(),
	}
	for _, family := range []string{"iptables", "ip6tables"} {
		for _, table := range ipTables {
			out, err := exec.CommandContext(ctx, family+"-save", "-t", table).Output()
			if err != nil {
				return h, fmt.Errorf("%s-save -t %s: %w", family, table, err)
			}
			var lines []string
			for _, l := range strings.Split(string(out), "\n") {
				if l == "" || strings.HasPrefix(l, "#") {
					continue
				}
				lines = append(lines, counters.ReplaceAllString(l, ""))
			}
			h.iptables[family+"/"+table] = lines
		}
	}
	out, err := exec.CommandContext(ctx, "ipset", "list", "-n").Output()
	if err != nil {
		return h, fmt.Errorf("ipset list -n: %w", err)
	}
	h.ipsets = strings.Fields(string(out))
	ifs, err := net.Interfaces()
	if err != nil {
		return h, err
	}
	for _, i := range ifs {
		h.links = append(h.links, i.Name)
	}
	for _, dir := range []string{"/run/netns", "/var/run/netns"} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			h.netns = append(h.netns, filepath.Join(dir, e.Name()))
		}
	}
	return h, nil
}

// added lists what now holds that before did not, counting repeats.
func added(before, now []string) []string {
	left := map[string]int{}
	for _, s := range before {
		left[s]++
	}
	var out []string
	for _, s := range now {
		if left[s] > 0 {
			left[s]--
			continue
		}
		out = append(out, s)
	}
	return out
}

// changes lists every difference between the host before the cluster and
// after its teardown, and every process of the cluster still running.
// dir is the cluster's directory.
func changes(before, after host, dir string) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, p := range leftoverProcesses(dir) {
		add("process left: %s", p)
	}
	clusterMount := func(m string) bool {
		return m == dir || strings.HasPrefix(m, dir+"/") || strings.Contains(m, "/netns/cni-") ||
			strings.Contains(m, "kubelet") || strings.Contains(m, "containerd") || strings.Contains(m, "kubepods")
	}
	for _, m := range added(before.mounts, after.mounts) {
		if clusterMount(m) {
			add("mount left: %s", m)
		}
	}
	for _, m := range before.mounts {
		if clusterMount(m) {
			add("note: %s was mounted before the cluster came up", m)
		}
	}
	for _, c := range added(before.cgroups, after.cgroups) {
		add("cgroup left: %s", c)
	}
	for _, key := range slices.Sorted(maps.Keys(after.iptables)) {
		for _, l := range added(before.iptables[key], after.iptables[key]) {
			add("%s: not there before: %s", key, l)
		}
		for _, l := range added(after.iptables[key], before.iptables[key]) {
			add("%s: gone since before: %s", key, l)
		}
	}
	for _, s := range added(before.ipsets, after.ipsets) {
		add("ipset left: %s", s)
	}
	for _, l := range added(before.links, after.links) {
		add("network link left: %s", l)
	}
	if slices.Contains(after.links, devcluster.Bridge) {
		add("the bridge %s still exists", devcluster.Bridge)
	}
	for _, n := range added(before.netns, after.netns) {
		add("network namespace left: %s", n)
	}
	for _, name := range slices.Sorted(maps.Keys(before.sysctls)) {
		if after.sysctls[name] != before.sysctls[name] {
			add("sysctl %s is %q, was %q", name, after.sysctls[name], before.sysctls[name])
		}
	}
	if _, err := os.Stat(dir); err == nil {
		add("the cluster's directory %s still exists", dir)
	}
	return out
}

// leftoverProcesses are the processes of the cluster still running: the
// programs that this test process started (the node's servers, kubectl),
// whatever names the cluster's directory on its command line (containerd,
// its shims, every server of the node), and every process in a kubepods
// cgroup (the pods').
func leftoverProcesses(dir string) []string {
	self := os.Getpid()
	parent := map[int]int{}
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		pids = append(pids, pid)
		if b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil {
			// pid (comm) state ppid ...: comm may hold spaces.
			if i := strings.LastIndexByte(string(b), ')'); i > 0 {
				if f := strings.Fields(string(b[i+1:])); len(f) > 1 {
					parent[pid], _ = strconv.Atoi(f[1])
				}
			}
		}
	}
	descendant := func(pid int) bool {
		for seen := 0; pid > 1 && seen < 64; seen++ {
			pid = parent[pid]
			if pid == self {
				return true
			}
		}
		return false
	}
	var out []string
	for _, pid := range pids {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue // gone meanwhile
		}
		args := strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " ")
		cgroup, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
		var why string
		switch {
		case descendant(pid):
			why = "started by the tests"
		case strings.Contains(args, dir):
			why = "names " + dir
		case strings.Contains(string(cgroup), "/kubepods"):
			why = "in a kubepods cgroup"
		default:
			continue
		}
		out = append(out, fmt.Sprintf("%d %q (%s)", pid, args, why))
	}
	return out
}
