package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// The load of the conservation test: enough orders, at a steady
// concurrency, for every replica to race the others on the same products
// and wallets.
const (
	conservedOrders      = 2_000
	conservedWorkers     = 32
	conservedCustomers   = 160
	plentifulProducts    = 12
	plentifulUnits       = 10_000
	richWalletCents      = 5_000_000
	scarceLineChance     = 0.12 // of each line being for a scarce product
	deliveredTwiceChance = 0.10
)

// scarceUnits are the stocks of the scarce products: far fewer units than
// are asked for, so that many orders are canceled for insufficient stock.
var scarceUnits = []int{20, 30, 40, 50}

// TestThreeStockReplicasAndTwoPaymentReplicasConserveStockAndMoney places
// thousands of orders against three stock-svc and two payment-svc replicas
// and then counts every unit and every cent: what left the shelves is what
// confirmed orders bought, what left the wallets is what they cost, and
// nothing stays held once every order is final. It runs with the state in
// Redis and in PostgreSQL.
func TestThreeStockReplicasAndTwoPaymentReplicasConserveStockAndMoney(t *testing.T) {
	for _, store := range []string{"redis", "postgres"} {
		t.Run(store+" store", func(t *testing.T) { threeStockReplicasAndTwoPaymentReplicasConserve(t, store) })
	}
}

func threeStockReplicasAndTwoPaymentReplicasConserve(t *testing.T, store string) {
	s := ownStack(t, stack.Options{State: store, Replicas: map[string]int{contracts.AppStock: 3, contracts.AppPayment: 2}})
	a := newAPI(t, s)
	shop, plans := seededShop(t, a, conservedOrders, deliveredTwiceChance)
	placed := placeConcurrently(t, s, plans, conservedWorkers)
	final, _ := finalOrders(t, a, placed, 3*time.Minute)

	sum := tally(t, shop, plans, final)
	t.Logf("%d orders (%d delivered twice): %s", len(final), sum.twice, sum)
	if sum.reasons["insufficient stock"] == 0 || sum.reasons["insufficient balance"] == 0 {
		t.Errorf("cancellations %v: the load did not run short of both stock and money", sum.reasons)
	}
	checkConserved(t, a, shop, final, sum)
	for _, inst := range []string{contracts.AppStock, contracts.AppStock + "-2", contracts.AppStock + "-3", contracts.AppPayment, contracts.AppPayment + "-2"} {
		if n := handledEvents(t, s, inst); n == 0 {
			t.Errorf("%s handled no event: the replicas did not share the load", inst)
		} else {
			t.Logf("%s handled %d events", inst, n)
		}
	}
}

// outcome is what a load's final orders add up to.
type outcome struct {
	confirmed, canceled, twice, units int
	cents                             int64
	reasons                           map[string]int   // canceled orders by kind of reason
	sold                              map[string]int   // units by product
	spent                             map[string]int64 // cents by customer
}

func (o outcome) String() string {
	return fmt.Sprintf("%d confirmed, %d canceled %v; %d units sold, %d cents charged", o.confirmed, o.canceled, o.reasons, o.units, o.cents)
}

// tally adds up the final orders of plans, checking that each is the
// order that was asked for and that a confirmed one costs its items.
func tally(t *testing.T, sh shop, plans []plannedOrder, final []orderView) outcome {
	t.Helper()
	sum := outcome{reasons: map[string]int{}, sold: map[string]int{}, spent: map[string]int64{}}
	for i, o := range final {
		if plans[i].deliverTwice {
			sum.twice++
		}
		if o.CustomerID != plans[i].customer || !slices.Equal(o.Items, plans[i].items) {
			t.Errorf("order %s is %s buying %v, but %s asked for %v", o.ID, o.CustomerID, o.Items, plans[i].customer, plans[i].items)
		}
		if o.Status != "CONFIRMED" {
			sum.canceled++
			sum.reasons[reasonKind(o.Reason)]++
			continue
		}
		sum.confirmed++
		if want := sh.totalOf(o.Items); o.TotalCents != want || want <= 0 {
			t.Errorf("confirmed order %s costs %d cents, want %d (the sum of price × quantity)", o.ID, o.TotalCents, want)
		}
		for _, it := range o.Items {
			sum.sold[it.ProductID] += it.Quantity
			sum.units += it.Quantity
		}
		sum.spent[o.CustomerID] += o.TotalCents
		sum.cents += o.TotalCents
	}
	return sum
}

// broken counts what breaks each invariant of a finished load.
type broken struct {
	products, wallets, payments int
}

