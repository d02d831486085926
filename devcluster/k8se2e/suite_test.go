// Package k8se2e runs the saga on a real single-node Kubernetes on this
// machine (package devcluster): one cluster for the whole package, brought
// up and deployed with the kind overlay by TestMain, torn down at the end,
// after which the host must be as it was before. It needs root.
//
// The tests run in the order they are written in this file: the first
// read the cluster as Deploy left it, the disruptions come late, then the
// state stores are switched to PostgreSQL and the saga runs once on them,
// and the logs of every container are judged last, once everything has
// run.
package k8se2e

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/order-saga/devcluster"
)

// saga is the cluster the tests run on, deployed, with the port-forwards
// of the README open.
type saga struct {
	c          *devcluster.Cluster
	repo       string
	readyAfter time.Duration
	api        *api
	logs       *logBook
	redisImage string
}

// suite is the one cluster of the package's tests.
var suite *saga

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runSuite(m))
}

// runSuite brings the cluster up, runs the tests on it, tears it down
// and checks the host; any failure of these makes the package fail.
func runSuite(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 23*time.Minute)
	defer cancel()
	repo, err := preflight()
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8se2e:", err)
		return 1
	}
	dir := devcluster.DefaultDir
	// What a cluster whose program died left is not the host's own.
	if err := devcluster.Clean(ctx, dir); err != nil {
		fmt.Fprintln(os.Stderr, "k8se2e: cleaning up after an earlier cluster:", err)
		return 1
	}
	before, err := readHost(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8se2e: reading the host before the cluster:", err)
		return 1
	}
	code := 1
	c, err := devcluster.Up(ctx, devcluster.Options{Dir: dir, Repo: repo, Log: os.Stdout})
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8se2e: bringing the cluster up:", err)
	} else {
		code = runOn(ctx, m, c, repo)
		start := time.Now()
		if err := c.Down(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintln(os.Stderr, "k8se2e: teardown:", err)
			code = 1
		}
		fmt.Printf("k8se2e: cluster down in %.1fs\n", time.Since(start).Seconds())
	}
	after, err := readHost(context.WithoutCancel(ctx))
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8se2e: reading the host after the teardown:", err)
		return 1
	}
	if diff := changes(before, after, dir); len(diff) > 0 {
		fmt.Fprintln(os.Stderr, "k8se2e: FAIL: the host is not as it was before the cluster:")
		for _, d := range diff {
			fmt.Fprintln(os.Stderr, "  "+d)
		}
		return 1
	}
	fmt.Printf("k8se2e: the host is as before: no process, mount, kubepods cgroup, network namespace, link, ipset or iptables rule of the cluster left (%d tables compared), %d sysctls restored\n",
		len(after.iptables), len(after.sysctls))
	return code
}

// preflight fails clearly when the tests cannot run here, and returns the
// repository's root.
func preflight() (string, error) {
	if os.Geteuid() != 0 {
		return "", errors.New("the cluster needs root (mounts, cgroups, iptables): run `make k8s-e2e` as root")
	}
	for _, name := range []string{"iptables-save", "ip6tables-save", "ipset", "ip"} {
		if _, err := exec.LookPath(name); err != nil {
			return "", fmt.Errorf("%s not found: scripts/install-test-deps.sh and `make k8s-tools` install the node's packages", name)
		}
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(repo, "go.work")); err != nil {
		return "", fmt.Errorf("no go.work in %s: run the tests from the repository", repo)
	}
	return repo, nil
}

// runOn deploys the saga, opens the port-forwards and runs the tests.
func runOn(ctx context.Context, m *testing.M, c *devcluster.Cluster, repo string) int {
	ready, err := c.Deploy(ctx, devcluster.Overlay)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8se2e: deploy:", err)
		diagnose(ctx, c)
		return 1
	}
	fmt.Printf("k8se2e: every pod Ready %.1fs after the apply\n", ready.Seconds())
	token, err := adminToken(repo)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8se2e:", err)
		return 1
	}
	fwd, err := c.PortForwardServices(ctx, prefixWriter{"port-forward: ", os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8se2e:", err)
		diagnose(ctx, c)
		return 1
	}
	defer fwd.Stop()
	suite = &saga{c: c, repo: repo, readyAfter: ready, api: newAPI(token), logs: &logBook{},
		redisImage: c.Images[devcluster.RedisImage]}
	return m.Run()
}

