package ports_test

import (
	"testing"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/pubsub"
)

func TestStockEvents(t *testing.T) {
	t.Parallel()
	valid := stockReserved("o1", "c1", 100)
	tests := []struct {
		name          string
		eventType     string
		event         any
		wantPoison    bool
		wantPublished int
	}{
		{"a valid reservation is charged and announced", contracts.TypeStockReserved, valid, false, 1},
		{"a free order is charged and announced", contracts.TypeStockReserved, stockReserved("o1", "c1", 0), false, 1},
		{"a reservation without order id is poison", contracts.TypeStockReserved, stockReserved("", "c1", 100), true, 0},
		{"a reservation without customer id is poison", contracts.TypeStockReserved, stockReserved("o1", "", 100), true, 0},
		{"a reservation with a negative total is poison", contracts.TypeStockReserved, stockReserved("o1", "c1", -1), true, 0},
		{"a reservation without items is poison", contracts.TypeStockReserved, func() contracts.StockReserved { e := valid; e.Items = nil; return e }(), true, 0},
		{"a reservation that is not an object is poison", contracts.TypeStockReserved, []int{1}, true, 0},
		{"a stock failure is none of payment's business", contracts.TypeStockFailed, contracts.StockFailed{Header: contracts.NewHeader(contracts.TypeStockFailed, "o1", valid.OccurredAt)}, false, 0},
		{"a stock release is none of payment's business", contracts.TypeStockReleased, contracts.StockReleased{Header: contracts.NewHeader(contracts.TypeStockReleased, "o1", valid.OccurredAt)}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			err := f.deliver(t, tt.eventType, tt.event)
			if pubsub.IsPoison(err) != tt.wantPoison || (!tt.wantPoison && err != nil) {
				t.Fatalf("err = %v, want poison: %v", err, tt.wantPoison)
			}
			if got := f.published.count(); got != tt.wantPublished {
				t.Fatalf("published %d events, want %d", got, tt.wantPublished)
			}
		})
	}
}
