package runner

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// orderedProducts builds n orders and returns the products of each.
func orderedProducts(t *testing.T, cfg Config, n int) [][]string {
	t.Helper()
	p := newPlanner(cfg, newPeople(cfg), 1)
	out := make([][]string, n)
	for i := range out {
		var body struct {
			Items []line `json:"items"`
		}
		if err := json.Unmarshal(p.next("lg-t-0").body, &body); err != nil {
			t.Fatal(err)
		}
		if len(body.Items) < 1 || len(body.Items) > 3 {
			t.Fatalf("an order of %d lines, want 1 to 3", len(body.Items))
		}
		for _, it := range body.Items {
			out[i] = append(out[i], it.ProductID)
		}
	}
	return out
}

func catalogConfig(size int, hot float64) Config {
	cfg := Defaults()
	cfg.RunID, cfg.Catalog, cfg.Hot = "t", size, hot
	return cfg
}

func TestOrdersPickTheirProductsUniformlyOverTheCatalog(t *testing.T) {
	t.Parallel()
	const size, orders = 50, 20_000
	counts := map[string]int{}
	lines := 0
	for _, products := range orderedProducts(t, catalogConfig(size, 0), orders) {
		for _, id := range products {
			counts[id]++
			lines++
		}
	}
	if len(counts) != size {
		t.Fatalf("%d products ordered, want all %d", len(counts), size)
	}
	// About 800 lines a product: 20% either way is more than 5 standard
	// deviations.
	want := float64(lines) / size
	for n := 1; n <= size; n++ {
		if got := float64(counts[ProductID(n)]); got < 0.8*want || got > 1.2*want {
			t.Errorf("%s on %.0f lines, want about %.0f", ProductID(n), got, want)
		}
	}
}

func TestAHotShareOfOrdersNamesTheHotProductAndTheRestSpreadUniformly(t *testing.T) {
	t.Parallel()
	const size, orders = 100_000, 20_000
	cases := []struct {
		name string
		hot  float64
	}{
		{"a tenth of the orders on the hot product", 0.1},
		{"half of the orders on the hot product", 0.5},
		{"nine tenths of the orders on the hot product", 0.9},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			onHot, others := 0, map[string]int{}
			for _, products := range orderedProducts(t, catalogConfig(size, tc.hot), orders) {
				if slices.Contains(products, ProductID(1)) {
					onHot++
				}
				for _, id := range products {
					if id != ProductID(1) {
						others[id]++
					}
				}
			}
			// A uniform line lands on the hot product once in 100,000;
			// the share is within 2 points (over 5 standard deviations).
			if got := float64(onHot) / orders; got < tc.hot-0.02 || got > tc.hot+0.02 {
				t.Errorf("%.3f of the orders name %s, want about %g", got, ProductID(1), tc.hot)
			}
			// 20,000 to 40,000 other lines over 100,000 products: that
			// any of them is ordered 11 times or more has under one
			// chance in a million.
			for id, n := range others {
				if n > 10 {
					t.Errorf("%s ordered %d times, want the others uniform", id, n)
				}
			}
		})
	}
}

func TestTheSameRandomSeedOrdersTheSameProducts(t *testing.T) {
	t.Parallel()
	cfg := catalogConfig(1000, 0.3)
	a, b := orderedProducts(t, cfg, 1000), orderedProducts(t, cfg, 1000)
	if !slices.EqualFunc(a, b, slices.Equal) {
		t.Fatal("two planners with the same seed ordered different products")
	}
	cfg.RandSeed++
	if slices.EqualFunc(a, orderedProducts(t, cfg, 1000), slices.Equal) {
		t.Fatal("another seed ordered the same products")
	}
}

func TestNamedProductsReplaceTheCatalog(t *testing.T) {
	t.Parallel()
	cfg := catalogConfig(100_000, 0.5)
	cfg.Products = []string{"coffee-beans", "espresso-cup"}
	for _, products := range orderedProducts(t, cfg, 1000) {
		for _, id := range products {
			if !slices.Contains(cfg.Products, id) {
				t.Fatalf("ordered %s, not one of %v", id, cfg.Products)
			}
		}
	}
}

// fakeStock is a stock-svc that keeps the products put in it and answers
// 503 to the first PUT of every product busy says.
type fakeStock struct {
	busy     func(id string) bool
	refuse   string // answered 400
	mu       sync.Mutex
	products map[string]map[string]any
	attempts map[string]int
	inFlight atomic.Int64
	most     atomic.Int64
}

func (f *fakeStock) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
	}
	id, ok := strings.CutPrefix(r.URL.Path, "/products/")
	if r.Method != http.MethodPut || !ok {
		http.Error(w, "not here", http.StatusNotFound)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts[id]++
	switch {
	case id == f.refuse:
		http.Error(w, "invalid", http.StatusBadRequest)
	case f.busy(id) && f.attempts[id] == 1:
		http.Error(w, "busy", http.StatusServiceUnavailable)
	default:
		f.products[id] = body
		w.WriteHeader(http.StatusOK)
	}
}

func startFakeStock(t *testing.T, f *fakeStock) Config {
	t.Helper()
	f.products, f.attempts = map[string]map[string]any{}, map[string]int{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := catalogConfig(200, 0)
	cfg.StockURL = srv.URL
	return cfg
}

func TestSeedingPutsEveryProductAndTriesBusyAnswersAgain(t *testing.T) {
	t.Parallel()
	f := &fakeStock{busy: func(id string) bool { return strings.HasSuffix(id, "7") }}
	cfg := startFakeStock(t, f)

	if _, err := SeedCatalog(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()

	if len(f.products) != cfg.Catalog {
		t.Fatalf("%d products stored, want %d", len(f.products), cfg.Catalog)
	}
	for n := 1; n <= cfg.Catalog; n++ {
		id := ProductID(n)
		p := f.products[id]
		if p["name"] == "" || p["priceCents"] == nil || p["available"].(float64) < seedAvailable {
			t.Errorf("%s stored as %v", id, p)
		}
		if want := map[bool]int{true: 2, false: 1}[f.busy(id)]; f.attempts[id] != want {
			t.Errorf("%s put %d times, want %d", id, f.attempts[id], want)
		}
	}
	if most := f.most.Load(); most > seedWorkers {
		t.Errorf("%d PUTs at once, want at most %d", most, seedWorkers)
	}
}

func TestSeedingStopsAtARefusal(t *testing.T) {
	t.Parallel()
	f := &fakeStock{busy: func(string) bool { return false }, refuse: ProductID(3)}
	cfg := startFakeStock(t, f)

	_, err := SeedCatalog(context.Background(), cfg)
	f.mu.Lock()
	defer f.mu.Unlock()

	if err == nil || !strings.Contains(err.Error(), ProductID(3)) || !strings.Contains(err.Error(), "400") {
		t.Fatalf("error %v, want the 400 for %s", err, ProductID(3))
	}
	if f.attempts[ProductID(3)] != 1 {
		t.Errorf("a refused product was put %d times, want once", f.attempts[ProductID(3)])
	}
}
