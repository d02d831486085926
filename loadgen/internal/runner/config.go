// Package runner drives orders into order-svc and follows each one to its
// final status: closed loop (customers placing orders back to back) or
// open loop (arrivals at a fixed rate, whatever the responses).
package runner

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/example/order-saga/contracts"
)

// Modes of arrival.
const (
	Closed = "closed"
	Open   = "open"
)

// Config is one load run.
type Config struct {
	OrderURL   string `json:"orderUrl"`
	StockURL   string `json:"stockUrl,omitempty"`
	PaymentURL string `json:"paymentUrl,omitempty"`
	// AdminToken is the bearer token seeding shows stock-svc and
	// payment-svc (their ADMIN_TOKEN). It is never written to results.
	AdminToken string `json:"-"`

	Mode        string        `json:"mode"`
	Concurrency int           `json:"concurrency,omitempty"` // closed loop: customers placing orders back to back
	Rate        float64       `json:"rate,omitempty"`        // open loop: orders per second
	Duration    time.Duration `json:"duration"`
	// MaxInFlight bounds the open loop's outstanding POSTs; an arrival
	// beyond it is counted as an error rather than queued.
	MaxInFlight int `json:"maxInFlight,omitempty"`
	// MaxOpen, when above 0, holds the closed loop's customers back while
	// this many orders are accepted but not final, so that a saga slower
	// than order-svc's intake works through a bounded backlog.
	MaxOpen int `json:"maxOpen,omitempty"`

	// Customers is how many customers the open loop spreads orders over;
	// the closed loop has one per Concurrency.
	Customers int `json:"customers"`
	// Products are the product ids orders pick from; when empty, they
	// pick from Catalog products loadgen-1 to loadgen-<Catalog>. Either
	// way they are seeded when Seed.
	Products []string `json:"products,omitempty"`
	Catalog  int      `json:"catalog,omitempty"`
	// Hot is the share of orders whose first line names one hot product
	// (the catalog's first); every other line picks uniformly.
	Hot  float64 `json:"hot,omitempty"`
	Seed bool    `json:"seed"`
	// CatalogSeeded says the products are in stock-svc already (the
	// benchmark seeds them once with SeedCatalog before its runs): Seed
	// then gives only the run's wallets.
	CatalogSeeded bool `json:"catalogSeeded,omitempty"`
	// FailStock and FailPayment are the shares of orders meant to be
	// canceled: one naming an unknown product, one by a customer whose
	// wallet is empty (which needs Seed).
	FailStock   float64 `json:"failStock"`
	FailPayment float64 `json:"failPayment"`
	// IdempotencyKey sends an Idempotency-Key with every order.
	IdempotencyKey bool `json:"idempotencyKey"`

	// Wait is how long each read of an accepted order waits for its final
	// status (GET /orders/{id}?wait=); order-svc answers as soon as the
	// order is final, so that most orders take one read.
	Wait           time.Duration `json:"wait"`
	FinalTimeout   time.Duration `json:"finalTimeout"`   // per order, from its POST
	DrainTimeout   time.Duration `json:"drainTimeout"`   // after the load, for the last finals
	RequestTimeout time.Duration `json:"requestTimeout"` // per HTTP request

	// RunID keeps this run's customers apart from any other run's.
	RunID string `json:"runId"`
	// RandSeed makes the mix of orders repeatable.
	RandSeed uint64 `json:"randSeed"`
}

// Defaults returns a configuration with every tuning knob set.
func Defaults() Config {
	return Config{
		OrderURL: fmt.Sprintf("http://127.0.0.1:%d", contracts.PortOrder), Mode: Closed, Concurrency: 16, Rate: 100, Duration: 10 * time.Second,
		MaxInFlight: 10_000, Customers: 100, Catalog: DefaultCatalog, Seed: true,
		Wait: 5 * time.Second, FinalTimeout: 30 * time.Second, DrainTimeout: 30 * time.Second, RequestTimeout: 10 * time.Second,
	}
}

// WithSiblingURLs fills in stock-svc's and payment-svc's URLs when they
// are empty: the same host as order-svc, on their default ports.
func (c Config) WithSiblingURLs() Config {
	u, err := url.Parse(c.OrderURL)
	if err != nil || u.Hostname() == "" {
		return c
	}
	sibling := func(port int) string {
		v := *u
		v.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
		v.Path = ""
		return v.String()
	}
	if c.StockURL == "" {
		c.StockURL = sibling(contracts.PortStock)
	}
	if c.PaymentURL == "" {
		c.PaymentURL = sibling(contracts.PortPayment)
	}
	return c
}

// Validate names every setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if _, err := url.ParseRequestURI(c.OrderURL); err != nil {
		errs = append(errs, fmt.Errorf("order URL: %w", err))
	}
	switch c.Mode {
	case Closed:
		if c.Concurrency < 1 {
			errs = append(errs, errors.New("concurrency must be at least 1"))
		}
	case Open:
		if c.Rate <= 0 {
			errs = append(errs, errors.New("rate must be above 0"))
		}
		if c.Customers < 1 {
			errs = append(errs, errors.New("customers must be at least 1"))
		}
	default:
		errs = append(errs, fmt.Errorf("mode %q: want %s or %s", c.Mode, Closed, Open))
	}
	if c.MaxOpen < 0 {
		errs = append(errs, errors.New("max-open must be 0 (no limit) or more"))
	}
	if c.Duration <= 0 {
		errs = append(errs, errors.New("duration must be above 0"))
	}
	if len(c.Products) == 0 && c.Catalog < 1 {
		errs = append(errs, errors.New("at least one product is needed: a catalog of 1 or more, or products named"))
	}
	if c.Hot < 0 || c.Hot > 1 {
		errs = append(errs, errors.New("the hot share must be between 0 and 1"))
	}
	if c.FailStock < 0 || c.FailPayment < 0 || c.FailStock+c.FailPayment > 1 {
		errs = append(errs, errors.New("fail shares must be 0 or more and add up to at most 1"))
	}
	if c.FailPayment > 0 && !c.Seed {
		errs = append(errs, errors.New("orders meant to fail payment need seeding (an empty wallet is set through payment-svc)"))
	}
	if c.Seed && (c.StockURL == "" || c.PaymentURL == "") {
		errs = append(errs, errors.New("seeding needs stock-svc's and payment-svc's URLs"))
	}
	// A read that waited longer than a request may last would end as a
	// timeout rather than as an answer.
	if c.Wait <= 0 || c.Wait >= c.RequestTimeout {
		errs = append(errs, errors.New("the wait of a read must be above 0 and below the request timeout"))
	}
	if c.RunID == "" {
		errs = append(errs, errors.New("a run id is needed"))
	}
	return errors.Join(errs...)
}

// customerCount is how many regular customers the run uses.
func (c Config) customerCount() int {
	if c.Mode == Closed {
		return c.Concurrency
	}
	return c.Customers
}
