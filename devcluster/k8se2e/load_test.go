package k8se2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The load that runs while pods are deleted and Deployments restarted:
// orders placed at a steady rate through the port-forward, as a client
// that retries a failed POST with the same Idempotency-Key would.
const (
	loadRate          = 20 // orders a second
	loadMinOrders     = 300
	loadWarmup        = 40 // orders under way before the first disruption
	loadMaxOrders     = 3000
	plentifulProducts = 8
	plentifulUnits    = 50_000
	loadCustomers     = 40
	richCents         = 50_000_000
	scarceLineChance  = 0.15 // of each line being for a scarce product
	repeatChance      = 0.10 // of an order being posted once more after its 202
)

// scarceUnits are the stocks of the scarce products: far fewer than are
// asked for, so that orders are canceled for stock.
var scarceUnits = []int{15, 25, 40}

// shop is the catalog and the wallets of one load, as they were set up.
type shop struct {
	prices    map[string]int64
	initial   map[string]int // units of each product at first
	plentiful []string
	scarce    []string
	wallets   map[string]int64 // cents of each customer at first
	customers []string
}

// openShop puts the products in stock and fills the wallets: one
// customer in four has only enough for an order or two.
func openShop(t *testing.T, a *api, rng *rand.Rand) *shop {
	t.Helper()
	sh := &shop{prices: map[string]int64{}, initial: map[string]int{}, wallets: map[string]int64{}}
	stock := func(units int) string {
		id := "p-" + uid()
		price := int64(100 + rng.IntN(1_400))
		a.putProduct(t, id, price, units)
		sh.prices[id], sh.initial[id] = price, units
		return id
	}
	for range plentifulProducts {
		sh.plentiful = append(sh.plentiful, stock(plentifulUnits))
	}
	for _, n := range scarceUnits {
		sh.scarce = append(sh.scarce, stock(n))
	}
	for i := range loadCustomers {
		c := fmt.Sprintf("c-%s-%d", uid(), i)
		cents := int64(richCents)
		if i%4 == 0 {
			cents = int64(2_000 + rng.IntN(4_000))
		}
		a.putWallet(t, c, cents)
		sh.wallets[c] = cents
		sh.customers = append(sh.customers, c)
	}
	return sh
}

// plannedOrder is one order of the load.
type plannedOrder struct {
	key      string
	customer string
	items    []item
	repeat   bool // posted once more after its 202, which must name the same order
}

// plan draws an order of 1 to 3 distinct products, 1 to 3 units each.
func (sh *shop) plan(rng *rand.Rand) plannedOrder {
	var items []item
	for lines := 1 + rng.IntN(3); len(items) < lines; {
		pool := sh.plentiful
		if rng.Float64() < scarceLineChance {
			pool = sh.scarce
		}
		p := pool[rng.IntN(len(pool))]
		if !slices.ContainsFunc(items, func(it item) bool { return it.ProductID == p }) {
			items = append(items, item{ProductID: p, Quantity: 1 + rng.IntN(3)})
		}
	}
	return plannedOrder{
		key:      "k8se2e-load-" + uid(),
		customer: sh.customers[rng.IntN(len(sh.customers))],
		items:    items,
		repeat:   rng.Float64() < repeatChance,
	}
}

func (sh *shop) totalOf(items []item) int64 {
	var total int64
	for _, it := range items {
		total += sh.prices[it.ProductID] * int64(it.Quantity)
	}
	return total
}

// placed is what became of one planned order.
type placed struct {
	plan     plannedOrder
	id       string
	attempts int // POSTs until the 202
	err      error
}

