package bench

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/example/order-saga/loadgen/internal/runner"
)

func TestAComparisonMeasuresBothCatalogsAHotProductAndMoreStockInstances(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(*Options)
		want   []Catalog
	}{
		{"the defaults: half the orders on the hot product, two instances", func(*Options) {}, []Catalog{
			{Products: 4, StockReplicas: 1}, {Products: 100_000, StockReplicas: 1},
			{Products: 100_000, Hot: 0.5, StockReplicas: 1}, {Products: 100_000, StockReplicas: 2},
		}},
		{"the hot share and the instances as asked", func(o *Options) { o.Hot, o.StockReplicas = 0.2, 3 }, []Catalog{
			{Products: 4, StockReplicas: 1}, {Products: 100_000, StockReplicas: 1},
			{Products: 100_000, Hot: 0.2, StockReplicas: 1}, {Products: 100_000, StockReplicas: 3},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := Defaults()
			o.CompareCatalog = 100_000
			tc.change(&o)
			if got := comparedCatalogs(o); !slices.Equal(got, tc.want) {
				t.Fatalf("compared %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStockSvcCPUCountsEveryInstanceAndNoSidecar(t *testing.T) {
	t.Parallel()
	cpu := map[string]float64{
		"stock-svc": 10, "stock-svc-2": 5, "stock-svc/dapr": 100, "stock-svc-2/dapr": 100,
		"order-svc": 1000, "redis": 1000, SelfName: 1000,
	}
	if got := appCPU(cpu, "stock-svc"); got != 15 {
		t.Fatalf("stock-svc used %g ms, want 15", got)
	}
}

func TestAComparisonPrintsOneMarkdownRowPerConfiguration(t *testing.T) {
	t.Parallel()
	run := func(perSecond float64, finished int64, stack, stock float64) (Run, float64) {
		return Run{Load: &runner.Result{Finished: finished, FinishedPerSecond: perSecond}, StackCPUMs: stack, WallSeconds: 10}, stock
	}
	small, smallStock := run(500, 1000, 2000, 200)
	large, largeStock := run(400, 800, 2400, 480)
	c := &Comparison{Options: Defaults(), Cases: []Case{
		{Catalog: Catalog{Products: 4, StockReplicas: 1}, Saturation: small, StockCPUMs: smallStock},
		{Catalog: Catalog{Products: 100_000, Hot: 0.5, StockReplicas: 1}, Saturation: large, StockCPUMs: largeStock},
		{Catalog: Catalog{Products: 100_000, StockReplicas: 2}, Error: "start the stack: no daprd"},
	}}
	var out bytes.Buffer

	PrintComparison(&out, c)

	for _, want := range []string{
		"| configuration | orders/s | CPU ms per order (stack) | stock-svc CPU ms per order |",
		"| 4 products, uniform, 1 stock-svc | 500 | 2.000 | 0.200 (10%) |",
		"| 100000 products, 50% of orders on one hot product, 1 stock-svc | 400 | 3.000 | 0.600 (20%) |",
		"| 100000 products, uniform, 2 stock-svc | - | - | - |",
		"failed: start the stack: no daprd",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no line %q in\n%s", want, out.String())
		}
	}
}
