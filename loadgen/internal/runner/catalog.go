package runner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// DefaultCatalog is how many products the load generator seeds and
// orders when told nothing else.
const DefaultCatalog = 4

// seedWorkers is how many PUTs seeding keeps in flight: enough that
// 100,000 products seed in seconds on a stock-svc that writes one key per
// product.
const seedWorkers = 64

// ProductID is the n-th product (from 1) of a catalog the load generator
// seeds itself: loadgen-1, loadgen-2...
func ProductID(n int) string { return "loadgen-" + strconv.Itoa(n) }

// catalog is what orders pick their products from: the products given
// (Config.Products), or loadgen-1 to loadgen-<Config.Catalog>, named when
// picked so that a large catalog holds no list.
type catalog struct {
	given []string
	size  int
	hot   float64 // share of orders whose first line is the hot product
}

func newCatalog(cfg Config) catalog {
	if len(cfg.Products) > 0 {
		return catalog{given: cfg.Products, size: len(cfg.Products), hot: cfg.Hot}
	}
	return catalog{size: cfg.Catalog, hot: cfg.Hot}
}

// id is the i-th product, from 0.
func (c catalog) id(i int) string {
	if c.given != nil {
		return c.given[i]
	}
	return ProductID(i + 1)
}

// hotProduct is the product a share hot of the orders name: the first.
func (c catalog) hotProduct() string { return c.id(0) }

// lines picks the products of an order of n lines: uniformly over the
// catalog, except that with probability hot the first line is the hot
// product. The draw for hot is made only when hot is above 0, so that a
// uniform run orders exactly what it did before there was a hot product.
func (c catalog) lines(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = c.id(r.IntN(c.size))
	}
	if c.hot > 0 && r.Float64() < c.hot {
		out[0] = c.hotProduct()
	}
	return out
}

// SeedCatalog puts every product of cfg's catalog in stock-svc, many at
// once, and returns how long that took. The benchmark seeds once before
// its runs and sets CatalogSeeded on them.
func SeedCatalog(ctx context.Context, cfg Config) (time.Duration, error) {
	if cfg.StockURL == "" {
		return 0, errors.New("seeding needs stock-svc's URL")
	}
	c := newClient(cfg)
	defer c.close()
	start := time.Now()
	err := seedProducts(ctx, c, cfg)
	return time.Since(start), err
}

// seedProducts puts each product with enough units that no run of
// regular orders runs out; they are priced 1.00 to 2.50.
func seedProducts(ctx context.Context, c *client, cfg Config) error {
	cat := newCatalog(cfg)
	return putAll(ctx, c, cat.size, func(i int) (string, any) {
		id := cat.id(i)
		return cfg.StockURL + "/products/" + id, map[string]any{
			"name": "Load test product " + id, "priceCents": 100 + 50*(i%4), "available": seedAvailable,
		}
	})
}

// putAll sends the n PUTs that put describes, seedWorkers at a time,
// and returns the first error; once one PUT has failed, the rest are not
// sent.
func putAll(ctx context.Context, c *client, n int, put func(i int) (url string, body any)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(seedWorkers, n) {
		wg.Go(func() {
			for i := range work {
				url, body := put(i)
				if err := c.putRetrying(ctx, url, body); err != nil {
					cancel(fmt.Errorf("seed %s: %w", url, err))
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return context.Cause(ctx)
}

// Retries of one seeding PUT answered with a 5xx: a sidecar briefly
// busy, or a write that lost too many conflicts.
const (
	putAttempts   = 6
	putFirstPause = 50 * time.Millisecond
)

// putRetrying is put, tried again with growing pauses while the answer is
// a 5xx.
func (c *client) putRetrying(ctx context.Context, url string, body any) error {
	pause := putFirstPause
	for attempt := 1; ; attempt++ {
		err := c.put(ctx, url, body)
		var se statusError
		if err == nil || attempt == putAttempts || !errors.As(err, &se) || se.code < 500 {
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		pause *= 2
	}
}
