package ports_test

import (
	"testing"

	"github.com/example/order-saga/contracts"
)

func TestStockEvents(t *testing.T) {
	t.Parallel()
	valid := stockReserved("o1", "c1", 100)
	tests := []struct {
		name          string
		event         any
		wantPoison    bool // dead-lettered; otherwise acknowledged
		wantPublished int
	}{
		{"a valid reservation is charged and announced", valid, false, 1},
		{"a free order is charged and announced", stockReserved("o1", "c1", 0), false, 1},
		{"a reservation without order id is poison", stockReserved("", "c1", 100), true, 0},
		// A poison reservation of a valid order is refused, charging
		// nothing, and the refusal announced, so the order still ends.
		{"a reservation without customer id is poison, and refused", stockReserved("o1", "", 100), true, 1},
		{"a reservation with a negative total is poison, and refused", stockReserved("o1", "c1", -1), true, 1},
		{"a reservation without items is poison, and refused", func() contracts.StockReserved { e := valid; e.Items = nil; return e }(), true, 1},
		{"a reservation that is not an object is poison", []int{1}, true, 0},
		{"a stock failure is none of payment's business", contracts.StockFailed{Header: contracts.NewHeader(contracts.TypeStockFailed, "o1", valid.OccurredAt)}, false, 0},
		{"a release after a failed payment needs nothing more", contracts.StockReleased{Header: contracts.NewHeader(contracts.TypeStockReleased, "o1", valid.OccurredAt), Items: valid.Items}, false, 0},
		{"a release of a canceled order voids its payment, and says so", contracts.StockReleased{Header: contracts.NewHeader(contracts.TypeStockReleased, "o1", valid.OccurredAt), Items: valid.Items, CustomerID: "c1", Canceled: true}, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			want := "SUCCESS"
			if tt.wantPoison {
				want = "DROP"
			}
			if got := f.deliver(t, tt.event); got != want {
				t.Fatalf("answered %q, want %q", got, want)
			}
			if got := f.published.count(); got != tt.wantPublished {
				t.Fatalf("published %d events, want %d", got, tt.wantPublished)
			}
			if !tt.wantPoison {
				return
			}
			if w := f.do(t, "GET", "/wallets/c1", "", ""); w.body["balanceCents"] != float64(openingBalance) {
				t.Fatalf("a poison reservation charged the wallet: %v", w.body)
			}
			p := f.do(t, "GET", "/payments/o1", "", "")
			if tt.wantPublished > 0 && (p.status != 200 || p.body["status"] != "FAILED" || p.body["amountCents"] != 0.0) {
				t.Fatalf("the refusal was not recorded as a failed payment of nothing: %d %v", p.status, p.body)
			}
		})
	}
}
