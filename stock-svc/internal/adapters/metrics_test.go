package adapters_test

import (
	"fmt"
	"testing"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/obs"
	"github.com/example/order-saga/stock-svc/internal/adapters"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

func TestStockGaugesAreBoundedWhateverTheSizeOfTheCatalog(t *testing.T) {
	t.Parallel()
	m := obs.NewMetrics(contracts.AppStock)
	metrics := adapters.NewMetrics(m)
	for i := range 5000 {
		metrics.StockLevel(inventory.Product{ID: fmt.Sprintf("p-%d", i), Available: 1, Revision: 1})
	}
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "saga_stock_available" && len(f.GetMetric()) > 1000 {
			t.Fatalf("%d series of saga_stock_available", len(f.GetMetric()))
		}
	}
}
