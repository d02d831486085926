package k8scheck

import (
	"os"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var (
	loadOnce  sync.Once
	repoRoot  string
	staged    string
	rendered  map[string][]*unstructured.Unstructured
	reference *Reference
	schemas   *DaprSchemas
	loadErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if staged != "" {
		os.RemoveAll(staged)
	}
	os.Exit(code)
}

// fixtures renders every overlay (from a staged copy with throwaway
// secrets, see StageManifests) and reads the references once per test binary; tests
// get deep copies, so they may mutate what they receive.
func fixtures(t *testing.T) (string, *Reference, *DaprSchemas) {
	t.Helper()
	loadOnce.Do(func() {
		if repoRoot, loadErr = RepoRoot(); loadErr != nil {
			return
		}
		if staged, loadErr = os.MkdirTemp("", "k8scheck-"); loadErr != nil {
			return
		}
		if loadErr = StageManifests(repoRoot, staged); loadErr != nil {
			return
		}
		rendered = map[string][]*unstructured.Unstructured{}
		for _, o := range Overlays {
			if rendered[o], loadErr = Render(staged, o); loadErr != nil {
				return
			}
		}
		if reference, loadErr = LoadReference(repoRoot); loadErr != nil {
			return
		}
		var dir string
		if dir, loadErr = DaprCRDsDir(); loadErr != nil {
			return
		}
		schemas, loadErr = LoadDaprSchemas(dir)
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return repoRoot, reference, schemas
}

// overlay returns a deep copy of the rendered objects of one overlay.
func overlay(t *testing.T, name string) []*unstructured.Unstructured {
	t.Helper()
	fixtures(t)
	objs, ok := rendered[name]
	if !ok {
		t.Fatalf("no overlay %s", name)
	}
	out := make([]*unstructured.Unstructured, len(objs))
	for i, obj := range objs {
		out[i] = obj.DeepCopy()
	}
	return out
}

// find returns the object with the given Kind/name, failing the test when
// there is none.
func find(t *testing.T, objs []*unstructured.Unstructured, kindName string) *unstructured.Unstructured {
	t.Helper()
	for _, obj := range objs {
		if obj.GetKind()+"/"+obj.GetName() == kindName {
			return obj
		}
	}
	t.Fatalf("no %s in the rendered objects", kindName)
	return nil
}

// set writes value at a dotted path of obj; a numeric segment indexes a list.
func set(t *testing.T, obj *unstructured.Unstructured, path string, value any) {
	t.Helper()
	var cur any = obj.Object
	parts := splitPath(path)
	for i, p := range parts {
		last := i == len(parts)-1
		switch node := cur.(type) {
		case map[string]any:
			if last {
				node[p] = value
				return
			}
			next, ok := node[p]
			if !ok {
				next = map[string]any{}
				node[p] = next
			}
			cur = next
		case []any:
			idx := 0
			for _, r := range p {
				idx = idx*10 + int(r-'0')
			}
			if last {
				node[idx] = value
				return
			}
			cur = node[idx]
		default:
			t.Fatalf("%s: cannot descend into %s", path, p)
		}
	}
}

// del removes the field at a dotted path of obj.
func del(t *testing.T, obj *unstructured.Unstructured, path string) {
	t.Helper()
	parts := splitPath(path)
	var node any = obj.Object
	{
		for _, p := range parts[:len(parts)-1] {
			switch n := node.(type) {
			case map[string]any:
				node = n[p]
			case []any:
				idx := 0
				for _, r := range p {
					idx = idx*10 + int(r-'0')
				}
				node = n[idx]
			}
		}
	}
	m, ok := node.(map[string]any)
	if !ok {
		t.Fatalf("%s: parent is not an object", path)
	}
	if _, ok := m[parts[len(parts)-1]]; !ok {
		t.Fatalf("%s: no such field", path)
	}
	delete(m, parts[len(parts)-1])
}

// splitPath splits a dotted path; NUL stands for a dot inside a key.
func splitPath(path string) []string {
	parts := strings.Split(path, ".")
	for i := range parts {
		parts[i] = strings.ReplaceAll(parts[i], "\x00", ".")
	}
	return parts
}

// assertRefused fails unless err is non-nil and mentions want.
func assertRefused(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want an error mentioning %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("refused, but the error does not mention %q:\n%v", want, err)
	}
}
