package devcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Down stops the cluster and removes what it made: pods first (through
// the kubelet, which releases their network namespaces), then the host
// processes, leftover containers and shims, mounts, cgroups, the network
// (bridge, iptables rules and chains, ipsets) and the kernel settings.
// It keeps going past errors and returns them all.
func (c *Cluster) Down(ctx context.Context) error {
	start := time.Now()
	var errs []error
	if c.running("kubelet") && c.running("kube-apiserver") {
		c.removeWorkloads(ctx)
	}
	// Kubelet first, so nothing is restarted; etcd last.
	order := []string{"kubelet", "kube-router", "kube-proxy", "coredns", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"}
	for _, name := range order {
		for _, p := range c.procs {
			if p.name == name {
				if err := p.stop(10 * time.Second); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	errs = append(errs, c.removeContainers(ctx)...)
	for _, p := range c.procs {
		if err := p.stop(10 * time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, killShims(c.Dir)...)
	errs = append(errs, unmountUnder(c.Dir)...)
	errs = append(errs, removeCgroups(c.cgroupsOf)...)
	errs = append(errs, cleanNetwork(ctx, c.iptables)...)
	if c.sysctls != nil {
		if err := restoreSysctls(c.sysctls); err != nil {
			errs = append(errs, err)
		}
	}
	if c.repo != "" {
		dst := filepath.Join(c.repo, ".dev", "cluster-logs")
		_ = os.RemoveAll(dst)
		_ = os.MkdirAll(filepath.Dir(dst), 0o755)
		_ = os.CopyFS(dst, os.DirFS(c.path("logs")))
	}
	if err := os.RemoveAll(c.Dir); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		_ = os.Remove(stateFile(c.Dir))
	}
	c.step("down in %.1fs", time.Since(start).Seconds())
	return errors.Join(errs...)
}

func (c *Cluster) running(name string) bool {
	for _, p := range c.procs {
		if p.name == name {
			done, _ := p.exited()
			return !done
		}
	}
	return false
}

// removeWorkloads deletes every controller and pod so that the kubelet
// stops them properly and CNI releases their addresses and namespaces.
func (c *Cluster) removeWorkloads(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	_, _ = c.Kubectl(ctx, "delete", "deployments,statefulsets,daemonsets,replicasets,jobs", "--all", "--all-namespaces", "--wait=false")
	_, _ = c.Kubectl(ctx, "delete", "pods", "--all", "--all-namespaces", "--grace-period=1", "--wait=false")
	for ctx.Err() == nil {
		out, err := c.Kubectl(ctx, "get", "pods", "--all-namespaces", "-o", "name")
		if err == nil && strings.TrimSpace(string(out)) == "" && c.noSandboxes(ctx) {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// noSandboxes reports whether containerd runs no task any more.
func (c *Cluster) noSandboxes(ctx context.Context) bool {
	out, err := c.ctr(ctx, "tasks", "ls", "-q")
	return err == nil && strings.TrimSpace(string(out)) == ""
}

func (c *Cluster) ctr(ctx context.Context, args ...string) ([]byte, error) {
	return commandOutput(ctx, "ctr", append([]string{"--address", Socket(c.Dir), "--namespace", "k8s.io"}, args...)...)
}

// removeContainers kills and deletes what containerd still runs, then
// stops containerd.
func (c *Cluster) removeContainers(ctx context.Context) []error {
	if !c.running("containerd") {
		return nil
	}
	var errs []error
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if out, err := c.ctr(ctx, "tasks", "ls", "-q"); err == nil {
		for _, id := range strings.Fields(string(out)) {
			_, _ = c.ctr(ctx, "tasks", "kill", "--signal", "SIGKILL", id)
			if _, err := c.ctr(ctx, "tasks", "delete", "--force", id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if out, err := c.ctr(ctx, "containers", "ls", "-q"); err == nil {
		for _, id := range strings.Fields(string(out)) {
			if _, err := c.ctr(ctx, "containers", "delete", id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

// killShims kills the containerd shims that served this cluster: they
// outlive containerd by design.
func killShims(dir string) []error {
	var errs []error
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range procs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) == 0 || filepath.Base(args[0]) != "containerd-shim-runc-v2" {
			continue
		}
		if !slices.Contains(args, Socket(dir)) {
			continue
		}
		var pid int
		fmt.Sscanf(filepath.Base(filepath.Dir(f)), "%d", &pid)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("kill shim %d: %w", pid, err))
		}
	}
	return errs
}

// Mounts lists the mount points of this mount namespace.
func Mounts() []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) > 4 {
			out = append(out, unescapeMount(fields[4]))
		}
	}
	return out
}

func unescapeMount(s string) string {
	return strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(s)
}

// unmountUnder unmounts every mount under dir, deepest first, and the
// network namespaces of pods that CNI did not release.
func unmountUnder(dir string) []error {
	var targets []string
	for _, m := range Mounts() {
		if strings.HasPrefix(m, dir+"/") || strings.HasPrefix(m, "/run/netns/cni-") || strings.HasPrefix(m, "/var/run/netns/cni-") {
			targets = append(targets, m)
		}
	}
	slices.SortFunc(targets, func(a, b string) int { return len(b) - len(a) })
	var errs []error
	for _, t := range slices.Compact(targets) {
		if err := syscall.Unmount(t, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", t, err))
		}
		if strings.Contains(t, "/netns/cni-") {
			_ = os.Remove(t)
		}
	}
	return errs
}

// kubepodsCgroups lists the kubepods cgroups of every hierarchy (cgroup
// v1 mounts one per controller); the kubelet creates them.
func kubepodsCgroups() []string {
	roots, _ := filepath.Glob("/sys/fs/cgroup/*")
	out := []string{"/sys/fs/cgroup/kubepods"}
	for _, r := range roots {
		out = append(out, filepath.Join(r, "kubepods"))
	}
	return out
}

// KubepodsCgroupsLeft lists the kubepods cgroups that exist.
func KubepodsCgroupsLeft() []string {
	var left []string
	for _, p := range kubepodsCgroups() {
		if _, err := os.Stat(p); err == nil {
			left = append(left, p)
		}
	}
	return left
}

// removeCgroups removes the kubepods cgroup trees, deepest first, after
// killing any process left in them.
func removeCgroups(roots []string) []error {
	if roots == nil {
		roots = kubepodsCgroups()
	}
	var errs []error
	for _, root := range roots {
		if _, err := os.Stat(root); err != nil {
			continue
		}
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for _, d := range dirs {
			if b, err := os.ReadFile(filepath.Join(d, "cgroup.procs")); err == nil {
				for _, f := range strings.Fields(string(b)) {
					var pid int
					fmt.Sscanf(f, "%d", &pid)
					if pid > 0 {
						_ = syscall.Kill(pid, syscall.SIGKILL)
					}
				}
			}
		}
		slices.SortFunc(dirs, func(a, b string) int { return len(b) - len(a) })
		for _, d := range dirs {
			var err error
			for range 50 {
				if err = syscall.Rmdir(d); err == nil || errors.Is(err, syscall.ENOENT) {
					err = nil
					break
				}
				time.Sleep(100 * time.Millisecond) // the kernel frees a cgroup once its last task is reaped
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("rmdir %s: %w", d, err))
			}
		}
	}
	return errs
}
