package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// deliverToBoth hands every order to two replicas at the same moment, as
// when a message is redelivered while its first delivery is still handled.
func deliverToBoth(t *testing.T, replicas [2]replica, orders []contracts.OrderCreated) {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, o := range orders {
		for _, r := range replicas {
			wg.Go(func() {
				<-start
				if err := r.app.ReserveStock(context.Background(), o); err != nil {
					t.Error(err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
}

func TestTwoReplicasHandlingTheSameOrderAtOnceReserveItOnce(t *testing.T) {
	t.Parallel()
	pub := &recordingPublisher{}
	first, backend := seeded(t, pub)
	replicas := [2]replica{first, newReplica(t, backend, pub)}
	var orders []contracts.OrderCreated
	for i := range 30 {
		orders = append(orders, orderCreated(fmt.Sprintf("o%d", i), contracts.Item{ProductID: "beans", Quantity: 3}))
	}

	deliverToBoth(t, replicas, orders)

	if got, want := first.stockOf(t, "beans"), [2]int{500 - 90, 90}; got != want {
		t.Fatalf("beans available, reserved = %v, want %v", got, want)
	}
	ids := map[string]int{}
	for _, id := range pub.ids(0) {
		ids[id]++
	}
	for _, o := range orders {
		if n := ids[o.OrderID+".StockReserved"]; n != 2 {
			t.Errorf("%s announced %d times, want twice with one id", o.OrderID, n)
		}
	}
	const series = `saga_stock_reservations_total{outcome="reserved"}`
	if got := replicas[0].metric(t, series) + replicas[1].metric(t, series); got != 30 {
		t.Errorf("counted %v reservations, want 30", got)
	}
}

func TestConcurrentOrdersForScarceStockReserveExactlyTheAvailableUnits(t *testing.T) {
	t.Parallel()
	pub := &recordingPublisher{}
	first, backend := seeded(t, pub)
	replicas := [2]replica{first, newReplica(t, backend, pub)}
	var orders []contracts.OrderCreated
	for i := range 60 {
		orders = append(orders, orderCreated(fmt.Sprintf("o%d", i), grinders(1)))
	}

	deliverToBoth(t, replicas, orders)

	if got, want := first.stockOf(t, "grinder"), [2]int{0, 20}; got != want {
		t.Fatalf("grinder available, reserved = %v, want %v", got, want)
	}
	statuses := map[inventory.Status]int{}
	for _, o := range orders {
		statuses[first.statusOf(t, o.OrderID)]++
	}
	if statuses[inventory.StatusReserved] != 20 || statuses[inventory.StatusFailed] != 40 {
		t.Fatalf("records %v, want 20 reserved and 40 failed", statuses)
	}
	c, _, err := first.catalog.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Holds()); n != 20 {
		t.Fatalf("the catalog keeps %d holds, want the 20 reservations", n)
	}
}
