package k8scheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// The self-hosted resources (dapr/components, the broker alternatives in
// dapr/brokers, and dapr/config.yaml) validate against Dapr's own CRD
// schemas too, so a typo there is caught before daprd ignores it.
func TestEveryLocalDaprResourceValidatesAgainstDaprsCRDs(t *testing.T) {
	t.Parallel()
	root, _, schemas := fixtures(t)
	files, err := filepath.Glob(filepath.Join(root, "dapr", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(root, "dapr", "config.yaml"))
	if len(files) < 8 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(b), "\n---") {
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if obj == nil {
				continue
			}
			u := &unstructured.Unstructured{Object: obj}
			// Self-hosted resources have no namespace; the schemas want one.
			u.SetNamespace("default")
			if err := schemas.Validate(u); err != nil {
				t.Errorf("%s: %v", strings.TrimPrefix(f, root+"/"), err)
			}
		}
	}
}