// load places orders at loadRate until done is closed and at least
// loadMinOrders are placed, and returns when every POST has ended. It
// closes warm once loadWarmup orders are under way.
func load(ctx context.Context, a *api, sh *shop, rng *rand.Rand, warm chan<- struct{}, done <-chan struct{}) []*placed {
	var (
		out   []*placed
		wg    sync.WaitGroup
		ended bool
	)
	tick := time.NewTicker(time.Second / loadRate)
	defer tick.Stop()
	for len(out) < loadMaxOrders {
		select {
		case <-done:
			ended = true
		default:
		}
		if ended && len(out) >= loadMinOrders {
			break
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
		if ctx.Err() != nil {
			break
		}
		p := &placed{plan: sh.plan(rng)}
		if out = append(out, p); len(out) == loadWarmup {
			close(warm)
		}
		wg.Go(func() { a.place(ctx, p) })
	}
	wg.Wait()
	return out
}

// place posts the order, retrying with the same key while the answer is
// retryable; when planned, it posts it again and expects the same order;
// then it reads the order at once: an order that was answered 202 is
// never unknown.
func (a *api) place(ctx context.Context, p *placed) {
	body := map[string]any{"customerId": p.plan.customer, "items": p.plan.items}
	header := map[string]string{"Idempotency-Key": p.plan.key}
	post := func() (orderView, http.Header, int, error) {
		r, attempts, err := a.callUntil(ctx, 2*time.Minute, http.MethodPost, serviceURL(orderSvc)+"/orders", body, header)
		if err != nil {
			return orderView{}, nil, attempts, err
		}
		if r.status != http.StatusAccepted {
			return orderView{}, nil, attempts, fmt.Errorf("POST /orders: %d %s", r.status, bytes.TrimSpace(r.body))
		}
		var o orderView
		if err := json.Unmarshal(r.body, &o); err != nil || o.ID == "" {
			return o, nil, attempts, fmt.Errorf("POST /orders answered %s: %v", r.body, err)
		}
		return o, r.header, attempts, nil
	}
	o, _, attempts, err := post()
	p.attempts = attempts
	if err != nil {
		p.err = err
		return
	}
	p.id = o.ID
	if p.plan.repeat {
		again, header, _, err := post()
		switch {
		case err != nil:
			p.err = fmt.Errorf("the same order posted again: %w", err)
			return
		case again.ID != p.id:
			p.err = fmt.Errorf("the same Idempotency-Key placed order %s, then %s", p.id, again.ID)
			return
		case header.Get("Idempotent-Replayed") != "true":
			p.err = fmt.Errorf("order %s posted again was not answered as a replay (Idempotent-Replayed %q)", p.id, header.Get("Idempotent-Replayed"))
			return
		}
	}
	r, _, err := a.callUntil(ctx, 2*time.Minute, http.MethodGet, serviceURL(orderSvc)+"/orders/"+p.id, nil, nil)
	switch {
	case err != nil:
		p.err = err
	case r.status == http.StatusNotFound:
		p.err = fmt.Errorf("order %s, read at once: %w", p.id, errLost)
	case r.status != http.StatusOK:
		p.err = fmt.Errorf("GET /orders/%s: %d %s", p.id, r.status, bytes.TrimSpace(r.body))
	}
}

// tally is what a load came to.
type tally struct {
	orders, retried, repeated, confirmed int
	canceled                             map[string]int // by kind of reason
	units                                int
	cents                                int64
}

// settle waits until every placed order is final and checks the saga's
// promises: nothing accepted is lost or doubled, a confirmed order is
// charged its total once and a canceled one never, every unit is on a
// shelf or sold to a confirmed order, and every wallet lost exactly what
// its confirmed orders cost.
func settle(t *testing.T, a *api, sh *shop, orders []*placed) tally {
	t.Helper()
	n := tally{orders: len(orders), canceled: map[string]int{}}
	var failed []string
	for _, p := range orders {
		if p.err != nil {
			failed = append(failed, p.err.Error())
		}
		if p.attempts > 1 {
			n.retried++
		}
		if p.plan.repeat {
			n.repeated++
		}
	}
	for i, f := range failed {
		if i < 20 {
			t.Errorf("order %d of %d: %s", i+1, len(failed), f)
		}
	}
	if len(failed) > 0 {
		t.Fatalf("%d of %d orders went wrong while being placed", len(failed), len(orders))
	}

	final := make([]orderView, len(orders))
	errs := make([]error, len(orders))
	next := make(chan int)
	var wg sync.WaitGroup
	deadline := time.Now().Add(3 * time.Minute)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				final[i], errs[i] = a.finalOrder(t.Context(), orders[i].id, time.Until(deadline))
			}
		})
	}
	for i := range orders {
		next <- i
	}
	close(next)
	wg.Wait()
	unfinished, lost := 0, 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		if unfinished++; errors.Is(err, errLost) {
			lost++
		}
		if unfinished <= 20 || errors.Is(err, errLost) {
			t.Error(err)
		}
	}
	if unfinished > 0 {
		t.Fatalf("%d of %d orders not seen final, %d of them lost", unfinished, len(orders), lost)
	}

	sold := map[string]int{}
	spent := map[string]int64{}
	for i, o := range final {
		plan := orders[i].plan
		if o.CustomerID != plan.customer || !slices.Equal(o.Items, plan.items) {
			t.Errorf("order %s is %s buying %v, but %s asked for %v", o.ID, o.CustomerID, o.Items, plan.customer, plan.items)
		}
		pay, paid := a.payment(t, o.ID)
		if o.Status == "CANCELED" {
			n.canceled[reasonKind(o.Reason)]++
			if paid && pay.Status == "COMPLETED" {
				t.Errorf("canceled order %s (%s) has a completed payment %+v", o.ID, o.Reason, pay)
			}
			continue
		}
		n.confirmed++
		if want := sh.totalOf(o.Items); o.TotalCents != want {
			t.Errorf("confirmed order %s costs %d cents, want %d", o.ID, o.TotalCents, want)
		}
		if !paid || pay.Status != "COMPLETED" || pay.AmountCents != o.TotalCents || pay.CustomerID != o.CustomerID {
			t.Errorf("confirmed order %s of %s for %d cents has payment %+v (found %v)", o.ID, o.CustomerID, o.TotalCents, pay, paid)
		}
		for _, it := range o.Items {
			sold[it.ProductID] += it.Quantity
			n.units += it.Quantity
		}
		spent[o.CustomerID] += o.TotalCents
		n.cents += o.TotalCents
	}
	if n.canceled["insufficient stock"] == 0 || n.canceled["insufficient balance"] == 0 {
		t.Errorf("cancellations %v: the load should run short of both stock and money", n.canceled)
	}
	checkStock(t, a, sh, sold)
	checkWallets(t, a, sh, spent)
	return n
}

