package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
	"github.com/example/order-saga/platform/faults"
)

// TestNoEventIsLostWhenAServiceDiesMidWay crashes each service at the
// point where it has written its state but not yet published, and shows
// that the saga still ends as it should, with every effect applied once.
func TestNoEventIsLostWhenAServiceDiesMidWay(t *testing.T) {
	s := ownStack(t, stack.Options{})

	// A service that dies between two of its steps: its redelivered event
	// must finish the saga, and charge and take stock once. Each order is
	// for 2 units of each of two products at 300 cents, from a wallet of
	// 5000.
	for _, tc := range []struct {
		name, inst, point string
	}{
		{"stock-svc dies after holding one product of two, before the other", contracts.AppStock, contracts.FaultStockMidReservation},
		{"stock-svc dies after reserving, before publishing", contracts.AppStock, contracts.FaultStockBeforePublish},
		{"stock-svc dies after recording the sale, before the products follow", contracts.AppStock, contracts.FaultStockBeforeSettling},
		{"payment-svc dies after charging, before publishing", contracts.AppPayment, contracts.FaultPaymentBeforePublish},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAPI(t, s)
			p, q, c := "p-"+uid(), "q-"+uid(), "c-"+uid()
			a.putProduct(p, 300, 10)
			a.putProduct(q, 300, 10)
			a.putWallet(c, 5_000)
			restart(t, s, tc.inst, "SAGA_CRASH_AT="+tc.point)

			id := a.placeOrder(c, item{ProductID: p, Quantity: 2}, item{ProductID: q, Quantity: 2}).ID
			expectCrash(t, s, tc.inst)
			restart(t, s, tc.inst)

			if o := a.finalOrder(id); o.Status != "CONFIRMED" || o.TotalCents != 1_200 {
				t.Fatalf("order %+v, want CONFIRMED for 1200", o)
			}
			for _, id := range []string{p, q} {
				eventually(t, 10*time.Second, func() error { return expectSold(a.product(id), 8, 0, 2) }, "stock taken once")
			}
			if w := a.wallet(c); w.BalanceCents != 5_000-1_200 {
				t.Fatalf("balance %d, want %d: charged other than once", w.BalanceCents, 5_000-1_200)
			}
		})
	}

	t.Run("order-svc dies after publishing, before storing the order", func(t *testing.T) {
		a := newAPI(t, s)
		p, c, key := "p-"+uid(), "c-"+uid(), "key-"+uid()
		a.putProduct(p, 100, 10)
		restart(t, s, contracts.AppOrder, "SAGA_CRASH_AT="+contracts.FaultOrderBeforePersist)

		body := map[string]any{"customerId": c, "items": []item{{ProductID: p, Quantity: 1}}}
		if r, err := tryDo(http.MethodPost, s.URL(contracts.AppOrder)+"/orders", body, map[string]string{"Idempotency-Key": key}); err == nil {
			t.Fatalf("the request was answered (%d %s) though order-svc should have died", r.Status, r.Body)
		}
		expectCrash(t, s, contracts.AppOrder)
		restart(t, s, contracts.AppOrder)

		// Nobody retries: stock-svc's answer to the event published before
		// dying tells what the order is for, and order-svc stores it.
		id := publishedOrderID(t, s, c)
		if o := a.finalOrder(id); o.Status != "CONFIRMED" || o.CustomerID != c {
			t.Fatalf("order %+v, want CONFIRMED for %s", o, c)
		}
		eventually(t, 10*time.Second, func() error { return expectProduct(a.product(p), 9, 0) }, "stock taken once")

		// A client retrying with its key gets that same order back.
		r := a.do(http.MethodPost, s.URL(contracts.AppOrder)+"/orders", body, map[string]string{"Idempotency-Key": key})
		if r.Status != http.StatusAccepted || decodeInto[orderView](t, r).ID != id {
			t.Fatalf("retry answered %d %s, want 202 with order %s", r.Status, r.Body, id)
		}
	})
}

// restart stops a service instance and starts it again with env, leaving
// its sidecar running, and waits until it is ready.
func restart(t *testing.T, s *stack.Stack, inst string, env ...string) {
	t.Helper()
	if p := s.App(inst); !p.Exited() {
		p.Stop(10 * time.Second)
	}
	if err := s.StartApp(inst, env...); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.WaitReady(ctx, inst); err != nil {
		t.Fatal(err)
	}
}

// expectCrash waits for a deliberate crash of a service instance.
func expectCrash(t *testing.T, s *stack.Stack, inst string) {
	t.Helper()
	select {
	case <-s.App(inst).Done():
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not crash at the fault point", inst)
	}
	if code := s.App(inst).ExitCode(); code != faults.CrashExitCode {
		t.Fatalf("%s exited with %d, want the crash code %d", inst, code, faults.CrashExitCode)
	}
}

// publishedOrderID finds on the orders topic the order a customer placed.
func publishedOrderID(t *testing.T, s *stack.Stack, customer string) string {
	t.Helper()
	return onStream(t, s, contracts.TopicOrders, "the OrderCreated of "+customer, func(e streamEvent) bool {
		var ce struct {
			Data contracts.OrderCreated `json:"data"`
		}
		return json.Unmarshal([]byte(e.Raw), &ce) == nil && ce.Data.CustomerID == customer
	}).OrderID
}
