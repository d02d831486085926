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
// nothing stays held once every order is final.
func TestThreeStockReplicasAndTwoPaymentReplicasConserveStockAndMoney(t *testing.T) {
	s := ownStack(t, stack.Options{Replicas: map[string]int{contracts.AppStock: 3, contracts.AppPayment: 2}})
	a := newAPI(t, s)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	shop := openShop(a, rng)
	plans := shop.plan(rng, conservedOrders)
	placed := placeConcurrently(t, s, plans, conservedWorkers)
	final := finalOrders(t, a, placed, 3*time.Minute)

	var confirmed, canceled, twice, units int
	var cents int64
	reasons := map[string]int{}
	sold := map[string]int{}
	spent := map[string]int64{}
	for i, o := range final {
		if plans[i].deliverTwice {
			twice++
		}
		if o.CustomerID != plans[i].customer || !slices.Equal(o.Items, plans[i].items) {
			t.Errorf("order %s is %s buying %v, but %s asked for %v", o.ID, o.CustomerID, o.Items, plans[i].customer, plans[i].items)
		}
		if o.Status != "CONFIRMED" {
			canceled++
			reasons[reasonKind(o.Reason)]++
			continue
		}
		confirmed++
		if want := shop.totalOf(o.Items); o.TotalCents != want || want <= 0 {
			t.Errorf("confirmed order %s costs %d cents, want %d (the sum of price × quantity)", o.ID, o.TotalCents, want)
		}
		for _, it := range o.Items {
			sold[it.ProductID] += it.Quantity
			units += it.Quantity
		}
		spent[o.CustomerID] += o.TotalCents
		cents += o.TotalCents
	}
	t.Logf("%d orders (%d delivered twice): %d confirmed, %d canceled %v; %d units sold, %d cents charged",
		len(final), twice, confirmed, canceled, reasons, units, cents)
	if reasons["insufficient stock"] == 0 || reasons["insufficient balance"] == 0 {
		t.Errorf("cancellations %v: the load did not run short of both stock and money", reasons)
	}

	checkStockConserved(t, a, shop.products, sold)
	checkMoneyConserved(t, a, shop.customers, spent)
	checkOnePaymentPerConfirmedOrder(t, a, final)
	for _, inst := range []string{contracts.AppStock, contracts.AppStock + "-2", contracts.AppStock + "-3", contracts.AppPayment, contracts.AppPayment + "-2"} {
		if n := handledEvents(t, s, inst); n == 0 {
			t.Errorf("%s handled no event: the replicas did not share the load", inst)
		} else {
			t.Logf("%s handled %d events", inst, n)
		}
	}
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
type placedOrder struct {
	orderView
	CreatedAt time.Time `json:"createdAt"`
}

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

// plan draws n orders of 1 to 3 distinct products, 1 to 3 units each.
func (sh shop) plan(rng *rand.Rand, n int) []plannedOrder {
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
			deliverTwice: rng.Float64() < deliveredTwiceChance,
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
				placed[i], errs[i] = placeOnce(s, plans[i])
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
// order-svc is unreachable or asks for a retry, so that it is placed once.
func placeOnce(s *stack.Stack, p plannedOrder) (placedOrder, error) {
	body := map[string]any{"customerId": p.customer, "items": p.items}
	var last error
	for range 5 {
		r, err := tryDo(http.MethodPost, s.URL(contracts.AppOrder)+"/orders", body, map[string]string{"Idempotency-Key": p.key})
		switch {
		case err != nil:
			last = err
			continue
		case r.Status == http.StatusServiceUnavailable:
			last = fmt.Errorf("503 %s", r.Body)
			continue
		case r.Status != http.StatusAccepted:
			return placedOrder{}, fmt.Errorf("place order: %d %s", r.Status, r.Body)
		}
		var o placedOrder
		err = json.Unmarshal(r.Body, &o)
		return o, err
	}
	return placedOrder{}, fmt.Errorf("place order, 5 attempts: %v", last)
}

// finalOrders waits, within one deadline for them all, until every order
// is CONFIRMED or CANCELED, and returns them in the same order.
func finalOrders(t *testing.T, a api, placed []placedOrder, limit time.Duration) []orderView {
	t.Helper()
	deadline := time.Now().Add(limit)
	final := make([]orderView, len(placed))
	for i, p := range placed {
		for {
			// The read waits for the end, so a pending order costs no busy loop.
			r := a.do(http.MethodGet, a.s.URL(contracts.AppOrder)+"/orders/"+p.ID+"?wait=5s", nil, nil)
			if r.Status == http.StatusOK {
				final[i] = decodeInto[orderView](t, r)
				if final[i].Status == "CONFIRMED" || final[i].Status == "CANCELED" {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("waited %s for %d orders to finish; order %d is %d %s", limit, len(placed), i, r.Status, r.Body)
			}
		}
	}
	return final
}

// checkStockConserved waits, within a deadline, for no unit to be held,
// then checks that each product's units are either on the shelf or sold
// to a confirmed order.
func checkStockConserved(t *testing.T, a api, products []stockedProduct, sold map[string]int) {
	t.Helper()
	var now map[string]stockView
	held := 0
	_ = poll(30*time.Second, func() error {
		now, held = map[string]stockView{}, 0
		for _, p := range products {
			v := decodeInto[stockView](t, a.do(http.MethodGet, a.s.URL(contracts.AppStock)+"/products/"+p.id, nil, nil))
			now[p.id] = v
			held += v.Reserved
		}
		if held != 0 {
			return fmt.Errorf("%d units still reserved", held)
		}
		return nil
	})
	var initial, onShelf, sales, missing int
	for _, p := range products {
		v := now[p.id]
		initial, onShelf, sales = initial+p.initial, onShelf+v.Available, sales+sold[p.id]
		if lost := p.initial - v.Available - sold[p.id]; lost != 0 || v.Reserved != 0 {
			missing += lost
			t.Errorf("product %s (%d at first): available %d + sold to confirmed orders %d = %d, %d short; reserved %d, want 0",
				p.id, p.initial, v.Available, sold[p.id], v.Available+sold[p.id], lost, v.Reserved)
		}
		if v.Sold != nil && *v.Sold != sold[p.id] {
			t.Errorf("product %s says %d sold, confirmed orders bought %d", p.id, *v.Sold, sold[p.id])
		}
	}
	t.Logf("stock: %d units at first, %d on the shelves, %d sold to confirmed orders, %d unaccounted for; %d still reserved",
		initial, onShelf, sales, missing, held)
}

// stockView is GET /products/{id}; sold is shown by newer stock-svcs only.
type stockView struct {
	product
	Sold *int `json:"sold"`
}

// checkMoneyConserved checks that each wallet lost exactly what its
// confirmed orders cost.
func checkMoneyConserved(t *testing.T, a api, customers []customerWallet, spent map[string]int64) {
	t.Helper()
	var wrong int
	var drift int64
	for _, c := range customers {
		got := a.wallet(c.id).BalanceCents
		if want := c.initialCents - spent[c.id]; got != want {
			wrong++
			drift += want - got
			t.Errorf("customer %s has %d cents, want %d − %d = %d", c.id, got, c.initialCents, spent[c.id], want)
		}
	}
	t.Logf("money: %d of %d wallets wrong, %d cents charged beyond confirmed orders", wrong, len(customers), drift)
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
// charged its total once, to its customer, and a canceled one not at all.
func checkOnePaymentPerConfirmedOrder(t *testing.T, a api, orders []orderView) {
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
		case o.Status == "CANCELED" && r.Status == http.StatusOK && pay.Status != "FAILED":
			problem = "canceled (" + o.Reason + ")"
		default:
			continue
		}
		if wrong++; wrong <= 10 {
			t.Errorf("order %s %s has payment %d %+v", o.ID, problem, r.Status, pay)
		}
	}
	t.Logf("payments: %d of %d orders with a wrong payment", wrong, len(orders))
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
	for _, k := range []string{"insufficient stock", "insufficient balance", "unknown product"} {
		if strings.Contains(reason, k) {
			return k
		}
	}
	return reason
}
