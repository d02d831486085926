package frame

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestWaitForReturnsOnceEveryAddressAcceptsAConnection(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var log bytes.Buffer
	if err := WaitFor(context.Background(), []string{l.Addr().String()}, 5*time.Second, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "answers") {
		t.Errorf("log = %q, want a line saying the address answers", log.String())
	}
}

func TestWaitForKeepsTryingUntilTheAddressAnswers(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	done := make(chan error, 1)
	go func() { done <- WaitFor(context.Background(), []string{addr}, 20*time.Second, &bytes.Buffer{}) }()
	select {
	case err := <-done:
		t.Fatalf("WaitFor returned %v while nothing listened", err)
	case <-time.After(700 * time.Millisecond): // several attempts have failed by now
	}
	l2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestWaitForFailsAfterItsTimeoutAndOnBadInput(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for name, addrs := range map[string][]string{
		"an address nothing listens on": {addr},
		"no address":                    nil,
		"an address without a port":     {"redis"},
	} {
		if err := WaitFor(context.Background(), addrs, 600*time.Millisecond, &bytes.Buffer{}); err == nil {
			t.Errorf("%s: WaitFor = nil, want an error", name)
		}
	}
}
