package k8scheck

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/example/order-saga/contracts"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Pod annotations every saga service carries, with the value they must have.
// The sidecar's metrics port and health check are what docs/kubernetes.md
// and the network policies assume.
var fixedAppAnnotations = map[string]string{
	"dapr.io/enabled":                 "true",
	"dapr.io/app-protocol":            "http",
	"dapr.io/enable-metrics":          "true",
	"dapr.io/metrics-port":            "9090",
	"dapr.io/enable-app-health-check": "true",
	"dapr.io/app-health-check-path":   "/readyz",
	"dapr.io/block-shutdown-duration": "5s",
	"prometheus.io/scrape":            "true",
	"prometheus.io/path":              "/metrics",
}

// bindAddress is where the services listen in a pod: kubelet probes and
// the Services reach the pod IP, not localhost, where they listen by
// default.
const bindAddress = "0.0.0.0"

// checkApps checks each saga service's Deployment against the code: its app
// id, ports, tokens, probes and the Dapr resources scoped to it, and that it
// has the Service, ServiceAccount and PodDisruptionBudget beside it.
func checkApps(m *Manifest, ref *Reference) []error {
	var errs []error
	seen := map[string]bool{}
	for _, d := range m.Deployments {
		if d.Spec.Template.Annotations["dapr.io/enabled"] == "" {
			errs = append(errs, fmt.Errorf("Deployment/%s: not Dapr-enabled; every Deployment here is a saga service", d.Name))
			continue
		}
		appID := d.Spec.Template.Annotations["dapr.io/app-id"]
		seen[appID] = true
		for _, msg := range appProblems(m, ref, d, appID) {
			errs = append(errs, fmt.Errorf("Deployment/%s: %s", d.Name, msg))
		}
	}
	for _, svc := range Services {
		if !seen[svc] {
			errs = append(errs, fmt.Errorf("no Deployment has dapr.io/app-id %q", svc))
		}
	}
	return append(errs, sharedTokenProblems(m)...)
}

func appProblems(m *Manifest, ref *Reference, d *appsv1.Deployment, appID string) []string {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	ann := d.Spec.Template.Annotations

	if !slices.Contains(Services, appID) {
		add("dapr.io/app-id %q is not one of the app ids in contracts (%s)", appID, strings.Join(Services, ", "))
		return probs
	}
	if d.Name != appID {
		add("named %q but its dapr.io/app-id is %q", d.Name, appID)
	}
	for key, want := range fixedAppAnnotations {
		if got := ann[key]; got != want {
			add("annotation %s is %q, want %q", key, got, want)
		}
	}
	if n, err := strconv.Atoi(ann["dapr.io/app-health-probe-interval"]); err != nil || n <= 0 {
		add("annotation dapr.io/app-health-probe-interval %q is not a positive number of seconds", ann["dapr.io/app-health-probe-interval"])
	}
	config := m.Dapr["Configuration/"+ann["dapr.io/config"]]
	if config == nil {
		add("annotation dapr.io/config %q names no Configuration in the manifests", ann["dapr.io/config"])
	}

	if len(d.Spec.Template.Spec.Containers) != 1 {
		add("has %d containers, want the app alone (Dapr injects the sidecar)", len(d.Spec.Template.Spec.Containers))
		return probs
	}
	c := &d.Spec.Template.Spec.Containers[0]
	if imageName(c.Image) != appID {
		add("image %q is not the %s image", c.Image, appID)
	}
	port := containerPort(c, "http")
	if port == 0 {
		add("container %s has no port named http", c.Name)
		return probs
	}
	if want := contracts.DefaultPort(appID); int(port) != want {
		add("container port %d differs from %s's default port %d (contracts.DefaultPort)", port, appID, want)
	}
	if env := envValue(c, "PORT"); env != strconv.Itoa(int(port)) {
		add("env PORT is %q, want %d (the container port)", env, port)
	}
	if env := envValue(c, "BIND_ADDRESS"); env != bindAddress {
		add("env BIND_ADDRESS is %q, want %s: probes and the Service reach the pod IP", env, bindAddress)
	}
	if config != nil {
		// A trace the app starts keeps the app's decision all the way, so
		// the app must sample as its sidecar does.
		rate, _, _ := unstructured.NestedString(config.Object, "spec", "tracing", "samplingRate")
		if env := envValue(c, "TRACE_SAMPLING_RATE"); env != rate {
			add("env TRACE_SAMPLING_RATE is %q, want %q, the samplingRate of Configuration %s", env, rate, config.GetName())
		}
	}
	for _, key := range []string{"dapr.io/app-port", "prometheus.io/port"} {
		if ann[key] != strconv.Itoa(int(port)) {
			add("annotation %s is %q, want %d (the container port)", key, ann[key], port)
		}
	}
	probs = append(probs, tokenProblems(m, ann, c, appID)...)
	probs = append(probs, waitProblems(m, d, c, appID)...)
	probs = append(probs, shutdownProblems(d, c)...)
	probs = append(probs, probeProblems("readinessProbe", c.ReadinessProbe, c, "/readyz", port)...)
	probs = append(probs, probeProblems("livenessProbe", c.LivenessProbe, c, "/healthz", port)...)

	podLabels := labels.Set(d.Spec.Template.Labels)
	if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err != nil || !sel.Matches(podLabels) {
		add("selector does not match its own pod labels")
	}
	if d.Spec.Template.Spec.ServiceAccountName != appID {
		add("serviceAccountName %q, want its own account %q", d.Spec.Template.Spec.ServiceAccountName, appID)
	}
	probs = append(probs, serviceProblems(m, appID, c, podLabels)...)
	if !slices.ContainsFunc(m.PDBs, func(p *policyv1.PodDisruptionBudget) bool { return selects(p.Spec.Selector, podLabels) }) {
		add("no PodDisruptionBudget selects its pods")
	}
	probs = append(probs, scopeProblems(m, ref, appID)...)
	return probs
}

