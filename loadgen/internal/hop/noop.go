// Package hop measures the bare Dapr hop the saga is built from: an event
// published through a sidecar and delivered by the same broker to a
// subscriber that does nothing. Its rate is the ceiling a saga of several
// such hops per order cannot pass on the same machine.
package hop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// AppID is the sidecar's app id, apart from the saga's.
const AppID = "bench-noop"

const (
	topic = "bench-noop"
	route = "/noop"
)

// Options say where the no-op subscriber's sidecar finds its parts.
type Options struct {
	Daprd     string    // the daprd binary
	Resources string    // the stack's rendered component folder, whose pubsub.yaml is used
	Config    string    // the sidecar configuration file
	Dir       string    // a folder for the rendered component
	Log       io.Writer // the sidecar's output
}

// Noop is a running no-op subscriber with its own sidecar.
type Noop struct {
	server    *http.Server
	daprd     *stack.Proc
	httpPort  int
	grpcPort  int
	delivered atomic.Int64
	target    atomic.Int64
	reached   chan time.Time // receives when delivered reaches target
	log       io.Writer
}

// Start runs the subscriber and its sidecar, and waits until the sidecar
// has subscribed.
func Start(ctx context.Context, o Options) (*Noop, error) {
	resources, err := renderPubSub(o)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	n := &Noop{reached: make(chan time.Time, 1), log: o.Log}
	n.target.Store(-1)
	n.server = &http.Server{Handler: n.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = n.server.Serve(ln) }()

	free, err := stack.FreePorts()
	if err != nil {
		n.Stop()
		return nil, err
	}
	// Free ports for the sidecar; the app port is the listener's own.
	p := free[contracts.AppOrder]
	p.App = ln.Addr().(*net.TCPAddr).Port
	n.httpPort, n.grpcPort = p.DaprHTTP, p.DaprGRPC
	// The same flags as the stack's sidecars, so the hop costs the same.
	if n.daprd, err = stack.StartSidecar(o.Daprd, AppID, p, resources, o.Config, "error", o.Log); err != nil {
		n.Stop()
		return nil, fmt.Errorf("start the no-op sidecar: %w", err)
	}
	if err := n.waitSubscribed(ctx); err != nil {
		n.Stop()
		return nil, err
	}
	return n, nil
}

// Pid is the sidecar's process id.
func (n *Noop) Pid() int { return n.daprd.Pid() }

// Stop ends the sidecar and the subscriber.
func (n *Noop) Stop() {
	if n.daprd != nil {
		n.daprd.Stop(10 * time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = n.server.Shutdown(ctx)
}

func (n *Noop) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /dapr/subscribe", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode([]map[string]string{{"pubsubname": contracts.PubSub, "topic": topic, "route": route}})
	})
	mux.HandleFunc("POST "+route, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if n.delivered.Add(1) == n.target.Load() {
			n.reached <- time.Now()
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"SUCCESS"}`)
	})
	return mux
}

// renderPubSub writes the stack's broker component, without the scopes
// that keep it to the saga's apps, into a folder of its own.
func renderPubSub(o Options) (string, error) {
	b, err := os.ReadFile(filepath.Join(o.Resources, "pubsub.yaml"))
	if err != nil {
		return "", err
	}
	dir := filepath.Join(o.Dir, "noop")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "pubsub.yaml"), []byte(withoutScopes(string(b))), 0o644)
}

// withoutScopes drops a top-level scopes list from a component YAML.
func withoutScopes(yaml string) string {
	var out []string
	inScopes := false
	for _, line := range strings.Split(yaml, "\n") {
		top := line != "" && line[0] != ' ' && line[0] != '-' && line[0] != '#'
		switch {
		case strings.HasPrefix(line, "#"):
			// A comment at the margin is kept and ends nothing.
		case top && strings.HasPrefix(line, "scopes:"):
			inScopes = true
			continue
		case top:
			inScopes = false
		case inScopes:
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// waitSubscribed waits until the sidecar answers and lists the no-op
// subscription.
func (n *Noop) waitSubscribed(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	url := fmt.Sprintf("http://127.0.0.1:%d/v1.0/metadata", n.httpPort)
	var last error
	for {
		if last = n.subscribed(ctx, url); last == nil {
			return nil
		}
		select {
		case <-n.daprd.Done():
			return errors.New("the no-op sidecar exited; see its output above")
		case <-ctx.Done():
			return fmt.Errorf("the no-op sidecar did not subscribe: %w", last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (n *Noop) subscribed(ctx context.Context, url string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var meta struct {
		Subscriptions []struct {
			PubsubName string `json:"pubsubname"`
			Topic      string `json:"topic"`
		} `json:"subscriptions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil {
		return err
	}
	for _, s := range meta.Subscriptions {
		if s.Topic == topic {
			return nil
		}
	}
	return errors.New("no subscription yet")
}