// checkConserved checks, once every order is final, that stock and money
// are conserved and that each confirmed order was paid once.
func checkConserved(t *testing.T, a api, sh shop, final []orderView, sum outcome) broken {
	t.Helper()
	return broken{
		products: checkStockConserved(t, a, sh.products, sum.sold),
		wallets:  checkMoneyConserved(t, a, sh.customers, sum.spent),
		payments: checkOnePaymentPerConfirmedOrder(t, a, final),
	}
}

// seededShop opens a shop and plans n orders, a share twice of them
// delivered twice, from a random seed it logs, so that a run that fails
// can be replayed.
func seededShop(t *testing.T, a api, n int, twice float64) (shop, []plannedOrder) {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	sh := openShop(a, rng)
	return sh, sh.plan(rng, n, twice)
}

// shop is the catalog and the customers of one run, as they were set up.
type shop struct {
	products  []stockedProduct
	prices    map[string]int64
	plentiful []string
	scarce    []string
	customers []customerWallet
}

type stockedProduct struct {
	id      string
	initial int
}

type customerWallet struct {
	id           string
	initialCents int64
}

// plannedOrder is one order of the load, decided before any is placed.
type plannedOrder struct {
	key          string // Idempotency-Key, so a retried POST places one order
	customer     string
	items        []item
	deliverTwice bool
}

// placedOrder is order-svc's answer to POST /orders.
type placedOrder = orderView

// openShop puts plentiful and scarce products in stock and fills the
// wallets: one customer in five has only enough for an order or two.
func openShop(a api, rng *rand.Rand) shop {
	a.t.Helper()
	sh := shop{prices: map[string]int64{}}
	add := func(units int) string {
		id := "p-" + uid()
		price := int64(100 + rng.IntN(1_400))
		a.putProduct(id, price, units)
		sh.products = append(sh.products, stockedProduct{id, units})
		sh.prices[id] = price
		return id
	}
	for range plentifulProducts {
		sh.plentiful = append(sh.plentiful, add(plentifulUnits))
	}
	for _, n := range scarceUnits {
		sh.scarce = append(sh.scarce, add(n))
	}
	for i := range conservedCustomers {
		c := customerWallet{fmt.Sprintf("c-%s-%d", uid(), i), richWalletCents}
		if i%5 == 0 {
			c.initialCents = int64(2_000 + rng.IntN(4_000))
		}
		a.putWallet(c.id, c.initialCents)
		sh.customers = append(sh.customers, c)
	}
	return sh
}

// plan draws n orders of 1 to 3 distinct products, 1 to 3 units each;
// each one is published once more after it is placed with the chance
// twice.
func (sh shop) plan(rng *rand.Rand, n int, twice float64) []plannedOrder {
	plans := make([]plannedOrder, n)
	for i := range plans {
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
		plans[i] = plannedOrder{
			key:          "conserve-" + uid(),
			customer:     sh.customers[rng.IntN(len(sh.customers))].id,
			items:        items,
			deliverTwice: rng.Float64() < twice,
		}
	}
	return plans
}

func (sh shop) totalOf(items []item) int64 {
	var total int64
	for _, it := range items {
		total += sh.prices[it.ProductID] * int64(it.Quantity)
	}
	return total
}

// placeConcurrently places every planned order through POST /orders from
// a fixed number of workers, and right after each order that is to be
// delivered twice publishes its OrderCreated once more, as a redelivery
// would. The answers come back in the order of the plans.
func placeConcurrently(t *testing.T, s *stack.Stack, plans []plannedOrder, workers int) []placedOrder {
	t.Helper()
	placed := make([]placedOrder, len(plans))
	errs := make([]error, len(plans))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				placed[i], _, errs[i] = placeOnce(s, plans[i])
				if errs[i] == nil && plans[i].deliverTwice {
					o := placed[i]
					ev := orderCreated(o.ID, o.CustomerID, o.Items...)
					ev.Header = contracts.NewHeader(contracts.TypeOrderCreated, o.ID, o.CreatedAt)
					errs[i] = tryPublish(s, contracts.TopicOrders, ev, ev.EventID)
				}
			}
		})
	}
	for i := range plans {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("order %d of %d: %v", i, len(plans), err)
		}
	}
	return placed
}

