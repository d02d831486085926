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
	"sync"
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
	// Stack is the stack whose broker is measured: its sidecar starts as
	// the stack's do, with the stack's pubsub.yaml and secret store.
	Stack *stack.Stack
	Dir   string    // a folder for the rendered components
	Log   io.Writer // where the client logs
	// Channel is how sidecar and subscriber talk; HTTP deliveries and
	// publishes over TCP, as the saga's services do, when zero.
	Channel Channel
}

// Noop is a running no-op subscriber with its own sidecar.
type Noop struct {
	server   *http.Server
	stopGRPC func()
	daprd    *stack.Proc
	grpcPort int
	httpPort int
	// httpPublish publishes through the sidecar's HTTP API.
	httpPublish bool
	socket      string // the sidecar's gRPC API, when it serves it on a Unix socket
	token       string // the sidecar's API token
	// subscribed is closed once the sidecar has asked for the
	// subscription.
	subscribed chan struct{}
	askedOnce  sync.Once
	delivered  atomic.Int64
	target     atomic.Int64
	reached    chan time.Time // receives when delivered reaches target
	log        io.Writer
}

// Start runs the subscriber and its sidecar, and waits until the sidecar
// has subscribed.
func Start(ctx context.Context, o Options) (*Noop, error) {
	resources, err := renderComponents(o)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	n := &Noop{reached: make(chan time.Time, 1), subscribed: make(chan struct{}), log: o.Log, token: o.Stack.Tokens.DaprAPI}
	n.target.Store(-1)
	n.server = &http.Server{Handler: n.routes(), ReadHeaderTimeout: 10 * time.Second}
	if o.Channel.H2C {
		n.server.Protocols = new(http.Protocols)
		n.server.Protocols.SetHTTP1(true)
		n.server.Protocols.SetUnencryptedHTTP2(true)
	}
	if o.Channel.GRPC {
		n.stopGRPC = n.serveGRPC(ln)
	} else {
		go func() { _ = n.server.Serve(ln) }()
	}
	if o.Channel.Socket {
		n.socket = socket(resources)
	}

	free, err := stack.FreePorts()
	if err != nil {
		n.Stop()
		return nil, err
	}
	// Free ports for the sidecar; the app port is the listener's own.
	p := free[contracts.AppOrder]
	p.App = ln.Addr().(*net.TCPAddr).Port
	n.grpcPort, n.httpPort, n.httpPublish = p.DaprGRPC, p.DaprHTTP, o.Channel.HTTPPublish
	// The same flags as the stack's sidecars, so the hop costs the same.
	if n.daprd, err = o.Stack.StartSidecar(AppID, p, resources, o.Channel.sidecarFlags(resources)...); err != nil {
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
	if n.stopGRPC != nil {
		n.stopGRPC()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = n.server.Shutdown(ctx)
}

// received counts a delivery.
func (n *Noop) received() {
	if n.delivered.Add(1) == n.target.Load() {
		n.reached <- time.Now()
	}
}

func (n *Noop) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /dapr/subscribe", func(w http.ResponseWriter, _ *http.Request) {
		n.askedOnce.Do(func() { close(n.subscribed) })
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode([]map[string]string{{"pubsubname": contracts.PubSub, "topic": topic, "route": route}})
	})
	mux.HandleFunc("POST "+route, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n.received()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"SUCCESS"}`)
	})
	return mux
}

// renderComponents writes the stack's broker component and the secret
// store it takes its password from into a folder of their own, without
// the scopes and the topic limits that keep them to the saga's services
// and topics.
func renderComponents(o Options) (string, error) {
	dir := filepath.Join(o.Dir, "noop")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for _, name := range []string{"pubsub.yaml", "secretstore.yaml"} {
		b, err := os.ReadFile(filepath.Join(o.Stack.ResourcesDir(), name))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(unscoped(string(b))), 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// topicLimits are the pub/sub metadata that keep topics to the saga's
// services.
var topicLimits = map[string]bool{"allowedTopics": true, "protectedTopics": true, "publishingScopes": true, "subscriptionScopes": true}

// unscoped drops from a component YAML its top-level scopes list and its
// topic limits (a metadata item and its value).
func unscoped(yaml string) string {
	var out []string
	dropping := func(string) bool { return false } // whether a line is part of what is dropped
	for _, line := range strings.Split(yaml, "\n") {
		body := strings.TrimLeft(line, " ")
		indent := len(line) - len(body)
		if strings.HasPrefix(line, "#") {
			// A comment at the margin is kept and ends nothing.
			out = append(out, line)
			continue
		}
		if line != "" && dropping(line) {
			continue
		}
		dropping = func(string) bool { return false }
		name, item := strings.CutPrefix(body, "- name: ")
		switch {
		case indent == 0 && strings.HasPrefix(body, "scopes:"):
			dropping = func(l string) bool { return l[0] == ' ' || l[0] == '-' }
			continue
		case item && topicLimits[strings.TrimSpace(name)]:
			dropping = func(l string) bool { return len(l)-len(strings.TrimLeft(l, " ")) > indent }
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// waitSubscribed waits until the sidecar has asked for the subscription.
// The sidecar subscribes right after; a message published meanwhile is
// not lost, the broker keeps it for the subscription (a Redis stream's
// consumer group reads from the stream's start).
func (n *Noop) waitSubscribed(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	select {
	case <-n.subscribed:
		return nil
	case <-n.daprd.Done():
		return errors.New("the no-op sidecar exited; see its output above")
	case <-ctx.Done():
		return fmt.Errorf("the no-op sidecar did not ask for its subscription: %w", ctx.Err())
	}
}
