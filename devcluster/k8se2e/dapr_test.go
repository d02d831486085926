package k8se2e

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"

	"github.com/example/order-saga/devcluster"
)

// What each sidecar must have loaded and subscribed its app to, and how
// daprd 1.16 says it did.

// subscriptions are the topics each service subscribes to (the events its
// handlers take), which its sidecar must report.
var subscriptions = map[string][]string{
	orderSvc:   {"payments", "stock"},
	stockSvc:   {"orders", "payments"},
	paymentSvc: {"stock"},
}

var (
	// subscribedLine is what daprd 1.16 logs once it has the app's
	// subscriptions (pkg/runtime/processor/subscriber): the topics are a
	// Go slice printed inside brackets.
	subscribedLine = regexp.MustCompile(`app is subscribed to the following topics: \[\[([^\]]*)\]\] through pubsub=([A-Za-z0-9._-]+)`)
	// loadedLine is what daprd logs for each component it has initialised
	// (pkg/runtime/processor): "Component loaded: NAME (TYPE/VERSION)".
	loadedLine = regexp.MustCompile(`Component loaded: (\S+) \(([^/)]+)/([^)]+)\)`)
)

// daprComponent is a Dapr Component as the cluster holds it.
type daprComponent struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Type    string `json:"type"`
		Version string `json:"version"`
	} `json:"spec"`
	Scopes []string `json:"scopes"`
}

// scopedTo tells whether a sidecar of app loads the component.
func (c daprComponent) scopedTo(app string) bool {
	return len(c.Scopes) == 0 || slices.Contains(c.Scopes, app)
}

func (s *saga) daprComponents(t *testing.T) []daprComponent {
	t.Helper()
	var list struct {
		Items []daprComponent `json:"items"`
	}
	if err := json.Unmarshal(s.must(t, "get", "components.dapr.io", "-n", devcluster.Namespace, "-o", "json"), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) == 0 {
		t.Fatal("the cluster holds no Dapr Component in " + devcluster.Namespace)
	}
	return list.Items
}