// placeOnce posts an order, retrying with the same Idempotency-Key while
// order-svc is unreachable or asks for a retry, for up to a minute, so
// that it is placed once. It also says how many POSTs it took.
func placeOnce(s *stack.Stack, p plannedOrder) (placedOrder, int, error) {
	body := map[string]any{"customerId": p.customer, "items": p.items}
	deadline := time.Now().Add(time.Minute)
	pause := 100 * time.Millisecond
	var last error
	for attempts := 1; ; attempts++ {
		r, err := tryDo(http.MethodPost, s.URL(contracts.AppOrder)+"/orders", body, map[string]string{"Idempotency-Key": p.key})
		switch {
		case err != nil:
			last = err
		case r.Status == http.StatusServiceUnavailable:
			last = fmt.Errorf("503 %s", r.Body)
		case r.Status != http.StatusAccepted:
			return placedOrder{}, attempts, fmt.Errorf("place order: %d %s", r.Status, r.Body)
		default:
			var o placedOrder
			err = json.Unmarshal(r.Body, &o)
			return o, attempts, err
		}
		if time.Now().Add(pause).After(deadline) {
			return placedOrder{}, attempts, fmt.Errorf("place order, %d attempts in a minute: %v", attempts, last)
		}
		<-time.After(pause)
		pause = min(2*pause, time.Second)
	}
}