func serviceProblems(m *Manifest, appID string, c *corev1.Container, podLabels labels.Set) []string {
	svc := m.Services[appID]
	if svc == nil {
		return []string{fmt.Sprintf("no Service named %s", appID)}
	}
	var probs []string
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		probs = append(probs, fmt.Sprintf("Service %s does not select its pods", appID))
	}
	port := containerPort(c, "http")
	ok := slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool {
		return p.Port == port && resolvePort(c, p.TargetPort) == port
	})
	if !ok {
		probs = append(probs, fmt.Sprintf("Service %s has no port %d sending to the container port %d", appID, port, port))
	}
	return probs
}

func probeProblems(name string, p *corev1.Probe, c *corev1.Container, path string, port int32) []string {
	if p == nil {
		return []string{fmt.Sprintf("no %s", name)}
	}
	if p.HTTPGet == nil {
		return []string{fmt.Sprintf("%s is not an HTTP GET of %s", name, path)}
	}
	var probs []string
	if p.HTTPGet.Path != path {
		probs = append(probs, fmt.Sprintf("%s path is %q, want %q", name, p.HTTPGet.Path, path))
	}
	if got := resolvePort(c, p.HTTPGet.Port); got != port {
		probs = append(probs, fmt.Sprintf("%s port %s is not the app port %d", name, p.HTTPGet.Port.String(), port))
	}
	return probs
}

func containerPort(c *corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

// resolvePort turns a port number or name into the container's port number.
func resolvePort(c *corev1.Container, p intstr.IntOrString) int32 {
	if p.Type == intstr.String {
		return containerPort(c, p.StrVal)
	}
	return p.IntVal
}

func envValue(c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// imageName strips the registry, tag and digest: "reg/x/order-svc:1" is
// "order-svc".
func imageName(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, "/"); i >= 0 {
		image = image[i+1:]
	}
	if i := strings.Index(image, ":"); i >= 0 {
		image = image[:i]
	}
	return image
}

func selects(sel *metav1.LabelSelector, set labels.Set) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && !s.Empty() && s.Matches(set)
}

// waitProblems: the pod's one init container waits, with the app's own
// image, until the Redis of the redis-auth Secret answers, and the
// database of every store of the app that connects to an address written
// in its Component, so that the injected sidecar does not start (and exit,
// and back off) before them.
func waitProblems(m *Manifest, d *appsv1.Deployment, app *corev1.Container, appID string) []string {
	inits := d.Spec.Template.Spec.InitContainers
	if len(inits) != 1 {
		return []string{fmt.Sprintf("has %d init containers, want one that waits for Redis", len(inits))}
	}
	w := &inits[0]
	var probs []string
	if w.Image != app.Image {
		probs = append(probs, fmt.Sprintf("init container %s runs image %q, want the app's %q", w.Name, w.Image, app.Image))
	}
	want := append([]string{"wait-for", "$(REDIS_HOST)"}, storeAddresses(m, appID)...)
	if len(w.Command) != 0 || !slices.Equal(w.Args, want) {
		probs = append(probs, fmt.Sprintf("init container %s runs %q %q, want args %v", w.Name, w.Command, w.Args, want))
	}
	if ref := envSecretRef(w, "REDIS_HOST"); ref == nil || ref.Name != "redis-auth" || ref.Key != "redis-host" || !m.hasSecretKey(ref.Name, ref.Key) {
		probs = append(probs, fmt.Sprintf("init container %s: env REDIS_HOST must come from Secret redis-auth key redis-host, the address the components use", w.Name))
	}
	return probs
}

// daprGracefulShutdown is daprd's default graceful shutdown, which follows
// its block-shutdown-duration.
const daprGracefulShutdown = 5

// shutdownProblems: Kubernetes sends SIGTERM to the app and its sidecar at
// once. The sidecar then stops taking messages but keeps its components
// for block-shutdown-duration; the app must keep serving the deliveries in
// flight for that long (a preStop sleep), and the pod's grace period must
// cover the sleep and the sidecar's own shutdown.
func shutdownProblems(d *appsv1.Deployment, c *corev1.Container) []string {
	block, err := time.ParseDuration(d.Spec.Template.Annotations["dapr.io/block-shutdown-duration"])
	if err != nil {
		return []string{"annotation dapr.io/block-shutdown-duration is not a duration"}
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		return []string{fmt.Sprintf("container %s has no preStop sleep: it would stop before its sidecar has finished the deliveries in flight", c.Name)}
	}
	sleep := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	var probs []string
	if sleep <= block {
		probs = append(probs, fmt.Sprintf("preStop sleep %s is not longer than dapr.io/block-shutdown-duration %s", sleep, block))
	}
	grace := int64(30)
	if g := d.Spec.Template.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = *g
	}
	if need := sleep + block + daprGracefulShutdown*time.Second; time.Duration(grace)*time.Second < need {
		probs = append(probs, fmt.Sprintf("terminationGracePeriodSeconds %d does not cover the preStop sleep, the sidecar's block and its shutdown (%s)", grace, need))
	}
	return probs
}
