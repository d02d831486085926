package inventory_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

var decidedAt = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// shop returns a catalog of a grinder (3 available) and a cup (5).
func shop(t *testing.T) *inventory.Catalog {
	t.Helper()
	c := inventory.NewCatalog()
	for _, p := range []inventory.Product{
		{ID: "grinder", Name: "Burr grinder", PriceCents: 8900, Available: 3},
		{ID: "cup", Name: "Espresso cup", PriceCents: 650, Available: 5},
	} {
		if _, err := c.PutProduct(p.ID, p.Name, p.PriceCents, p.Available); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func stock(c *inventory.Catalog) map[string][2]int {
	m := map[string][2]int{}
	for _, p := range c.Products() {
		m[p.ID] = [2]int{p.Available, p.Reserved}
	}
	return m
}

func reserve(t *testing.T, c *inventory.Catalog, orderID, ref string, lines ...inventory.Line) inventory.Hold {
	t.Helper()
	h, _, err := c.Reserve(orderID, lines, ref, decidedAt)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestPutProductKeepsTheUnitsReservedForOrders(t *testing.T) {
	t.Parallel()
	c := shop(t)
	reserve(t, c, "o1", "r1", inventory.Line{ProductID: "cup", Quantity: 2})
	p, err := c.PutProduct("cup", "Big cup", 700, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := inventory.Product{ID: "cup", Name: "Big cup", PriceCents: 700, Available: 10, Reserved: 2}
	if p != want {
		t.Fatalf("got %+v, want %+v", p, want)
	}
}

func TestPutProductNamesEveryBadField(t *testing.T) {
	t.Parallel()
	_, err := inventory.NewCatalog().PutProduct("no spaces", "", -1, inventory.MaxAvailable+1)
	var invalid inventory.ValidationError
	if !errors.As(err, &invalid) {
		t.Fatalf("got %v, want a ValidationError", err)
	}
	var fields []string
	for _, f := range invalid {
		fields = append(fields, f.Field)
	}
	if want := []string{"id", "name", "priceCents", "available"}; !reflect.DeepEqual(fields, want) {
		t.Fatalf("fields %v, want %v", fields, want)
	}
}

func TestProductsAreSortedById(t *testing.T) {
	t.Parallel()
	var ids []string
	for _, p := range shop(t).Products() {
		ids = append(ids, p.ID)
	}
	if want := []string{"cup", "grinder"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("ids %v, want %v", ids, want)
	}
}

func TestRevisionGrowsOnlyWithAChange(t *testing.T) {
	t.Parallel()
	c := shop(t)
	before := c.Revision()
	if _, ok := c.Sell("nobody", "r"); ok {
		t.Fatal("sold a hold that does not exist")
	}
	if c.Revision() != before {
		t.Fatal("a change that changed nothing raised the revision")
	}
	reserve(t, c, "o1", "r1", inventory.Line{ProductID: "cup", Quantity: 1})
	if c.Revision() <= before {
		t.Fatal("a reservation did not raise the revision")
	}
}
