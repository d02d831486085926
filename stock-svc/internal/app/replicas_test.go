package app_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/example/order-saga/stock-svc/internal/app"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// A replica keeps a copy of each product it wrote last, to spare a read
// before its next write. Another replica may have written since: a
// decision to do nothing ("no hold to sell") must rest on what the store
// holds, not on that copy.
func TestAReplicaWithAStaleCopySettlesWhatAnotherReplicaReserved(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		outcome app.SettleStock
		want    [3]int
	}{
		{"the units of a paid order are sold", paid("o2"), [3]int{15, 2, 3}},
		{"the units of an unpaid order go back", unpaid("o2"), [3]int{18, 2, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pub := &recordingPublisher{}
			a, backend := seeded(t, pub)
			b := newReplica(t, backend, pub)
			must(t, a.reserve.Handle(context.Background(), order("o1", grinders(2)))) // a now has a copy of the grinder
			must(t, b.reserve.Handle(context.Background(), order("o2", grinders(3)))) // which b changes behind a's back
			must(t, a.settle.Handle(context.Background(), tc.outcome))
			if got := a.stockOf(t, "grinder"); got != tc.want {
				t.Fatalf("grinder %v, want %v: units of o2 stranded", got, tc.want)
			}
		})
	}
}

// No memory of settled orders, in time or in count, decides whether a late
// duplicate takes units: the order's record does, however late it comes.
func TestADuplicateAnHourAfterTheOrderWasSettledMovesNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		settle  func(t *testing.T, r replica)
		wantIDs []string
	}{
		{"a sold order", func(t *testing.T, r replica) {
			must(t, r.reserve.Handle(context.Background(), order("o1", grinders(2), beans(1))))
			must(t, r.settle.Handle(context.Background(), paid("o1")))
		}, []string{"o1.StockReserved"}},
		{"a released order", func(t *testing.T, r replica) {
			must(t, r.reserve.Handle(context.Background(), order("o1", grinders(2), beans(1))))
			must(t, r.settle.Handle(context.Background(), unpaid("o1")))
		}, []string{"o1.StockReserved"}},
		{"a refused order, though stock came in since", func(t *testing.T, r replica) {
			must(t, r.reserve.Handle(context.Background(), order("o1", grinders(21), beans(1))))
			_, err := r.put.Handle(context.Background(), product("grinder", "Burr grinder", 8900, 50))
			must(t, err)
		}, []string{"o1.StockFailed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pub := &recordingPublisher{}
			c := &clock{now: decidedAt}
			r, backend := seeded(t, pub, withClock(c))
			tc.settle(t, r)
			before := map[string][3]int{"grinder": r.stockOf(t, "grinder"), "beans": r.stockOf(t, "beans")}
			rec, _, err := r.stock.Reservations.Get(context.Background(), "o1")
			must(t, err)

			c.advance(time.Hour)
			from := pub.count()
			late := newReplica(t, backend, pub, withClock(c))
			for _, h := range []app.ReserveStockHandler{r.reserve, late.reserve} {
				must(t, h.Handle(context.Background(), order("o1", grinders(2), beans(1))))
			}
			must(t, late.settle.Handle(context.Background(), paid("o1")))
			for id, want := range before {
				if got := r.stockOf(t, id); got != want {
					t.Errorf("%s went from %v to %v", id, want, got)
				}
			}
			again, _, err := r.stock.Reservations.Get(context.Background(), "o1")
			must(t, err)
			if !reflect.DeepEqual(again, rec) {
				t.Fatalf("record went from %+v to %+v", rec, again)
			}
			if got, want := pub.ids(from), slices.Concat(tc.wantIDs, tc.wantIDs); !slices.Equal(got, want) {
				t.Fatalf("published %v, want the decision again, %v", got, want)
			}
		})
	}
}

// gatedProducts holds the first product write of a replica until the test
// opens the gate, as a handler paused between reading the order's record
// and holding its units would.
type gatedProducts struct {
	app.Products
	arrived chan struct{}
	gate    chan struct{}
	once    *sync.Once
}

func (g gatedProducts) Update(ctx context.Context, id string, fn func(*inventory.Product, bool) (bool, error)) (inventory.Product, error) {
	g.once.Do(func() {
		close(g.arrived)
		<-g.gate
	})
	return g.Products.Update(ctx, id, fn)
}

