package k8scheck_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/example/order-saga/k8scheck"
)

// The monitoring kustomization renders, ships the very dashboard file and
// the very alert rules the project tests against a real Prometheus.
func TestMonitoringShipsTheTestedDashboardAndRules(t *testing.T) {
	t.Parallel()
	root, err := k8scheck.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := k8scheck.Render(root, filepath.Join(root, "k8s", "monitoring"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.GetKind()]++
		switch o.GetKind() {
		case "ConfigMap":
			if o.GetLabels()["grafana_dashboard"] != "1" {
				t.Errorf("the dashboard ConfigMap lacks the grafana_dashboard label: %v", o.GetLabels())
			}
			data, _, _ := unstructuredString(o.Object, "data", "grafana-dashboard.json")
			var d map[string]any
			if err := json.Unmarshal([]byte(data), &d); err != nil || d["uid"] != "order-saga" {
				t.Errorf("the ConfigMap does not hold the dashboard: %v", err)
			}
		case "PrometheusRule":
			want := readYAML(t, filepath.Join(root, "observability", "prometheus", "rules.yml"))["groups"]
			spec, _ := o.Object["spec"].(map[string]any)
			if !reflect.DeepEqual(normalise(t, spec["groups"]), normalise(t, want)) {
				t.Error("k8s/monitoring/prometheusrule.yaml differs from observability/prometheus/rules.yml")
			}
		}
	}
	if kinds["ConfigMap"] != 1 || kinds["PrometheusRule"] != 1 || kinds["PodMonitor"] != 2 {
		t.Fatalf("rendered kinds %v, want a ConfigMap, a PrometheusRule and two PodMonitors", kinds)
	}
}

func unstructuredString(obj map[string]any, path ...string) (string, bool, error) {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false, nil
		}
		cur = m[p]
	}
	s, ok := cur.(string)
	return s, ok, nil
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// normalise makes numbers and maps compare alike whatever decoded them.
func normalise(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
