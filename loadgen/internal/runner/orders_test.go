package runner

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestOrdersFollowTheFailShares(t *testing.T) {
	t.Parallel()
	cfg := Defaults()
	cfg.RunID, cfg.Concurrency = "t", 10
	cfg.FailStock, cfg.FailPayment = 0.2, 0.3
	p := newPlanner(cfg, newPeople(cfg), 1)
	counts := map[intent]int{}
	const n = 10_000
	for range n {
		o := p.next("lg-t-0")
		counts[o.intent]++
		var body struct {
			CustomerID string `json:"customerId"`
			Items      []line `json:"items"`
		}
		if err := json.Unmarshal(o.body, &body); err != nil {
			t.Fatal(err)
		}
		unknown := body.Items[len(body.Items)-1].ProductID == unknownProduct
		broke := strings.Contains(body.CustomerID, "-broke-")
		if unknown != (o.intent == meantToFailStock) || broke != (o.intent == meantToFailPayment) {
			t.Fatalf("order %s built %s", o.body, o.intent)
		}
		if len(body.Items) < 1 || len(body.Items) > 3 {
			t.Fatalf("order %s has %d lines", o.body, len(body.Items))
		}
	}
	// Shares within a few points of what was asked, for 10000 draws.
	for in, want := range map[intent]float64{meantToSucceed: 0.5, meantToFailStock: 0.2, meantToFailPayment: 0.3} {
		if got := float64(counts[in]) / n; got < want-0.03 || got > want+0.03 {
			t.Errorf("%s: share %.3f, want about %.2f", in, got, want)
		}
	}
}

func TestAnIdempotencyKeyIsUniquePerOrder(t *testing.T) {
	t.Parallel()
	cfg := Defaults()
	cfg.RunID, cfg.IdempotencyKey = "t", true
	a, b := newPlanner(cfg, newPeople(cfg), 1), newPlanner(cfg, newPeople(cfg), 2)
	seen := map[string]bool{}
	for range 100 {
		for _, p := range []*planner{a, b} {
			k := p.next("c").key
			if k == "" || seen[k] {
				t.Fatalf("key %q empty or repeated", k)
			}
			seen[k] = true
		}
	}
}

func TestSiblingServicesDefaultToTheSameHost(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, order, stock, payment string
	}{
		{"a local order-svc", "http://127.0.0.1:8081", "http://127.0.0.1:8082", "http://127.0.0.1:8083"},
		{"a named host with a path", "http://saga.example:9000/api", "http://saga.example:8082", "http://saga.example:8083"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Config{OrderURL: tc.order}.WithSiblingURLs()
			if c.StockURL != tc.stock || c.PaymentURL != tc.payment {
				t.Fatalf("stock %q payment %q", c.StockURL, c.PaymentURL)
			}
		})
	}
}

func TestSettingsThatCannotWorkAreRefused(t *testing.T) {
	t.Parallel()
	valid := Defaults().WithSiblingURLs()
	valid.RunID = "t"
	if err := valid.Validate(); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	cases := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"an unknown mode", func(c *Config) { c.Mode = "burst" }, "mode"},
		{"no customers in a closed loop", func(c *Config) { c.Concurrency = 0 }, "concurrency"},
		{"no rate in an open loop", func(c *Config) { c.Mode, c.Rate = Open, 0 }, "rate"},
		{"fail shares above one", func(c *Config) { c.FailStock, c.FailPayment = 0.6, 0.6 }, "fail shares"},
		{"payment failures without seeding", func(c *Config) { c.Seed, c.FailPayment = false, 0.1 }, "seeding"},
		{"reads that do not wait for the final status", func(c *Config) { c.Wait = 0 }, "wait"},
		{"reads that wait as long as a request may last", func(c *Config) { c.Wait = c.RequestTimeout }, "wait"},
		{"an empty catalog and no product named", func(c *Config) { c.Catalog, c.Products = 0, nil }, "product"},
		{"a hot share above one", func(c *Config) { c.Hot = 1.5 }, "hot"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := valid
			tc.change(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one about %q", err, tc.want)
			}
		})
	}
}