// diagnose prints what a failed deployment left: the pods, the events and
// the logs of the pods that are not Ready.
func diagnose(ctx context.Context, c *devcluster.Cluster) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	for _, args := range [][]string{
		{"get", "pods", "-A", "-o", "wide"},
		{"get", "events", "-n", devcluster.Namespace, "--sort-by=.lastTimestamp"},
		{"logs", "-n", devcluster.Namespace, "-l", "app.kubernetes.io/part-of=order-saga", "--all-containers", "--prefix", "--tail=40"},
	} {
		out, err := c.Kubectl(ctx, args...)
		fmt.Fprintf(os.Stderr, "--- kubectl %s\n%s%v\n", strings.Join(args, " "), out, err)
	}
}

// prefixWriter prefixes each line written to it.
type prefixWriter struct {
	prefix string
	w      io.Writer
}

func (p prefixWriter) Write(b []byte) (int, error) {
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		fmt.Fprintln(p.w, p.prefix+sc.Text())
	}
	return len(b), nil
}

func TestEveryPodIsReadyWithItsSidecarComponentsAndSubscriptions(t *testing.T) {
	components := suite.daprComponents(t)
	pods := suite.sagaPods(t)
	count := map[string]int{}
	for _, p := range pods {
		app := p.app()
		count[app]++
		var want []string
		switch {
		case app == "redis":
			want = []string{"redis"}
		case isService(app):
			want = []string{app, "daprd"}
		default:
			t.Errorf("pod %s (app %q) is not part of the saga", p.name(), app)
			continue
		}
		ready := 0
		for _, st := range p.Status.ContainerStatuses {
			if st.Ready {
				ready++
			}
		}
		if got := p.containerNames(); !slices.Equal(got, want) || ready != len(want) || !p.ready() {
			t.Errorf("pod %s: containers %v, %d/%d ready (pod Ready %v), want %v all ready", p.name(), got, ready, len(got), p.ready(), want)
		}
		if !isService(app) {
			t.Logf("%s %d/%d Ready", p.name(), ready, len(want))
			continue
		}
		logs := suite.subscribedSidecarLog(t, p.name())
		loaded := checkLoaded(t, p, logs, components)
		topics := map[string][]string{}
		for _, m := range subscribedLine.FindAllStringSubmatch(logs, -1) {
			topics[m[2]] = slices.Sorted(slices.Values(strings.Fields(m[1])))
		}
		if got := topics["pubsub"]; !slices.Equal(got, subscriptions[app]) {
			t.Errorf("%s: the sidecar subscribed the app to %v through pubsub, want %v (log lines %v)", p.name(), got, subscriptions[app], topics)
		}
		t.Logf("%s %d/%d Ready, sidecar loaded %v, subscribed to %v", p.name(), ready, len(want), slices.Sorted(maps.Keys(loaded)), topics["pubsub"])
	}
	for _, app := range []string{orderSvc, stockSvc, paymentSvc, "redis"} {
		want := 1
		if isService(app) {
			want = suite.replicas(t, app)
		}
		if count[app] != want {
			t.Errorf("%d pods of %s, want %d", count[app], app, want)
		}
	}
}

