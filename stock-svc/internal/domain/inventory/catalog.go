package inventory

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// Catalog is the whole stock in one aggregate: the products and the hold of
// every order being decided or waiting for payment. Keeping them together
// is what makes a reservation of several products all-or-nothing.
//
// Every change raises the revision, so that of two copies the later one can
// be told apart.
type Catalog struct {
	revision int64
	products map[string]Product
	holds    map[string]Hold
	// settled remembers, for a short while, the orders whose hold ended
	// (sold, released, or a refusal recorded), by the time of their
	// decision: a handler of the same order that read "no record" before
	// the record existed must not take units for it afresh.
	settled map[string]time.Time
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog { return RestoreCatalog(0, nil, nil, nil) }

// RestoreCatalog rebuilds a catalog that was stored.
func RestoreCatalog(revision int64, products []Product, holds map[string]Hold, settled map[string]time.Time) *Catalog {
	c := &Catalog{revision: revision, products: make(map[string]Product, len(products)), holds: make(map[string]Hold, len(holds)),
		settled: make(map[string]time.Time, len(settled))}
	for _, p := range products {
		c.products[p.ID] = p
	}
	maps.Copy(c.holds, holds)
	maps.Copy(c.settled, settled)
	return c
}

// Settled returns the recently settled orders, by the time of their
// decision.
func (c *Catalog) Settled() map[string]time.Time { return maps.Clone(c.settled) }

// Revision grows with every change.
func (c *Catalog) Revision() int64 { return c.revision }

// Products returns every product, sorted by id.
func (c *Catalog) Products() []Product {
	ps := slices.Collect(maps.Values(c.products))
	slices.SortFunc(ps, func(a, b Product) int { return strings.Compare(a.ID, b.ID) })
	return ps
}

// Product returns the product id.
func (c *Catalog) Product(id string) (Product, bool) {
	p, ok := c.products[id]
	return p, ok
}

// Hold returns the hold of an order.
func (c *Catalog) Hold(orderID string) (Hold, bool) {
	h, ok := c.holds[orderID]
	return h, ok
}

// Holds returns the hold of every order, by order id.
func (c *Catalog) Holds() map[string]Hold { return maps.Clone(c.holds) }

// PutProduct creates the product id, or replaces its name, price and
// available units. Units reserved for orders stay reserved.
func (c *Catalog) PutProduct(id, name string, priceCents int64, available int) (Product, error) {
	if err := ValidateProduct(id, name, priceCents, available); err != nil {
		return Product{}, err
	}
	p := c.products[id]
	p.ID, p.Name, p.PriceCents, p.Available = id, name, priceCents, available
	c.products[id] = p
	c.changed()
	return p, nil
}

func (c *Catalog) changed() { c.revision++ }
