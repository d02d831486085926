package k8se2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/order-saga/devcluster"
)

// What each sidecar must have loaded, subscribed its app to and connected
// to, and how daprd 1.18 and the Dapr scheduler say so.

// subscriptions are the topics each service subscribes to (the events its
// handlers take, and the dead letters), which its sidecar must report.
var subscriptions = map[string][]string{
	orderSvc:   {"deadletters", "payments", "stock"},
	stockSvc:   {"deadletters", "orders", "payments"},
	paymentSvc: {"deadletters", "stock"},
}

var (
	// subscribedLine is what daprd (1.16 to 1.18) logs once it has the
	// app's subscriptions (pkg/runtime/processor/subscriber): the topics
	// are a Go slice printed inside brackets.
	subscribedLine = regexp.MustCompile(`app is subscribed to the following topics: \[\[([^\]]*)\]\] through pubsub=([A-Za-z0-9._-]+)`)
	// loadedLine is what daprd logs for each component it has initialised
	// (pkg/runtime/processor): "Component loaded: NAME (TYPE/VERSION)".
	loadedLine = regexp.MustCompile(`Component loaded: (\S+) \(([^/)]+)/([^)]+)\)`)
	// schedulerHostsLine is what daprd 1.18 logs when the scheduler it
	// was given (the chart's Service dapr-scheduler-server-a) has answered
	// with the address of every scheduler, POD_IP:50006
	// (pkg/runtime/scheduler/internal/watchhosts).
	schedulerHostsLine = regexp.MustCompile(`Connected and received scheduler hosts addresses: \[([^\]]*)\]`)
	// schedulerStreamLine is what daprd 1.18 logs once its stream of the
	// app's jobs to a scheduler is open (pkg/runtime/scheduler/internal/cluster).
	schedulerStreamLine = regexp.MustCompile(`Scheduler stream connected for \[`)
	// sidecarConnectedLine is what the scheduler logs for each sidecar
	// stream it accepts (pkg/scheduler/server/internal/pool/loops/stream):
	// "Sidecar connected: NAMESPACE/APP_ID (actorTypes=[...]) ...".
	sidecarConnectedLine = regexp.MustCompile(`Sidecar connected: ([^/\s]+)/(\S+) \(actorTypes=`)
)

// The scheduler as the chart makes it: a StatefulSet whose pods carry
// app=dapr-scheduler-server, with one replica here (k8s/dapr-system).
const (
	schedulerSelector = "app=dapr-scheduler-server"
	schedulerReplicas = 1
	schedulerPort     = 50006
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

// checkLoaded checks a service pod's sidecar log for a "Component loaded"
// line, with its type and version, of every component scoped to its app,
// and for none of the others, and returns the names it loaded.
func checkLoaded(t *testing.T, p pod, logs string, components []daprComponent) map[string]bool {
	t.Helper()
	loaded := map[string]bool{}
	for _, m := range loadedLine.FindAllStringSubmatch(logs, -1) {
		loaded[m[1]] = true
	}
	for _, comp := range components {
		line := fmt.Sprintf("Component loaded: %s (%s/%s)", comp.Metadata.Name, comp.Spec.Type, comp.Spec.Version)
		switch scoped := comp.scopedTo(p.app()); {
		case scoped && !strings.Contains(logs, line):
			t.Errorf("%s: the sidecar's log has no %q", p.name(), line)
		case !scoped && loaded[comp.Metadata.Name]:
			t.Errorf("%s: the sidecar loaded %s, which is scoped to %v only", p.name(), comp.Metadata.Name, comp.Scopes)
		}
	}
	return loaded
}

// connectedSidecarLog is the log of the pod's sidecar once it shows the
// stream to the scheduler open, or after 30 s: the sidecar opens it once
// its app is up, which can come after the pod is Ready.
func (s *saga) connectedSidecarLog(t *testing.T, pod string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		logs := string(s.must(t, "logs", "-n", devcluster.Namespace, pod, "-c", "daprd"))
		if schedulerStreamLine.MatchString(logs) || time.Now().After(deadline) {
			return logs
		}
		select {
		case <-t.Context().Done():
			return logs
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// sidecarsConnected reads the scheduler's log for the sidecars it has
// accepted, by namespace/app id, with one line of each as an example.
func sidecarsConnected(log string) (map[string]int, map[string]string) {
	count, example := map[string]int{}, map[string]string{}
	for _, line := range strings.Split(log, "\n") {
		if m := sidecarConnectedLine.FindStringSubmatch(line); m != nil {
			key := m[1] + "/" + m[2]
			count[key]++
			if example[key] == "" {
				example[key] = line
			}
		}
	}
	return count, example
}
