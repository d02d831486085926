package app_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/reminders"
	"github.com/example/order-saga/stock-svc/internal/app"
)

func TestUnitsHeldWithNoWordOfThePaymentAreAnnouncedAgainUntilSettled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pub := &recordingPublisher{}
	c := &clock{now: decidedAt}
	r, backend := seeded(t, pub, withClock(c))
	stock := r.stock
	follow := app.FollowHoldsHandler{Stock: stock, Again: 2 * time.Second, MaxAgain: 4 * time.Second}
	followups := reminders.New(backend, contracts.StockStore, "holds", follow.Handle, c.Now, slog.New(slog.DiscardHandler))
	stock.Followups, stock.FollowAfter = followups, 10*time.Second
	reserve, settle := app.ReserveStockHandler{Stock: stock}, app.SettleStockHandler{Stock: stock}
	sweep := func(after time.Duration) []string {
		t.Helper()
		from := pub.count()
		c.advance(after)
		if _, err := followups.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		return pub.ids(from)
	}
	sweep(0) // the cursor starts here
	must(t, reserve.Handle(ctx, order("o1", grinders(2))))
	must(t, reserve.Handle(ctx, order("o2", grinders(3))))
	must(t, settle.Handle(ctx, paid("o2")))
	if got := sweep(5 * time.Second); len(got) != 0 {
		t.Fatalf("announced %v before the first look", got)
	}
	again := []string{contracts.EventID("o1", contracts.TypeStockReserved)}
	if got := sweep(10 * time.Second); !slices.Equal(got, again) {
		t.Fatalf("announced %v at the first look, want o1's reservation alone", got)
	}
	if got := sweep(5 * time.Second); !slices.Equal(got, again) {
		t.Fatalf("announced %v at the second look, want o1's reservation again", got)
	}
	must(t, settle.Handle(ctx, unpaid("o1")))
	for range 3 {
		if got := sweep(10 * time.Second); len(got) != 0 {
			t.Fatalf("announced %v after o1 was settled", got)
		}
	}
	if got := r.stockOf(t, "grinder"); got != [3]int{17, 0, 3} {
		t.Fatalf("grinder %v, want o2's 3 sold and o1's back", got)
	}
}
