package k8se2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A probe is a pod of the cluster's Redis image (busybox sh and nc) that
// the tests start in a namespace, with chosen labels, to open connections
// from there. It meets the restricted Pod Security Standard, which the
// saga's namespace warns about.
type probe struct {
	s        *saga
	ns, name string
}

const probeManifest = `apiVersion: v1
kind: Pod
metadata:
  name: %[1]s
  namespace: %[2]s
  labels:
    %[3]s: "true"
%[4]s
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  securityContext:
    runAsNonRoot: true
    runAsUser: 999
    runAsGroup: 1000
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: probe
      image: %[5]s
      imagePullPolicy: Never
      command: ["sh", "-c", "exec busybox sleep 2147483647"]
      resources:
        requests: {cpu: 10m, memory: 16Mi}
        limits: {cpu: 200m, memory: 64Mi}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop: ["ALL"]
`

// startProbe starts a probe pod, in a namespace made if need be, waits
// until it is Ready and removes it when the test ends.
func (s *saga) startProbe(t *testing.T, ns, name string, labels map[string]string) *probe {
	t.Helper()
	ctx := t.Context()
	if s.redisImage == "" {
		t.Fatal("the cluster has no image localhost/order-saga/redis for the probes")
	}
	if _, _, err := s.kubectl(ctx, []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+ns+"\n"), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	var extra strings.Builder
	for k, v := range labels {
		fmt.Fprintf(&extra, "    %s: %q\n", k, v)
	}
	manifest := fmt.Sprintf(probeManifest, name, ns, probeLabel, strings.TrimRight(extra.String(), "\n"), s.redisImage)
	_, warnings, err := s.kubectl(ctx, []byte(manifest), "apply", "-f", "-")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(warnings, []byte("PodSecurity")) {
		t.Errorf("the probe pod does not meet the namespace's Pod Security levels: %s", warnings)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if _, _, err := s.kubectl(ctx, nil, "delete", "pod", name, "-n", ns, "--grace-period=1", "--wait=true"); err != nil {
			t.Errorf("remove the probe %s/%s: %v", ns, name, err)
		}
	})
	if _, _, err := s.kubectl(ctx, nil, "wait", "-n", ns, "--for=condition=Ready", "pod/"+name, "--timeout=90s"); err != nil {
		t.Fatal(err)
	}
	return &probe{s: s, ns: ns, name: name}
}

// attempt is one connection from a probe.
type attempt struct {
	connected bool
	output    string
}

// open connects from the probe to host:port, sends payload (printf %b
// escapes) and reads the answer until the server closes or 8 s pass.
// busybox nc exits 0 when the server closes after it connected, and 1
// with "can't connect" (refused) or "timed out" (no answer within 3 s);
// busybox timeout ends a connection the server holds open (143).
func (p *probe) open(ctx context.Context, host string, port int, payload string) (attempt, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	script := `printf '%b' "$1" | busybox timeout 8 nc -w 3 "$2" "$3"`
	out, errOut, err := p.s.kubectl(ctx, nil, "exec", "-n", p.ns, p.name, "-c", "probe", "--",
		"sh", "-c", script, "probe", payload, host, strconv.Itoa(port))
	a := attempt{output: strings.TrimSpace(string(out) + "\n" + string(errOut))}
	var exit *exec.ExitError
	switch {
	case err == nil:
		a.connected = true
	case ctx.Err() != nil:
		return a, fmt.Errorf("exec in %s/%s: %w", p.ns, p.name, ctx.Err())
	case !errors.As(err, &exit):
		return a, fmt.Errorf("exec in %s/%s: %w", p.ns, p.name, err)
	case exit.ExitCode() == 143:
		// Connected, and the server kept the line open until timeout.
		a.connected = true
	case strings.Contains(a.output, "can't connect") || strings.Contains(a.output, "timed out"):
	default:
		return a, fmt.Errorf("exec in %s/%s: %w", p.ns, p.name, err)
	}
	return a, nil
}

// reaches checks, retrying until a deadline (kube-router may refuse a
// new pod's first packets), that the probe connects to host:port and
// that the answer holds want.
func (p *probe) reaches(t *testing.T, host string, port int, payload, want string) string {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	var last attempt
	for tries := 1; ; tries++ {
		a, err := p.open(t.Context(), host, port, payload)
		if err != nil {
			t.Fatal(err)
		}
		if a.connected && strings.Contains(a.output, want) {
			if tries > 1 {
				t.Logf("%s/%s reached %s:%d at try %d", p.ns, p.name, host, port, tries)
			}
			return a.output
		}
		last = a
		if time.Now().After(deadline) {
			t.Fatalf("%s/%s does not reach %s:%d with an answer holding %q after %d tries; the last: connected=%v %q",
				p.ns, p.name, host, port, want, tries, a.connected, clip(last.output, 300))
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// refused checks that a connection from the probe to a pod's port is
// refused by a NetworkPolicy. kube-router refuses with an ICMP port
// unreachable (its REJECT rule for the destination pod), which nc reports
// like a closed port; so the check is that the connection fails and that
// the REJECT rule of the destination pod counted it. kube-router rebuilds
// its rules (and so zeroes their counters) when pods change: an attempt
// during which the count went down is made again. It reports whether the
// check passed.
func (p *probe) refused(t *testing.T, dst pod, port int) bool {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for tries := 1; ; tries++ {
		before, err := rejected(t.Context(), dst)
		if err != nil {
			t.Fatal(err)
		}
		a, err := p.open(t.Context(), dst.Status.PodIP, port, "")
		if err != nil {
			t.Fatal(err)
		}
		if a.connected {
			t.Errorf("%s/%s connected to %s %s:%d, which the policies forbid: %q", p.ns, p.name, dst.name(), dst.Status.PodIP, port, clip(a.output, 200))
			return false
		}
		after, err := rejected(t.Context(), dst)
		if err != nil {
			t.Fatal(err)
		}
		if after > before {
			return true
		}
		if time.Now().After(deadline) {
			t.Errorf("%s/%s could not connect to %s %s:%d, but the REJECT rule of that pod did not count it (%d packets before, %d after, %d tries): %q",
				p.ns, p.name, dst.name(), dst.Status.PodIP, port, before, after, tries, clip(a.output, 200))
			return false
		}
	}
}

// rejectRule is kube-router's last rule for a pod with ingress policies:
// whatever no policy marked as allowed is refused.
var rejectRule = regexp.MustCompile(`^\[(\d+):\d+\] -A \S+ -m comment --comment "rule to REJECT traffic destined for POD name:(\S+) namespace: (\S+)"`)

// rejected sums the packets that kube-router's REJECT rules for the pod
// have refused.
func rejected(ctx context.Context, dst pod) (int64, error) {
	out, err := exec.CommandContext(ctx, "iptables-save", "-c", "-t", "filter").Output()
	if err != nil {
		return 0, fmt.Errorf("iptables-save -c -t filter: %w", err)
	}
	var n int64
	found := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := rejectRule.FindStringSubmatch(sc.Text())
		if m == nil || m[2] != dst.name() || m[3] != dst.Metadata.Namespace {
			continue
		}
		found = true
		v, _ := strconv.ParseInt(m[1], 10, 64)
		n += v
	}
	if !found {
		return 0, fmt.Errorf("kube-router has no REJECT rule for %s/%s: its policies are not enforced", dst.Metadata.Namespace, dst.name())
	}
	return n, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