// checkStock waits until no unit is held, then checks that each product's
// units are on the shelf or sold to a confirmed order.
func checkStock(t *testing.T, a *api, sh *shop, sold map[string]int) {
	t.Helper()
	ids := slices.Sorted(maps.Keys(sh.initial))
	deadline := time.Now().Add(60 * time.Second)
	var now map[string]productView
	for {
		now = map[string]productView{}
		held := 0
		for _, id := range ids {
			now[id] = a.product(t, id)
			held += now[id].Reserved
		}
		if held == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d units still reserved 60s after every order was final", held)
			break
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
	initial, shelves, sales := 0, 0, 0
	for _, id := range ids {
		v := now[id]
		initial, shelves, sales = initial+sh.initial[id], shelves+v.Available, sales+sold[id]
		if v.Available+v.Sold != sh.initial[id] || v.Reserved != 0 || v.Sold != sold[id] {
			t.Errorf("product %s (%d at first): available %d + sold %d, reserved %d; confirmed orders bought %d",
				id, sh.initial[id], v.Available, v.Sold, v.Reserved, sold[id])
		}
	}
	t.Logf("stock: %d units at first = %d on the shelves + %d sold to confirmed orders (%d products)", initial, shelves, sales, len(ids))
}

// checkWallets checks that each wallet lost exactly what its confirmed
// orders cost.
func checkWallets(t *testing.T, a *api, sh *shop, spent map[string]int64) {
	t.Helper()
	var initial, left int64
	for _, c := range sh.customers {
		got := a.wallet(t, c).BalanceCents
		initial, left = initial+sh.wallets[c], left+got
		if want := sh.wallets[c] - spent[c]; got != want {
			t.Errorf("customer %s has %d cents, want %d - %d = %d", c, got, sh.wallets[c], spent[c], want)
		}
	}
	t.Logf("money: %d cents at first = %d left in %d wallets + %d charged", initial, left, len(sh.customers), initial-left)
}

// reasonKind names a cancellation by the start of its reason.
func reasonKind(reason string) string {
	for _, k := range []string{"insufficient stock", "insufficient balance", "unknown product"} {
		if strings.Contains(reason, k) {
			return k
		}
	}
	return reason
}
