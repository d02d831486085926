package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// TestTheLoadGeneratorAccountsForEveryOrderOfAShortLoad runs the load
// generator as a user would, once per kind of arrival, and reads its
// results file: every order sent is accepted and seen final, and the fail
// shares cancel some. The stack is its own, with quiet logs, because the
// load's backlog would slow the tests that share one.
func TestTheLoadGeneratorAccountsForEveryOrderOfAShortLoad(t *testing.T) {
	s := ownStack(t, stack.Options{LogLevel: "warn", DaprLog: "error"})
	loadgen := buildLoadgen(t)
	cases := []struct {
		name string
		load []string
	}{
		{"four customers ordering back to back", []string{"-mode", "closed", "-concurrency", "4"}},
		{"fifty orders a second whatever the answers", []string{"-mode", "open", "-rate", "50", "-customers", "8"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "results.json")
			args := append([]string{
				"-url", s.URL(contracts.AppOrder), "-stock-url", s.URL(contracts.AppStock), "-payment-url", s.URL(contracts.AppPayment),
				"-duration", "2s", "-fail-stock", "0.1", "-fail-payment", "0.1", "-run-id", "t" + uid(), "-quiet", "-out", out,
			}, tc.load...)

			res := runLoadgen(t, loadgen, args, out, "ADMIN_TOKEN="+s.Tokens.Admin)

			expectEveryOrderAccountedFor(t, res)
		})
	}
}

// loadResult is what the load generator's results file says of its run.
type loadResult struct {
	Sent         int64             `json:"sent"`
	Accepted     int64             `json:"accepted"`
	Finished     int64             `json:"finished"`
	TimedOut     int64             `json:"timedOut"`
	Pending      int64             `json:"pending"`
	ByStatus     map[string]int64  `json:"byStatus"`
	Errors       map[string]int64  `json:"errors"`
	ErrorSamples map[string]string `json:"errorSamples"`
	Mismatches   map[string]int64  `json:"mismatches"`
	Accept       struct {
		Count int64 `json:"count"`
	} `json:"acceptLatency"`
	Final struct {
		Count int64 `json:"count"`
	} `json:"finalLatency"`
}

// buildLoadgen builds the load generator's command into a folder of the
// test.
func buildLoadgen(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "loadgen")
	cmd := exec.Command("go", "build", "-o", bin, "./loadgen/cmd/loadgen")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the load generator: %v\n%s", err, b)
	}
	return bin
}

// runLoadgen runs the load generator with args, which write its results
// to out, and env, and returns the results; its table goes to the test's
// log.
func runLoadgen(t *testing.T, bin string, args []string, out string, env ...string) loadResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Run(); err != nil {
		t.Fatalf("loadgen %q: %v\n%s%s", args, err, stdout.String(), stderr.String())
	}
	t.Log(stdout.String())
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Result loadResult `json:"result"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	return doc.Result
}

func expectEveryOrderAccountedFor(t *testing.T, res loadResult) {
	t.Helper()
	byStatus := res.ByStatus["CONFIRMED"] + res.ByStatus["CANCELED"]
	switch {
	case res.Sent == 0:
		t.Fatal("no order was sent")
	case res.Sent != res.Accepted || res.Accepted != res.Finished:
		t.Errorf("sent %d, accepted %d, finished %d: want all equal", res.Sent, res.Accepted, res.Finished)
	case byStatus != res.Finished || len(res.ByStatus) > 2:
		t.Errorf("by status %v does not add up to %d finished", res.ByStatus, res.Finished)
	}
	if len(res.Errors) > 0 || res.Pending > 0 || res.TimedOut > 0 {
		t.Errorf("errors %v (%v), pending %d, timed out %d: want none", res.Errors, res.ErrorSamples, res.Pending, res.TimedOut)
	}
	if len(res.Mismatches) > 0 {
		t.Errorf("orders that ended otherwise than built to: %v", res.Mismatches)
	}
	if res.ByStatus["CANCELED"] == 0 || res.ByStatus["CONFIRMED"] == 0 {
		t.Errorf("by status %v: the fail shares should cancel some orders and confirm the rest", res.ByStatus)
	}
	if got := res.Accept.Count; got != res.Accepted {
		t.Errorf("%d accept latencies for %d accepted orders", got, res.Accepted)
	}
	if got := res.Final.Count; got != res.Finished {
		t.Errorf("%d final latencies for %d finished orders", got, res.Finished)
	}
}