// finalOrders waits, within one deadline for them all, until every order
// is CONFIRMED or CANCELED, and returns them in the same order. An order
// that order-svc no longer knows after accepting it is lost: it fails the
// test and is not waited for. It returns how many were lost.
func finalOrders(t *testing.T, a api, placed []placedOrder, limit time.Duration) ([]orderView, int) {
	t.Helper()
	deadline := time.Now().Add(limit)
	final := make([]orderView, len(placed))
	lost := 0
	for i, p := range placed {
		for {
			// The read waits for the end, so a pending order costs no busy loop.
			r, err := tryDo(http.MethodGet, a.s.URL(contracts.AppOrder)+"/orders/"+p.ID+"?wait=5s", nil, nil)
			if err == nil && r.Status == http.StatusNotFound {
				if lost++; lost <= 10 {
					t.Errorf("order %s was accepted (202) and is now unknown (404): lost", p.ID)
				}
				final[i] = p
				break
			}
			if err == nil && r.Status == http.StatusOK {
				final[i] = decodeInto[orderView](t, r)
				if final[i].Final() {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("waited %s for %d orders to finish; order %d (%s) is %d %s (%v)\n%s",
					limit, len(placed), i, p.ID, r.Status, r.Body, err, stillOpen(a, placed[i+1:]))
			}
		}
	}
	return final, lost
}

// stillOpen tells, with one read each, how many of the orders are not
// final and what the first of them are, for a test that gave up waiting.
func stillOpen(a api, placed []placedOrder) string {
	var open []string
	for _, p := range placed {
		r, err := tryDo(http.MethodGet, a.s.URL(contracts.AppOrder)+"/orders/"+p.ID, nil, nil)
		var o orderView
		if err == nil && r.Status == http.StatusOK && json.Unmarshal(r.Body, &o) == nil && o.Final() {
			continue
		}
		open = append(open, fmt.Sprintf("%s %s (created %s)", p.ID, o.Status, o.CreatedAt.Format(time.StampMilli)))
	}
	return fmt.Sprintf("%d of the %d orders after it are not final either: %s", len(open), len(placed), strings.Join(open[:min(len(open), 10)], ", "))
}

// checkStockConserved waits, within a deadline, for no unit to be held
// and for the units of orders canceled after they were paid to come back,
// then checks that each product's units are either on the shelf or sold
// to a confirmed order. It returns how many products are wrong.
func checkStockConserved(t *testing.T, a api, products []stockedProduct, sold map[string]int) int {
	t.Helper()
	var now map[string]stockView
	held := 0
	_ = poll(settleWithin, func() error {
		now, held = map[string]stockView{}, 0
		off := 0
		for _, p := range products {
			v := decodeInto[stockView](t, a.do(http.MethodGet, a.s.URL(contracts.AppStock)+"/products/"+p.id, nil, nil))
			now[p.id] = v
			held += v.Reserved
			if p.initial != v.Available+sold[p.id] {
				off++
			}
		}
		if held != 0 || off != 0 {
			return fmt.Errorf("%d units still reserved, %d products not conserved", held, off)
		}
		return nil
	})
	var initial, onShelf, sales, missing, wrong int
	for _, p := range products {
		v := now[p.id]
		initial, onShelf, sales = initial+p.initial, onShelf+v.Available, sales+sold[p.id]
		if lost := p.initial - v.Available - sold[p.id]; lost != 0 || v.Reserved != 0 {
			missing += lost
			wrong++
			t.Errorf("product %s (%d at first): available %d + sold to confirmed orders %d = %d, %d short; reserved %d, want 0",
				p.id, p.initial, v.Available, sold[p.id], v.Available+sold[p.id], lost, v.Reserved)
		}
		if v.Sold != nil && *v.Sold != sold[p.id] {
			wrong++
			t.Errorf("product %s says %d sold, confirmed orders bought %d", p.id, *v.Sold, sold[p.id])
		}
	}
	t.Logf("stock: %d units at first, %d on the shelves, %d sold to confirmed orders, %d unaccounted for; %d still reserved",
		initial, onShelf, sales, missing, held)
	return wrong
}

// settleWithin is how long, once every order is final, what the saga took
// for canceled orders may take to come back: units held or sold, payments
// refunded. A participant undoes its part within 20 s of being up.
const settleWithin = 30 * time.Second

// stockView is GET /products/{id}; sold is shown by newer stock-svcs only.
type stockView struct {
	product
	Sold *int `json:"sold"`
}

// checkMoneyConserved checks, waiting within a deadline for refunds, that
// each wallet lost exactly what its confirmed orders cost, and returns
// how many did not.
func checkMoneyConserved(t *testing.T, a api, customers []customerWallet, spent map[string]int64) int {
	t.Helper()
	balances := map[string]int64{}
	_ = poll(settleWithin, func() error {
		off := 0
		for _, c := range customers {
			balances[c.id] = a.wallet(c.id).BalanceCents
			if balances[c.id] != c.initialCents-spent[c.id] {
				off++
			}
		}
		if off > 0 {
			return fmt.Errorf("%d wallets off", off)
		}
		return nil
	})
	var wrong int
	var drift int64
	for _, c := range customers {
		got := balances[c.id]
		if want := c.initialCents - spent[c.id]; got != want {
			wrong++
			drift += want - got
			t.Errorf("customer %s has %d cents, want %d − %d = %d", c.id, got, c.initialCents, spent[c.id], want)
		}
	}
	t.Logf("money: %d of %d wallets wrong, %d cents charged beyond confirmed orders", wrong, len(customers), drift)
	return wrong
}

// paymentView is GET /payments/{orderId}.
type paymentView struct {
	OrderID     string `json:"orderId"`
	CustomerID  string `json:"customerId"`
	AmountCents int64  `json:"amountCents"`
	Status      string `json:"status"`
	Reason      string `json:"reason"`
}

// checkOnePaymentPerConfirmedOrder checks that a confirmed order was
// charged its total once, to its customer, and that no payment stands for
// a canceled one (refused, refunded or voided); it returns how many
// orders were not.
func checkOnePaymentPerConfirmedOrder(t *testing.T, a api, orders []orderView) int {
	t.Helper()
	wrong := 0
	for _, o := range orders {
		r := a.do(http.MethodGet, a.s.URL(contracts.AppPayment)+"/payments/"+o.ID, nil, nil)
		var pay paymentView
		if r.Status == http.StatusOK {
			pay = decodeInto[paymentView](t, r)
		} else if r.Status != http.StatusNotFound {
			t.Fatalf("get payment %s: %d %s", o.ID, r.Status, r.Body)
		}
		var problem string
		switch {
		case o.Status == "CONFIRMED" && (pay.Status != "COMPLETED" || pay.AmountCents != o.TotalCents || pay.CustomerID != o.CustomerID):
			problem = fmt.Sprintf("confirmed for %d cents to %s", o.TotalCents, o.CustomerID)
		case o.Status == "CANCELED" && r.Status == http.StatusOK && !slices.Contains([]string{"FAILED", "REFUNDED", "VOIDED"}, pay.Status):
			problem = "canceled (" + o.Reason + ")"
		default:
			continue
		}
		if wrong++; wrong <= 10 {
			t.Errorf("order %s %s has payment %d %+v", o.ID, problem, r.Status, pay)
		}
	}
	t.Logf("payments: %d of %d orders with a wrong payment", wrong, len(orders))
	return wrong
}

// poll runs check until it returns nil or limit passes, and returns its
// last error; unlike eventually, it leaves the verdict to the caller.
func poll(limit time.Duration, check func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		<-time.After(20 * time.Millisecond)
	}
}

// reasonKind names a cancellation by the start of its reason, which goes
// on to name the product or the amounts.
func reasonKind(reason string) string {
	for _, k := range []string{"insufficient stock", "insufficient balance", "unknown product", "deadline exceeded", "was given up on"} {
		if strings.Contains(reason, k) {
			return k
		}
	}
	return reason
}
