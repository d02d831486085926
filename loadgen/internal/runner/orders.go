package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// intent is the outcome an order is built for.
type intent int

const (
	meantToSucceed intent = iota
	meantToFailStock
	meantToFailPayment
)

// expected is the final status an order of this intent should reach.
func (i intent) expected() string {
	if i == meantToSucceed {
		return "CONFIRMED"
	}
	return "CANCELED"
}

func (i intent) String() string {
	return [...]string{"meant to succeed", "meant to fail for stock", "meant to fail for payment"}[i]
}

// unknownProduct is never seeded, so an order naming it fails for stock.
const unknownProduct = "loadgen-unknown"

// Seeded amounts: enough that no regular order ever runs out.
const (
	seedAvailable = 1_000_000_000
	seedBalance   = 100_000_000_000
)

// people are the customers of one run.
type people struct {
	regular []string // wallets large enough for any run
	broke   []string // empty wallets, for orders meant to fail payment
}

func newPeople(cfg Config) people {
	p := people{}
	for i := range cfg.customerCount() {
		p.regular = append(p.regular, fmt.Sprintf("lg-%s-%d", cfg.RunID, i))
	}
	for i := range max(1, cfg.customerCount()/10) {
		p.broke = append(p.broke, fmt.Sprintf("lg-%s-broke-%d", cfg.RunID, i))
	}
	return p
}

type line struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
}

// plannedOrder is an order ready to post.
type plannedOrder struct {
	intent intent
	body   []byte
	key    string
}

// planner builds orders; each goroutine that places orders has its own.
type planner struct {
	cfg     Config
	people  people
	catalog catalog
	r       *rand.Rand
	seq     int
	stream  uint64
}

func newPlanner(cfg Config, p people, stream uint64) *planner {
	return &planner{cfg: cfg, people: p, catalog: newCatalog(cfg), r: rand.New(rand.NewPCG(cfg.RandSeed, stream)), stream: stream}
}

// next builds the next order of customer: one to three lines of one or
// two units, their products picked from the catalog (see catalog.lines),
// with the intent drawn from the configured fail shares.
func (p *planner) next(customer string) plannedOrder {
	p.seq++
	in := meantToSucceed
	switch u := p.r.Float64(); {
	case u < p.cfg.FailStock:
		in = meantToFailStock
	case u < p.cfg.FailStock+p.cfg.FailPayment:
		in = meantToFailPayment
	}
	products := p.catalog.lines(p.r, 1+p.r.IntN(3))
	lines := make([]line, len(products))
	for i, id := range products {
		lines[i] = line{ProductID: id, Quantity: 1 + p.r.IntN(2)}
	}
	switch in {
	case meantToFailStock:
		lines[len(lines)-1].ProductID = unknownProduct
	case meantToFailPayment:
		customer = p.people.broke[p.r.IntN(len(p.people.broke))]
	}
	body, _ := json.Marshal(struct {
		CustomerID string `json:"customerId"`
		Items      []line `json:"items"`
	}{customer, lines})
	o := plannedOrder{intent: in, body: body}
	if p.cfg.IdempotencyKey {
		o.key = "lg-" + p.cfg.RunID + "-" + strconv.FormatUint(p.stream, 10) + "-" + strconv.Itoa(p.seq)
	}
	return o
}

// seed gives the run its products (unless CatalogSeeded) and its
// wallets. Products are shared by every run; wallets are the run's own.
func seed(ctx context.Context, c *client, cfg Config, p people) error {
	if !cfg.CatalogSeeded {
		if err := seedProducts(ctx, c, cfg); err != nil {
			return err
		}
	}
	wallets := append(append([]string(nil), p.regular...), p.broke...)
	return putAll(ctx, c, len(wallets), func(i int) (string, any) {
		balance := int64(seedBalance)
		if i >= len(p.regular) {
			balance = 0
		}
		return cfg.PaymentURL + "/wallets/" + wallets[i], map[string]any{"balanceCents": balance}
	})
}
