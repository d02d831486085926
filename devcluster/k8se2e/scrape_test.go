package k8se2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/order-saga/devcluster"
)

// The metrics each kind of target must show once the saga has run
// orders: the services' own (every service has the shared ones and its
// business counters) and the sidecars' (Dapr prefixes all of them dapr_).
var (
	sharedAppMetrics = []string{"saga_http_requests_total", "saga_events_contradicting_total", "go_goroutines", "process_resident_memory_bytes"}
	appMetrics       = map[string][]string{
		orderSvc:   {"saga_orders_created_total", "saga_orders_finished_total"},
		stockSvc:   {"saga_stock_reservations_total", "saga_stock_sold_units_total"},
		paymentSvc: {"saga_payments_total", "saga_payment_charged_cents_total"},
	}
	daprMetrics = []string{"dapr_runtime_component_loaded", "dapr_runtime_component_init_total", "dapr_grpc_io_server_completed_rpcs"}
)

// wantMetrics are the metrics of the target in container of a pod of app.
func wantMetrics(app, container string) []string {
	if container == "daprd" {
		return daprMetrics
	}
	return slices.Concat(sharedAppMetrics, appMetrics[app])
}

// scrape reads a Prometheus target from the probe, over plain HTTP as
// Prometheus does, and returns the names of the metrics it exposes (each
// sample's name, histograms and summaries under their family's name
// too).
func (p *probe) scrape(t *testing.T, ip string, port int, path string) map[string]bool {
	t.Helper()
	answer := p.reaches(t, ip, port, "GET "+path+" HTTP/1.0\\r\\nHost: "+fmt.Sprintf("%s:%d", ip, port)+"\\r\\n\\r\\n", "\n")
	status, body, _ := strings.Cut(answer, "\n")
	if !strings.Contains(status, " 200") {
		t.Fatalf("GET http://%s:%d%s: %s", ip, port, path, clip(answer, 300))
	}
	names := map[string]bool{}
	for _, l := range strings.Split(body, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			if f := strings.Fields(l); len(f) >= 3 && f[1] == "TYPE" {
				names[f[2]] = true
			}
			continue
		}
		name, _, _ := strings.Cut(l, " ")
		name, _, _ = strings.Cut(name, "{")
		names[name] = true
	}
	return names
}

// podMonitorCRD is the smallest definition of the Prometheus Operator's
// PodMonitor that lets the API server read k8s/monitoring/podmonitors.yaml:
// the objects are only dry-run, to read them as the API server does.
const podMonitorCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: podmonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {plural: podmonitors, singular: podmonitor, kind: PodMonitor, listKind: PodMonitorList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`

type podMonitor struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		PodMetricsEndpoints []struct {
			Port string `json:"port"`
			Path string `json:"path"`
		} `json:"podMetricsEndpoints"`
	} `json:"spec"`
}

// selects tells whether the monitor's selector matches the pod.
func (m podMonitor) selects(p pod) bool {
	for k, v := range m.Spec.Selector.MatchLabels {
		if p.Metadata.Labels[k] != v {
			return false
		}
	}
	return len(m.Spec.Selector.MatchLabels) > 0
}

// podMonitors reads the PodMonitors of k8s/monitoring/podmonitors.yaml
// through a server-side dry-run in the saga's namespace.
func (s *saga) podMonitors(t *testing.T) []podMonitor {
	t.Helper()
	ctx := t.Context()
	if _, _, err := s.kubectl(ctx, []byte(podMonitorCRD), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	s.must(t, "wait", "--for=condition=Established", "crd/podmonitors.monitoring.coreos.com", "--timeout=60s")
	file := filepath.Join(s.repo, "k8s", "monitoring", "podmonitors.yaml")
	manifest, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	deadline := time.Now().Add(30 * time.Second)
	for {
		// kubectl may map the new kind only once its discovery cache
		// has been refreshed.
		out, _, err = s.kubectl(ctx, manifest, "create", "--dry-run=server", "-o", "json", "-n", devcluster.Namespace, "-f", "-")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dry-run of %s: %v", file, err)
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(time.Second):
		}
	}
	// One JSON object per object of the file, one after the other, or a
	// List of them.
	var monitors []podMonitor
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var obj struct {
			podMonitor
			Kind  string       `json:"kind"`
			Items []podMonitor `json:"items"`
		}
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode the dry-run of %s: %v", file, err)
		}
		switch obj.Kind {
		case "List":
			monitors = append(monitors, obj.Items...)
		case "PodMonitor":
			monitors = append(monitors, obj.podMonitor)
		default:
			t.Errorf("%s holds a %s", file, obj.Kind)
		}
	}
	if len(monitors) == 0 {
		t.Fatalf("%s holds no PodMonitor", file)
	}
	return monitors
}