func TestAHandlerPausedPastTheSaleGivesBackWhatItTook(t *testing.T) {
	t.Parallel()
	pub := &recordingPublisher{}
	fast, backend := seeded(t, pub)
	gate := gatedProducts{arrived: make(chan struct{}), gate: make(chan struct{}), once: &sync.Once{}}
	slow := newReplica(t, backend, pub, func(s *app.Stock) { gate.Products = s.Products; s.Products = gate })

	done := make(chan error, 1)
	go func() { done <- slow.reserve.Handle(context.Background(), order("o1", grinders(2), beans(1))) }()
	<-gate.arrived // slow read the intent, and pauses before holding anything
	must(t, fast.reserve.Handle(context.Background(), order("o1", grinders(2), beans(1))))
	must(t, fast.settle.Handle(context.Background(), paid("o1")))
	close(gate.gate)
	must(t, <-done)

	if g, b := fast.stockOf(t, "grinder"), fast.stockOf(t, "beans"); g != [3]int{18, 0, 2} || b != [3]int{499, 0, 1} {
		t.Fatalf("grinder %v beans %v, want [18 0 2] and [499 0 1]: the late handler kept what it took", g, b)
	}
	if got := pub.ids(0); !slices.Equal(got, []string{"o1.StockReserved", "o1.StockReserved"}) {
		t.Fatalf("published %v", got)
	}
}

// Thousands of orders, several products each, scarce products among them,
// handled by three replicas, one in ten delivered twice at once, their
// payments too, in every interleaving the scheduler finds: at the end every
// unit is where the records say, none held, none lost, none invented.
func TestThreeReplicasConserveEveryUnitOverThousandsOfOrders(t *testing.T) {
	t.Parallel()
	pub := &recordingPublisher{}
	first, backend := seeded(t, pub)
	replicas := []replica{first, newReplica(t, backend, pub), newReplica(t, backend, pub)}
	initial := map[string]int{"grinder": 20, "beans": 500, "kettle": 40, "cup": 60, "filter": 10_000, "scale": 30}
	for id, n := range initial {
		_, err := first.put.Handle(context.Background(), product(id, id, 100, n))
		must(t, err)
	}
	ids := slices.Sorted(maps.Keys(initial))

	const orders = 3000
	rng := rand.New(rand.NewPCG(1, 2))
	type plan struct {
		cmd         app.ReserveStock
		twice, pays bool
		via         [2]int
	}
	plans := make([]plan, orders)
	for i := range plans {
		var lines []inventory.Line
		for _, k := range rng.Perm(len(ids))[:1+rng.IntN(3)] {
			lines = append(lines, inventory.Line{ProductID: ids[k], Quantity: 1 + rng.IntN(3)})
		}
		plans[i] = plan{order(fmt.Sprintf("o%d", i), lines...), rng.IntN(10) == 0, rng.IntN(5) != 0, [2]int{rng.IntN(3), rng.IntN(3)}}
	}

	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for _, p := range plans {
		deliveries := 1
		if p.twice {
			deliveries = 2
		}
		for d := range deliveries {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				r := replicas[p.via[d]]
				if err := r.reserve.Handle(context.Background(), p.cmd); err != nil {
					t.Error(err)
					return
				}
				if r.statusOf(t, p.cmd.OrderID) == inventory.StatusFailed {
					return
				}
				outcome := unpaid(p.cmd.OrderID)
				if p.pays {
					outcome = paid(p.cmd.OrderID)
				}
				if err := replicas[p.via[1-d]].settle.Handle(context.Background(), outcome); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()

	sold := map[string]int{}
	statuses := map[inventory.Status]int{}
	for _, p := range plans {
		rec, _, err := first.stock.Reservations.Get(context.Background(), p.cmd.OrderID)
		must(t, err)
		statuses[rec.Status]++
		if rec.Status == inventory.StatusSold {
			for _, w := range rec.Wanted() {
				sold[w.ProductID] += w.Quantity
			}
		}
	}
	t.Logf("%d orders: %v; units sold %v", orders, statuses, sold)
	if statuses[inventory.StatusSold] == 0 || statuses[inventory.StatusReleased] == 0 || statuses[inventory.StatusFailed] == 0 {
		t.Fatalf("statuses %v: the run did not sell, release and refuse", statuses)
	}
	if n := statuses[inventory.StatusReserving] + statuses[inventory.StatusReserved]; n != 0 {
		t.Fatalf("%d orders left undecided or unsettled", n)
	}
	for _, id := range ids {
		p, _, err := first.stock.Products.Get(context.Background(), id)
		must(t, err)
		if p.Reserved != 0 || len(p.Holds) != 0 || p.Available+p.Sold != initial[id] || p.Sold != sold[id] {
			t.Errorf("%s: available %d reserved %d sold %d (holds %d), want available+sold = %d and sold = %d",
				id, p.Available, p.Reserved, p.Sold, len(p.Holds), initial[id], sold[id])
		}
	}
	decided := 0.0
	for _, r := range replicas {
		decided += r.metric(t, `saga_stock_reservations_total{outcome="reserved"}`) + r.metric(t, `saga_stock_reservations_total{outcome="failed"}`)
	}
	if decided != orders {
		t.Fatalf("%v decisions counted over the replicas, want %d", decided, orders)
	}
}
