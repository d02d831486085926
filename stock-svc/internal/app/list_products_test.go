package app_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/app"
)

func TestTheCatalogIsPagedInAStableOrderWithEveryProductOnce(t *testing.T) {
	t.Parallel()
	r, _ := seeded(t, &recordingPublisher{})
	for i := range 2500 {
		_, err := r.put.Handle(context.Background(), product(fmt.Sprintf("p-%05d", i), "p", 1, 1))
		must(t, err)
	}
	deleted := "p-00042"
	must(t, app.DeleteProductHandler{Stock: r.stock}.Handle(context.Background(), app.DeleteProduct{ID: deleted}))
	list := app.ListProductsHandler{Products: r.products}

	walk := func(limit int) []string {
		var ids []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > 3000 {
				t.Fatal("the pages never end")
			}
			page, next, err := list.Handle(context.Background(), app.ListProducts{After: after, Limit: limit})
			must(t, err)
			if len(page) > limit {
				t.Fatalf("a page of %d for a limit of %d", len(page), limit)
			}
			for _, p := range page {
				ids = append(ids, p.ID)
			}
			if next == "" {
				return ids
			}
			after = next
		}
	}
	byThousand, byHundred := walk(app.MaxPageSize), walk(100)
	if fmt.Sprint(byThousand) != fmt.Sprint(byHundred) {
		t.Fatal("two walks with other page sizes see other orders")
	}
	seen := map[string]bool{}
	for _, id := range byThousand {
		if seen[id] {
			t.Fatalf("%s listed twice", id)
		}
		seen[id] = true
	}
	if len(seen) != 2500-1+2 || seen[deleted] || !seen["grinder"] {
		t.Fatalf("%d products listed (deleted one listed: %v), want every product but the deleted one", len(seen), seen[deleted])
	}
}

func TestAPageOutOfBoundsNamesTheField(t *testing.T) {
	t.Parallel()
	r, _ := seeded(t, &recordingPublisher{})
	list := app.ListProductsHandler{Products: r.products}
	for _, q := range []struct {
		query app.ListProducts
		field string
	}{{app.ListProducts{Limit: 0}, "limit"}, {app.ListProducts{Limit: app.MaxPageSize + 1}, "limit"}, {app.ListProducts{Limit: 1, After: "a||b"}, "after"}} {
		_, _, err := list.Handle(context.Background(), q.query)
		var invalid *contracts.Error
		if !errors.As(err, &invalid) || invalid.Kind != contracts.KindInvalid || invalid.Fields[0].Field != q.field {
			t.Errorf("%+v: got %v, want %s named", q.query, err, q.field)
		}
	}
}
