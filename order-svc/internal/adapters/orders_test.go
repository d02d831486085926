package adapters_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/order-svc/internal/adapters"
	"github.com/example/order-saga/order-svc/internal/domain/order"
	"github.com/example/order-saga/platform/statestore"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Orders as order-svc has always stored them: a canceled order, and one
// known only from a payment that came before it.
const (
	storedCanceled = `{"id":"o1","customerId":"alice","items":[{"productId":"kettle","quantity":2}],"status":"CANCELED","reason":"insufficient balance","totalCents":700,"createdAt":"2026-01-02T03:04:05Z","updatedAt":"2026-01-02T03:04:07Z","history":[{"status":"PENDING","at":"2026-01-02T03:04:05Z"},{"status":"RESERVED","at":"2026-01-02T03:04:06Z"},{"status":"CANCELED","at":"2026-01-02T03:04:07Z","reason":"insufficient balance"}],"placed":true,"steps":{"stockReserved":true,"paymentFailed":true,"failure":"insufficient balance"}}`
	storedUnplaced = `{"id":"o2","customerId":"","items":null,"status":"","totalCents":0,"createdAt":"2026-01-02T03:04:05Z","updatedAt":"2026-01-02T03:04:05Z","history":null,"placed":false,"steps":{"paymentCompleted":true}}`
)

func canceled() order.Order {
	var o order.Order
	o.Place("o1", "alice", []order.Item{{ProductID: "kettle", Quantity: 2}}, t0)
	o.Record("o1", order.Step{Kind: order.StockReserved, At: t0.Add(time.Second), TotalCents: 700})
	o.Record("o1", order.Step{Kind: order.PaymentFailed, At: t0.Add(2 * time.Second), Reason: "insufficient balance"})
	return o
}

func paidFirst(o *order.Order) (bool, error) {
	return o.Record("o2", order.Step{Kind: order.PaymentCompleted, At: t0}) == order.Changed, nil
}

func stored(t *testing.T, backend *statestore.Memory, id string) (data, etag string) {
	t.Helper()
	item, err := backend.GetState(context.Background(), contracts.OrderStore, "order-"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(item.Value), item.Etag
}

func TestOrdersAreStoredAsTheyAlwaysWere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	backend := statestore.NewMemory()
	orders := adapters.NewOrderRepository(backend, contracts.OrderStore)
	if created, err := orders.Create(ctx, canceled()); err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	if err := orders.Update(ctx, "o2", paidFirst); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"o1": storedCanceled, "o2": storedUnplaced} {
		if got, _ := stored(t, backend, id); got != want {
			t.Errorf("order %s stored as\n%s\nwant\n%s", id, got, want)
		}
	}
}

func TestOrdersStoredBeforeReadAsTheyWere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	backend := statestore.NewMemory()
	orders := adapters.NewOrderRepository(backend, contracts.OrderStore)
	var unplaced order.Order
	_, _ = paidFirst(&unplaced)
	for id, tc := range map[string]struct {
		data string
		want order.Order
	}{"o1": {storedCanceled, canceled()}, "o2": {storedUnplaced, unplaced}} {
		if err := backend.SaveStateWithETag(ctx, contracts.OrderStore, "order-"+id, []byte(tc.data), "", nil); err != nil {
			t.Fatal(err)
		}
		got, found, err := orders.Get(ctx, id)
		if err != nil || !found || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("order %s read as %+v (found %v, %v), want %+v", id, got, found, err, tc.want)
		}
	}
}

func TestAnUpdateThatChangesNothingWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	backend := statestore.NewMemory()
	orders := adapters.NewOrderRepository(backend, contracts.OrderStore)
	if _, err := orders.Create(ctx, canceled()); err != nil {
		t.Fatal(err)
	}
	data, etag := stored(t, backend, "o1")
	refused := errors.New("refused")
	cases := []struct {
		name string
		fn   func(o *order.Order) (bool, error)
		err  error
	}{
		{"unchanged", func(o *order.Order) (bool, error) { o.Reason = "not kept"; return false, nil }, nil},
		{"refused", func(o *order.Order) (bool, error) { return false, refused }, refused},
	}
	for _, tc := range cases {
		if err := orders.Update(ctx, "o1", tc.fn); !errors.Is(err, tc.err) {
			t.Fatalf("%s: err %v, want %v", tc.name, err, tc.err)
		}
		if gotData, gotEtag := stored(t, backend, "o1"); gotData != data || gotEtag != etag {
			t.Fatalf("%s: the order was written again (etag %s, was %s)", tc.name, gotEtag, etag)
		}
	}
}
