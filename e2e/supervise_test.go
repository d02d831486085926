package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// TestSupervisedProcessesComeBackAfterAKill kills -9 a service, a sidecar
// and Redis of a supervised stack, as a crash or the OOM killer would:
// each is started again within the backoff, the saga goes on, and what
// Redis acknowledged before its death is still there after.
func TestSupervisedProcessesComeBackAfterAKill(t *testing.T) {
	s := ownStack(t, stack.Options{Supervise: true, Persist: true})
	logs := s.Opts.Log.(*stack.LogBuffer)
	a := newAPI(t, s)
	p, c := "p-"+uid(), "c-"+uid()
	a.putProduct(p, 100, 1_000)
	a.putWallet(c, 1_000_000)
	confirmedOrder := func(t *testing.T) orderView {
		t.Helper()
		b := newAPI(t, s)
		o := b.finalOrder(b.placeOrder(c, item{ProductID: p, Quantity: 1}).ID)
		if o.Status != "CONFIRMED" {
			t.Fatalf("order %+v, want CONFIRMED", o)
		}
		return o
	}
	before := confirmedOrder(t)
	// Every process the stack ever ran, to check that Stop leaves none.
	var everyPid []int
	for _, pid := range s.Pids() {
		everyPid = append(everyPid, pid)
	}

	for _, tc := range []struct {
		name   string
		victim string // as Pids names it
		inst   string // the instance it serves; "" for all of them
	}{
		{"a service comes back", contracts.AppOrder, contracts.AppOrder},
		{"a sidecar comes back", contracts.AppPayment + "/dapr", contracts.AppPayment},
		{"Redis comes back with what it acknowledged", "redis", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			everyPid = append(everyPid, sigkillAndAwaitRestart(t, s, tc.victim))
			if tc.victim == "redis" {
				eventually(t, 10*time.Second, func() error { return stack.Ping(context.Background(), s.Redis.Addr, s.Redis.Password) }, "Redis to answer")
			}
			awaitReadyAgain(t, s, tc.inst)

			if n := s.Restarts()[tc.victim]; n != 1 {
				t.Errorf("Restarts() counts %d for %s, want 1 (all: %v)", n, tc.victim, s.Restarts())
			}
			if lines := logs.Lines("supervisor  | "+tc.victim+" exited (signal: killed) after ", "; restart 1 in 1s"); len(lines) != 1 {
				t.Errorf("want one supervisor line for the restart of %s, got %q", tc.victim, logs.Lines("supervisor  | "))
			}
			confirmedOrder(t)
			if o, code := a.order(before.ID); code != http.StatusOK || o.Status != "CONFIRMED" {
				t.Errorf("the order confirmed first reads %d %+v, want it CONFIRMED still", code, o)
			}
		})
	}

	t.Run("a process killed twice in a row waits 2 s before its second restart", func(t *testing.T) {
		inst := contracts.AppStock
		everyPid = append(everyPid, sigkillAndAwaitRestart(t, s, inst))
		awaitReadyAgain(t, s, inst)

		killed := time.Now()
		everyPid = append(everyPid, sigkillAndAwaitRestart(t, s, inst))
		if took := time.Since(killed); took < 2*time.Second {
			t.Errorf("the second restart came %s after the kill, want 2s or more", took)
		}
		if lines := logs.Lines("supervisor  | "+inst+" exited (signal: killed) after ", "; restart 2 in 2s"); len(lines) != 1 {
			t.Errorf("want one supervisor line for the second restart, got %q", logs.Lines("supervisor  | "))
		}
		if n := s.Restarts()[inst]; n != 2 {
			t.Errorf("Restarts() counts %d for %s, want 2", n, inst)
		}
		awaitReadyAgain(t, s, inst)
	})

	s.Stop()
	for _, pid := range everyPid {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d is still there after Stop (%v)", pid, err)
		}
	}
}

// TestTheSagaGoesOnWhenRabbitMQRestarts restarts the broker between two
// orders: the sidecars reconnect, and the durable queues are still there.
func TestTheSagaGoesOnWhenRabbitMQRestarts(t *testing.T) {
	o := startBroker(t, "rabbitmq")
	s := ownStack(t, o)
	a := newAPI(t, s)
	p, c := "p-"+uid(), "c-"+uid()
	a.putProduct(p, 100, 10)
	a.putWallet(c, 10_000)
	first := a.finalOrder(a.placeOrder(c, item{ProductID: p, Quantity: 1}).ID)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := o.RestartBroker(ctx); err != nil {
		t.Fatal(err)
	}
	// Until its sidecar has reconnected, order-svc may refuse the order;
	// the key makes the retries one order.
	second := a.finalOrder(placeOrderUntilAccepted(t, s, "key-"+uid(), c, item{ProductID: p, Quantity: 1}))

	for _, order := range []orderView{first, second} {
		if order.Status != "CONFIRMED" {
			t.Errorf("order %+v, want CONFIRMED", order)
		}
	}
	eventually(t, 10*time.Second, func() error { return expectSold(a.product(p), 8, 0, 2) }, "stock taken once per order")
}

// sigkillAndAwaitRestart kills a process of the stack with SIGKILL and waits
// until the supervisor has started it again; it returns the new pid.
func sigkillAndAwaitRestart(t *testing.T, s *stack.Stack, name string) int {
	t.Helper()
	old, ok := s.Pids()[name]
	if !ok {
		t.Fatalf("no process %s in %v", name, s.Pids())
	}
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var pid int
	eventually(t, 20*time.Second, func() error {
		if pid = s.Pids()[name]; pid == old {
			return fmt.Errorf("still process %d", pid)
		}
		return nil
	}, "%s to be started again", name)
	return pid
}

// awaitReadyAgain waits until an instance, or every one when inst is "", is
// ready.
func awaitReadyAgain(t *testing.T, s *stack.Stack, inst string) {
	t.Helper()
	insts := []string{inst}
	if inst == "" {
		insts = s.Instances
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.WaitReady(ctx, insts...); err != nil {
		t.Fatal(err)
	}
}

// placeOrderUntilAccepted posts an order under an idempotency key until
// it is accepted, and returns its id.
func placeOrderUntilAccepted(t *testing.T, s *stack.Stack, key, customer string, items ...item) string {
	t.Helper()
	var id string
	body := map[string]any{"customerId": customer, "items": items}
	eventually(t, 30*time.Second, func() error {
		r, err := tryDo(http.MethodPost, s.URL(contracts.AppOrder)+"/orders", body, map[string]string{"Idempotency-Key": key})
		if err != nil {
			return err
		}
		if r.Status != http.StatusAccepted {
			return fmt.Errorf("answered %d %s", r.Status, r.Body)
		}
		id = decodeInto[orderView](t, r).ID
		return nil
	}, "order-svc to accept the order")
	return id
}