func TestTheSchedulerIsReadyAndEverySidecarConnectedToIt(t *testing.T) {
	schedulers, err := suite.pods(t.Context(), devcluster.DaprNamespace, schedulerSelector)
	if err != nil {
		t.Fatal(err)
	}
	if len(schedulers) != schedulerReplicas {
		t.Fatalf("%d scheduler pods in %s, want %d", len(schedulers), devcluster.DaprNamespace, schedulerReplicas)
	}
	scheduler := schedulers[0]
	if !scheduler.ready() {
		t.Fatalf("%s is not Ready: %+v", scheduler.name(), scheduler.Status.ContainerStatuses)
	}
	for _, st := range scheduler.statuses() {
		if st.RestartCount != 0 {
			t.Errorf("%s: container %s restarted %d times", scheduler.name(), st.Name, st.RestartCount)
		}
	}
	// Each sidecar asks the scheduler's Service for the schedulers, gets
	// the one pod's address back and opens its app's job stream there.
	address := fmt.Sprintf("%s:%d", scheduler.Status.PodIP, schedulerPort)
	apps := map[string]bool{}
	for _, p := range suite.sagaPods(t) {
		if !isService(p.app()) {
			continue
		}
		apps[p.app()] = true
		logs := suite.connectedSidecarLog(t, p.name())
		hosts := schedulerHostsLine.FindAllStringSubmatch(logs, -1)
		if len(hosts) == 0 {
			t.Errorf("%s: the sidecar's log has no %q line", p.name(), "Connected and received scheduler hosts addresses")
		}
		for _, m := range hosts {
			if got := strings.Fields(m[1]); !slices.Equal(got, []string{address}) {
				t.Errorf("%s: the sidecar was given the schedulers %v, want %s alone (%s)", p.name(), got, address, scheduler.name())
			}
		}
		if !schedulerStreamLine.MatchString(logs) {
			t.Errorf("%s: the sidecar's log has no %q line", p.name(), "Scheduler stream connected")
		}
	}
	// And the scheduler says it has each app's stream (it logs that just
	// after the sidecar does), and nothing went wrong on its side: its own
	// lines (logfmt) and its embedded etcd's (JSON) have no error.
	deadline := time.Now().Add(30 * time.Second)
	for {
		log := string(suite.must(t, "logs", "-n", devcluster.DaprNamespace, scheduler.name(), "-c", "dapr-scheduler-server"))
		count, example := sidecarsConnected(log)
		var missing []string
		for _, app := range slices.Sorted(maps.Keys(apps)) {
			if count[devcluster.Namespace+"/"+app] == 0 {
				missing = append(missing, app)
			}
		}
		if len(missing) == 0 {
			for _, app := range slices.Sorted(maps.Keys(apps)) {
				key := devcluster.Namespace + "/" + app
				t.Logf("%s accepted %d streams of %s, the first: %s", scheduler.name(), count[key], key, clip(example[key], 300))
			}
			for _, line := range strings.Split(log, "\n") {
				if daprError.MatchString(line) {
					t.Errorf("%s logged an error: %s", scheduler.name(), clip(line, 1000))
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s logged no %q for %v in %s; it did for %v", scheduler.name(), "Sidecar connected", missing, devcluster.Namespace, slices.Sorted(maps.Keys(count)))
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// subscribedSidecarLog is the log of the pod's sidecar once it shows the
// app subscribed, or after 30 s. The sidecar subscribes its app when its
// own probe of the app first passes, which can come one probe interval
// (dapr.io/app-health-probe-interval, 5 s) after the pod is Ready.
func (s *saga) subscribedSidecarLog(t *testing.T, pod string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		logs := string(s.must(t, "logs", "-n", devcluster.Namespace, pod, "-c", "daprd"))
		if subscribedLine.MatchString(logs) || time.Now().After(deadline) {
			return logs
		}
		select {
		case <-t.Context().Done():
			return logs
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func TestTheSagaIsReadyWithinAMinuteOfTheApplyWithoutARestart(t *testing.T) {
	t.Logf("every pod Ready %.1fs after the apply", suite.readyAfter.Seconds())
	if suite.readyAfter >= time.Minute {
		t.Errorf("the pods took %.1fs to be Ready after the apply, want under 60s", suite.readyAfter.Seconds())
	}
	for _, p := range suite.sagaPods(t) {
		for _, st := range p.statuses() {
			if st.RestartCount != 0 {
				t.Errorf("%s: container %s restarted %d times (last ended %+v)", p.name(), st.Name, st.RestartCount, st.LastState.Terminated)
			}
		}
		for _, st := range p.Status.InitContainerStatuses {
			if st.State.Terminated == nil || st.State.Terminated.ExitCode != 0 {
				t.Errorf("%s: init container %s has not completed: %+v", p.name(), st.Name, st.State)
			}
		}
		since, _ := p.readySince()
		t.Logf("%s Ready %.1fs after it was created, %d containers, no restart", p.name(), since.Sub(p.Metadata.CreationTimestamp).Seconds(), len(p.statuses()))
	}
}

func TestOrdersThroughThePortForwardEndAsTheSagaSays(t *testing.T) {
	ordersEndAsTheSagaSays(t)
}

// ordersEndAsTheSagaSays places one order of each outcome through the
// port-forward, as users do, and checks the order, the stock, the wallet
// and the payment each leaves.
func ordersEndAsTheSagaSays(t *testing.T) {
	type shelf struct {
		priceCents int64
		units      int
	}
	type line struct{ shelf, quantity int }
	type level struct{ available, reserved, sold int }
	cases := []struct {
		name        string
		stock       []shelf
		balance     int64
		order       []line
		status      string
		reason      string
		total       int64 // for a confirmed order
		after       []level
		balanceLeft int64
		payment     string // "" when there must be none
	}{
		{"an order that can be served and paid is confirmed, its units sold and its total charged",
			[]shelf{{250, 10}, {120, 4}}, 10_000, []line{{0, 3}, {1, 2}}, "CONFIRMED", "", 990,
			[]level{{7, 0, 3}, {2, 0, 2}}, 9_010, "COMPLETED"},
		{"an order for more than is in stock is canceled and touches no stock and no money",
			[]shelf{{100, 50}, {100, 2}}, 10_000, []line{{0, 1}, {1, 3}}, "CANCELED", "insufficient stock", 0,
			[]level{{50, 0, 0}, {2, 0, 0}}, 10_000, ""},
		{"an order that cannot be paid is canceled and its reserved stock released",
			[]shelf{{400, 10}, {300, 5}}, 1_000, []line{{0, 2}, {1, 1}}, "CANCELED", "insufficient balance", 0,
			[]level{{10, 0, 0}, {5, 0, 0}}, 1_000, "FAILED"},
	}
	a := suite.api
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			customer := "c-" + uid()
			var ids []string
			for _, s := range tc.stock {
				id := "p-" + uid()
				a.putProduct(t, id, s.priceCents, s.units)
				ids = append(ids, id)
			}
			a.putWallet(t, customer, tc.balance)
			var items []item
			for _, l := range tc.order {
				items = append(items, item{ProductID: ids[l.shelf], Quantity: l.quantity})
			}

			placed := a.placeOrder(t, customer, items)
			o, err := a.finalOrder(t.Context(), placed.ID, time.Minute)
			if err != nil {
				t.Fatal(err)
			}

			if o.Status != tc.status || !strings.Contains(o.Reason, tc.reason) {
				t.Fatalf("order %+v, want %s with a reason about %q", o, tc.status, tc.reason)
			}
			if tc.status == "CONFIRMED" && o.TotalCents != tc.total {
				t.Errorf("order total %d cents, want %d", o.TotalCents, tc.total)
			}
			// The stock settles once the sale or the release is recorded.
			deadline := time.Now().Add(20 * time.Second)
			for i, id := range ids {
				for {
					p := a.product(t, id)
					got := level{p.Available, p.Reserved, p.Sold}
					if got == tc.after[i] {
						break
					}
					if time.Now().After(deadline) {
						t.Errorf("product %s: available/reserved/sold %v, want %v", id, got, tc.after[i])
						break
					}
					select {
					case <-t.Context().Done():
						t.Fatal(t.Context().Err())
					case <-time.After(100 * time.Millisecond):
					}
				}
			}
			if w := a.wallet(t, customer); w.BalanceCents != tc.balanceLeft {
				t.Errorf("balance %d cents, want %d", w.BalanceCents, tc.balanceLeft)
			}
			pay, found := a.payment(t, o.ID)
			switch {
			case tc.payment == "" && found:
				t.Errorf("payment %+v for an order that was never reserved", pay)
			case tc.payment != "" && (!found || pay.Status != tc.payment):
				t.Errorf("payment %+v (found %v), want %s", pay, found, tc.payment)
			case tc.payment == "COMPLETED" && pay.AmountCents != tc.total:
				t.Errorf("payment of %d cents, want %d", pay.AmountCents, tc.total)
			}
			t.Logf("order %s %s (%s), total %d cents; stock %v; balance %d", o.ID, o.Status, o.Reason, o.TotalCents, tc.after, tc.balanceLeft)
		})
	}
}

func TestNetworkPoliciesLetInOnlyTheSourcesTheyName(t *testing.T) {
	ns := devcluster.Namespace
	plain := suite.startProbe(t, ns, "probe-plain", map[string]string{"app.kubernetes.io/name": "policy-probe"})
	service := suite.startProbe(t, ns, "probe-service", map[string]string{"app.kubernetes.io/name": "policy-probe", "app.kubernetes.io/component": "service"})
	monitoring := suite.startProbe(t, "monitoring", "probe-monitoring", nil)
	elsewhere := suite.startProbe(t, "default", "probe-elsewhere", nil)
	var redis pod
	var services []pod // one pod of each service
	for _, p := range suite.sagaPods(t) {
		switch {
		case p.app() == "redis":
			redis = p
		case isService(p.app()) && !slices.ContainsFunc(services, func(q pod) bool { return q.app() == p.app() }):
			services = append(services, p)
		}
	}
	if redis.name() == "" || len(services) != len(devcluster.Services) {
		t.Fatalf("Redis %q and %d services' pods, want Redis and one pod of each of the %d services", redis.name(), len(services), len(devcluster.Services))
	}
	// appPort is the port named http, 0 for none.
	appPort := func(p pod) int {
		port, _, _ := p.namedPort("http")
		return port
	}

	// Each probe first reaches what its policies let it reach, so that a
	// refusal afterwards is the policy's, not a probe not ready yet.
	// Addresses, not names: the probes' static busybox resolves no name
	// without the NSS modules of a full system.
	orderAPI := strings.TrimSpace(string(suite.must(t, "get", "service", orderSvc, "-n", ns, "-o", "jsonpath={.spec.clusterIP}")))
	t.Run("a pod without the services' label reaches order-svc's API", func(t *testing.T) {
		plain.reaches(t, orderAPI, 8081, `GET /healthz HTTP/1.0\r\n\r\n`, " 200 ")
	})
	t.Run("a pod in another namespace reaches the cluster's API server", func(t *testing.T) {
		elsewhere.reaches(t, devcluster.APIServiceIP, 443, "", "")
	})
	cases := []struct {
		name  string
		from  *probe
		to    []pod
		port  func(pod) int
		allow bool
		// payload and answer of an allowed connection
		send, want string
	}{
		{"a pod with the services' label reaches Redis", service, []pod{redis}, func(pod) int { return 6379 }, true, `PING\r\n`, "NOAUTH"},
		{"a pod with the services' label reaches a sidecar's internal gRPC port", service, services, func(pod) int { return 50002 }, true, "", ""},
		{"a pod without the services' label cannot reach Redis", plain, []pod{redis}, func(pod) int { return 6379 }, false, "", ""},
		{"a pod without the services' label cannot reach a sidecar's internal gRPC port", plain, services, func(pod) int { return 50002 }, false, "", ""},
		{"a pod without the services' label cannot reach a sidecar's HTTP API", plain, services, func(pod) int { return 3500 }, false, "", ""},
		{"a pod without the services' label cannot reach a sidecar's gRPC API", plain, services, func(pod) int { return 50001 }, false, "", ""},
		{"a pod without the services' label cannot scrape a sidecar's metrics", plain, services, func(pod) int { return 9090 }, false, "", ""},
		{"a pod in monitoring reaches a sidecar's metrics port", monitoring, services, func(pod) int { return 9090 }, true, `GET / HTTP/1.0\r\n\r\n`, "dapr_"},
		{"a pod in monitoring reaches a service's metrics on its app port", monitoring, services, appPort, true, `GET /metrics HTTP/1.0\r\n\r\n`, "saga_"},
		{"a pod in another namespace cannot reach a sidecar's metrics port", elsewhere, services, func(pod) int { return 9090 }, false, "", ""},
		{"a pod in another namespace cannot reach a service's app port", elsewhere, services, appPort, false, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, dst := range tc.to {
				port := tc.port(dst)
				if port == 0 {
					t.Errorf("%s has no port named http", dst.name())
					continue
				}
				verdict := "connected"
				if tc.allow {
					tc.from.reaches(t, dst.Status.PodIP, port, tc.send, tc.want)
				} else if verdict = "refused by its REJECT rule"; !tc.from.refused(t, dst, port) {
					continue
				}
				t.Logf("%s/%s -> %s %s:%d: %s", tc.from.ns, tc.from.name, dst.name(), dst.Status.PodIP, port, verdict)
			}
		})
	}
}

func TestMetricsAnswerWhereTheAnnotationsAndPodMonitorsPoint(t *testing.T) {
	monitors := suite.podMonitors(t)
	scraper := suite.startProbe(t, "monitoring", "scraper", nil)
	type target struct {
		by        string
		port      int
		path      string
		container string
	}
	for _, p := range suite.sagaPods(t) {
		if !isService(p.app()) {
			for _, m := range monitors {
				if m.selects(p) {
					t.Errorf("PodMonitor %s selects %s, which is no service", m.Metadata.Name, p.name())
				}
			}
			continue
		}
		ann := p.Metadata.Annotations
		var targets []target
		if ann["prometheus.io/scrape"] != "true" {
			t.Errorf("%s: prometheus.io/scrape %q", p.name(), ann["prometheus.io/scrape"])
		}
		var port int
		if _, err := fmt.Sscan(ann["prometheus.io/port"], &port); err != nil {
			t.Errorf("%s: prometheus.io/port %q", p.name(), ann["prometheus.io/port"])
		} else {
			targets = append(targets, target{"prometheus.io/port and prometheus.io/path", port, ann["prometheus.io/path"], p.app()})
		}
		if _, err := fmt.Sscan(ann["dapr.io/metrics-port"], &port); err != nil {
			t.Errorf("%s: dapr.io/metrics-port %q", p.name(), ann["dapr.io/metrics-port"])
		} else {
			targets = append(targets, target{"dapr.io/metrics-port", port, "/", "daprd"})
		}
		for _, m := range monitors {
			if !m.selects(p) {
				t.Errorf("PodMonitor %s does not select %s", m.Metadata.Name, p.name())
				continue
			}
			for _, e := range m.Spec.PodMetricsEndpoints {
				port, container, ok := p.namedPort(e.Port)
				if !ok {
					t.Errorf("PodMonitor %s: %s has no port named %q", m.Metadata.Name, p.name(), e.Port)
					continue
				}
				path := e.Path
				if path == "" {
					path = "/metrics"
				}
				targets = append(targets, target{"PodMonitor " + m.Metadata.Name + " port " + e.Port, port, path, container})
			}
		}
		for _, tg := range targets {
			names := scraper.scrape(t, p.Status.PodIP, tg.port, tg.path)
			var missing []string
			for _, want := range wantMetrics(p.app(), tg.container) {
				if !names[want] {
					missing = append(missing, want)
				}
			}
			if len(missing) > 0 {
				t.Errorf("%s: %s -> %s:%d%s (%s) lacks %v", p.name(), tg.by, p.Status.PodIP, tg.port, tg.path, tg.container, missing)
			}
			t.Logf("%s: %s -> :%d%s (%s): %d metrics", p.name(), tg.by, tg.port, tg.path, tg.container, len(names))
		}
	}
}

func TestOrdersSurviveDeletedPodsAndRolloutRestartsUnderLoad(t *testing.T) {
	replicas := map[string]int{}
	for _, s := range devcluster.Services {
		replicas[s.Name] = suite.replicas(t, s.Name)
	}
	cases := []struct {
		name    string
		disrupt func(context.Context, map[string]int, logf) error
	}{
		{"orders placed while one pod of each service is deleted, all three at once, are all final, none lost or doubled", suite.deleteOnePodOfEach},
		{"orders placed while the three deployments are restarted at once are all final, none lost or doubled", suite.restartEach},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { ordersSurvive(t, replicas, tc.disrupt) })
	}
}

// ordersSurvive places orders at loadRate through the port-forward while
// disrupt runs, once some are under way, and then checks that every order
// is final and that units and money balance exactly (settle), and that no
// container of the saga restarted.
func ordersSurvive(t *testing.T, replicas map[string]int, disrupt func(context.Context, map[string]int, logf) error) {
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	sh := openShop(t, suite.api, rng)
	t.Logf("seed %d: %d products (%d scarce), %d customers", seed, len(sh.initial), len(sh.scarce), len(sh.customers))

	warm, done := make(chan struct{}), make(chan struct{})
	var disruptErr error
	start := time.Now()
	go func() {
		defer close(done)
		select {
		case <-warm:
		case <-t.Context().Done():
			return
		}
		disruptErr = disrupt(t.Context(), replicas, t.Logf)
	}()
	orders := load(t.Context(), suite.api, sh, rng, warm, done)
	loaded := time.Since(start)
	<-done
	if disruptErr != nil {
		t.Fatal(disruptErr)
	}
	n := settle(t, suite.api, sh, orders)

	t.Logf("%d orders in %.1fs (%.1f/s): %d confirmed, canceled %v; %d POSTs retried after a failure, %d posted twice on purpose and answered with the same order; %d units sold, %d cents charged",
		n.orders, loaded.Seconds(), float64(n.orders)/loaded.Seconds(), n.confirmed, n.canceled, n.retried, n.repeated, n.units, n.cents)
	for _, p := range suite.sagaPods(t) {
		for _, st := range p.statuses() {
			if st.RestartCount != 0 {
				t.Errorf("%s: container %s restarted %d times", p.name(), st.Name, st.RestartCount)
			}
		}
	}
}

// The same saga once more, on the PostgreSQL state stores of
// k8s/overlays/kind-postgres applied over the running cluster (Redis stays,
// as the broker): sidecars on the new stores, orders of each outcome,
// pods deleted under load with exact conservation afterwards, each store in
// a schema of its own, and the network policy in front of the database.
func TestTheSagaRunsOnPostgreSQLStores(t *testing.T) {
	start := time.Now()
	replicas := suite.switchToPostgres(t)
	t.Run("each sidecar loaded its store from PostgreSQL", func(t *testing.T) {
		components := suite.daprComponents(t)
		for _, c := range components {
			if strings.HasSuffix(c.Metadata.Name, "store") && c.Spec.Type+"/"+c.Spec.Version != "state.postgresql/v2" {
				t.Errorf("Component %s is %s/%s, want state.postgresql/v2", c.Metadata.Name, c.Spec.Type, c.Spec.Version)
			}
		}
		for _, p := range suite.sagaPods(t) {
			if isService(p.app()) {
				loaded := checkLoaded(t, p, suite.subscribedSidecarLog(t, p.name()), components)
				t.Logf("%s: sidecar loaded %v", p.name(), slices.Sorted(maps.Keys(loaded)))
			}
		}
	})
	t.Run("orders through the port-forward end as the saga says", func(t *testing.T) {
		ordersEndAsTheSagaSays(t)
	})
	t.Run("orders placed while one pod of each service is deleted are all final, none lost or doubled", func(t *testing.T) {
		ordersSurvive(t, replicas, suite.deleteOnePodOfEach)
	})
	t.Run("each store is in its own schema, which no other role may read", suite.checkStoresInTheirSchemas)
	t.Run("PostgreSQL admits a pod with the services' label and refuses one without", suite.checkPostgresPolicy)
	t.Logf("the saga on PostgreSQL, from the apply to the last check: %.1fs", time.Since(start).Seconds())
}

func TestNoContainerOfTheSagaLoggedAnError(t *testing.T) {
	current, err := suite.containerLogs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	gone, cut := suite.logs.followed(time.Minute)
	for _, p := range cut {
		t.Errorf("the log of %s was still open a minute after its pod was told to go", p)
	}
	all := current
	for podName, containers := range gone {
		if _, ok := all[podName]; !ok {
			all[podName] = containers
		}
	}
	kept := filepath.Join(suite.repo, ".dev", "k8se2e-logs")
	if err := keepLogs(kept, all); err != nil {
		t.Errorf("keep the logs in %s: %v", kept, err)
	}
	var lines, containers, warnings int
	var offenders, excused []*offence
	byKind := map[string]*offence{}
	note := func(list *[]*offence, podName, name, line string) {
		key := name + ": " + messageKind(line)
		o := byKind[key]
		if o == nil {
			o = &offence{kind: key, example: podName + "/" + name + ": " + line, pods: map[string]bool{}}
			byKind[key] = o
			*list = append(*list, o)
		}
		o.count++
		o.pods[podName] = true
	}
	for _, podName := range slices.Sorted(maps.Keys(all)) {
		for _, name := range slices.Sorted(maps.Keys(all[podName])) {
			containers++
			log := all[podName][name]
			for i, v := range judge(name, log) {
				lines++
				switch v {
				case failure:
					note(&offenders, podName, name, log[i])
				case tolerated:
					note(&excused, podName, name, log[i])
				case warning:
					if warnings++; name == "redis" {
						t.Logf("Redis warning (not an error): %s/%s: %s", podName, name, log[i])
					}
				}
			}
		}
	}
	for _, o := range excused {
		t.Logf("tolerated, %d× in %d pods, each after its sidecar began to shut down: %s", o.count, len(o.pods), clip(o.example, 400))
	}
	errorsSeen := 0
	for _, o := range offenders {
		errorsSeen += o.count
		t.Errorf("%d× in %d pods (%s): %s", o.count, len(o.pods), strings.Join(slices.Sorted(maps.Keys(o.pods)), " "), clip(o.example, 1500))
	}
	t.Logf("%d log lines of %d containers in %d pods (%d of them gone during the run, kept in %s): %d errors of %d kinds, %d warnings",
		lines, containers, len(all), len(gone), kept, errorsSeen, len(offenders), warnings)
	if len(gone) == 0 {
		t.Error("no log of a pod that went away was kept: the disruptions did not run, or their logs were lost")
	}
}
