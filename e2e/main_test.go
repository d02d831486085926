// Package e2e proves the saga end to end on real daprd sidecars and a real
// Redis, started by the same runner as `make run`.
package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/example/order-saga/devstack/stack"
)

// shared is the stack most tests run against; each test uses its own
// customers and products, so they can run in parallel. sharedLogs holds
// the output of all its processes.
var (
	shared     *stack.Stack
	sharedLogs = &stack.LogBuffer{}
	// stacksDir holds the folder of every stack the tests start (built
	// services, components, Redis's files), removed once they are over.
	stacksDir string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	var err error
	if stacksDir, err = os.MkdirTemp("", "saga-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(stacksDir)
	logs := sharedLogs
	s, err := startStack(logs, stack.Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "start the stack: %v\n%s", err, logs.Tail(80))
		return 1
	}
	shared = s
	code := m.Run()
	s.Stop()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "last lines of the shared stack's logs:\n%s", logs.Tail(120))
	}
	return code
}

// startStack starts a stack of its own Redis and free ports.
func startStack(logs *stack.LogBuffer, o stack.Options) (*stack.Stack, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(stacksDir, "stack-")
	if err != nil {
		return nil, err
	}
	ports, err := stack.FreePorts()
	if err != nil {
		return nil, err
	}
	redisPort, err := stack.FreePort()
	if err != nil {
		return nil, err
	}
	o.Root, o.Dir, o.Ports, o.Log = root, dir, ports, logs
	// E2E_LOG_DIR keeps each stack's whole output in a file there.
	if keep := os.Getenv("E2E_LOG_DIR"); keep != "" {
		f, err := os.CreateTemp(keep, "stack-*.log")
		if err != nil {
			return nil, err
		}
		o.Log = io.MultiWriter(logs, f)
	}
	o.RedisAddr, o.OwnRedis = fmt.Sprintf("127.0.0.1:%d", redisPort), true
	o.Env = withBulkSubscribe(o.Env, os.Getenv("E2E_BULK_SUBSCRIBE"))
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	return stack.Start(ctx, o)
}

// withBulkSubscribe adds BULK_SUBSCRIBE=n to every service's environment
// when n is set: E2E_BULK_SUBSCRIBE=64 runs the suite with the sidecars
// delivering up to 64 events per request (pubsub.Router.ReceiveInBulk).
func withBulkSubscribe(env map[string][]string, n string) map[string][]string {
	if n == "" {
		return env
	}
	out := make(map[string][]string, len(stack.Apps))
	for app, vars := range env {
		out[app] = vars
	}
	for _, app := range stack.Apps {
		out[app] = append(slices.Clip(out[app]), "BULK_SUBSCRIBE="+n)
	}
	return out
}

// ownStack starts a stack for one test and stops it at the end, printing
// its logs if the test failed.
func ownStack(t *testing.T, o stack.Options) *stack.Stack {
	t.Helper()
	logs := &stack.LogBuffer{}
	s, err := startStack(logs, o)
	if err != nil {
		t.Fatalf("start the stack: %v\n%s", err, logs.Tail(80))
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("last lines of the stack's logs:\n%s", logs.Tail(120))
		}
	})
	return s
}
