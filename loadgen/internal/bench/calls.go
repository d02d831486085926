package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/example/order-saga/devstack/stack"
)

// Calls counts, per service, the sidecar's work for it during a run: each
// Dapr API method its app called (SaveState, GetState, PublishEvent...)
// and the events delivered to it, as the sidecars' own metrics count them.
type Calls map[string]map[string]float64 // app → call → count

// sidecarCalls reads the counts of every sidecar of the stack now; a
// sidecar that does not answer is left out.
func sidecarCalls(ctx context.Context, s *stack.Stack) Calls {
	out := Calls{}
	client := &http.Client{Timeout: 5 * time.Second}
	for _, inst := range s.Instances {
		app, ok := s.AppOf(inst)
		if !ok {
			continue
		}
		p := s.Ports[inst]
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(p.DaprMetrics)+"/metrics", nil)
		if err != nil {
			continue
		}
		res, err := client.Do(req)
		if err != nil {
			continue
		}
		counts := parseCalls(res.Body)
		res.Body.Close()
		if out[app] == nil {
			out[app] = map[string]float64{}
		}
		for k, v := range counts {
			out[app][k] += v
		}
	}
	return out
}

// Delivered is the call name of the events a sidecar delivered to its app.
const Delivered = "delivered events"

// parseCalls sums, from Prometheus text, the completed calls of the Dapr
// API by method (dapr_grpc_io_server_completed_rpcs, the method's last
// path element) and the events delivered to the app
// (dapr_component_pubsub_ingress_count), whatever their outcome.
func parseCalls(r io.Reader) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var name string
		switch {
		case strings.HasPrefix(line, "dapr_grpc_io_server_completed_rpcs{"):
			m := label(line, "grpc_server_method")
			if !strings.HasPrefix(m, "/dapr.proto.runtime.v1.Dapr/") {
				continue
			}
			name = strings.TrimPrefix(m, "/dapr.proto.runtime.v1.Dapr/")
		case strings.HasPrefix(line, "dapr_component_pubsub_ingress_count{"):
			name = Delivered
		default:
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[name] += v
	}
	return out
}

// label is the value of label key in one sample line, "" when absent.
func label(line, key string) string {
	i := strings.Index(line, key+`="`)
	if i < 0 {
		return ""
	}
	rest := line[i+len(key)+2:]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// perOrder is what happened between before and after, per finished order.
func (after Calls) perOrder(before Calls, orders int64) Calls {
	out := Calls{}
	if orders <= 0 {
		return out
	}
	for app, calls := range after {
		for name, n := range calls {
			if d := n - before[app][name]; d > 0 {
				if out[app] == nil {
					out[app] = map[string]float64{}
				}
				out[app][name] = d / float64(orders)
			}
		}
	}
	return out
}

// describe is one line per service: its calls per order, the state calls
// added up.
func (c Calls) describe(app string) string {
	calls := c[app]
	var parts []string
	var state float64
	for _, name := range slices.Sorted(maps.Keys(calls)) {
		if isStateCall(name) {
			state += calls[name]
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", name, calls[name]))
	}
	return fmt.Sprintf("%s: %.2f state calls (%s)", app, state, strings.Join(parts, ", "))
}

// isStateCall tells the state methods of the Dapr API (GetState,
// SaveState, GetBulkState, ExecuteStateTransaction...) from the others.
func isStateCall(name string) bool { return strings.Contains(name, "State") }
