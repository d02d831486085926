// Package inventory is the stock of the shop: products, the units held for
// orders, and the decision taken for each order. It is plain Go, with no
// storage or messaging in it, so that its rules can be tested alone.
package inventory

import (
	"fmt"
	"unicode/utf8"

	"github.com/example/order-saga/contracts"
)

// Limits of a product. Its id follows the rule of every id
// (contracts.ValidID).
const (
	MaxNameLength = 200
	MaxPriceCents = 100_000_000
	MaxAvailable  = 1_000_000_000
)

// ErrProductHeld is returned for a product that cannot be deleted while it
// holds units for orders.
var ErrProductHeld = contracts.Conflict("product-held", "the product holds units for orders not settled yet; try again once they are")

// Refusal is the reason an order cannot have its units: an unknown
// product, or not enough of one. It is a decision, not a failure.
type Refusal struct{ Reason string }

func (r Refusal) Error() string { return r.Reason }

// Product is one product of the catalog with the units it holds for
// orders. It is stored on its own, so that orders for different products
// never touch the same record.
//
// Invariants, kept by every method: Available and Reserved are never
// negative; Reserved is the sum of the quantities of Holds; a unit leaves
// Available only into a hold, and leaves a hold only back to Available or
// into Sold.
type Product struct {
	ID         string
	Name       string
	PriceCents int64
	Available  int
	Reserved   int
	Sold       int
	// Holds are the units held for orders not settled yet, by order id.
	Holds map[string]Hold
	// Returned are the units that came back from orders canceled after
	// they were sold, by order id, so that each comes back once.
	Returned map[string]int
	// Deleted marks a product taken out of the catalog. It stays stored,
	// so that a late write from a copy made before the deletion is refused
	// by its ETag rather than bringing the product back.
	Deleted bool
	// Revision grows with every change, so that of two copies the later
	// one can be told apart.
	Revision int64
}

// Hold is the units of one product held for one order, at the price they
// were held at. Ref names the handler that took them, which tells a hold
// that a reservation stands for from one taken by a handler that came too
// late (see Product.Settle).
type Hold struct {
	Ref        string
	Quantity   int
	PriceCents int64
}

// CheckProduct names every field that a product cannot have; none when it
// can be stored.
func CheckProduct(id, name string, priceCents int64, available int) contracts.FieldErrors {
	var errs contracts.FieldErrors
	if !contracts.ValidID(id) {
		errs.Add("id", contracts.IDRule)
	}
	if n := utf8.RuneCountInString(name); n < 1 || n > MaxNameLength {
		errs.Add("name", fmt.Sprintf("must be 1 to %d characters", MaxNameLength))
	}
	if priceCents < 0 || priceCents > MaxPriceCents {
		errs.Add("priceCents", fmt.Sprintf("must be 0 to %d", MaxPriceCents))
	}
	if available < 0 || available > MaxAvailable {
		errs.Add("available", fmt.Sprintf("must be 0 to %d", MaxAvailable))
	}
	return errs
}

// Exists tells whether the product is in the catalog: stored and not
// deleted. A product that was never stored is given with its ID alone and
// found false.
func (p *Product) Exists(found bool) bool { return found && !p.Deleted }

// Put creates the product id, or replaces its name, price and available
// units; units held for orders stay held. found tells whether p was
// stored. Values a product cannot have are refused as invalid, each bad
// field named.
func (p *Product) Put(found bool, id, name string, priceCents int64, available int) error {
	if err := CheckProduct(id, name, priceCents, available).Err(); err != nil {
		return err
	}
	if !p.Exists(found) {
		// A product created again after a deletion starts afresh.
		*p = Product{Revision: p.Revision}
	}
	p.ID, p.Name, p.PriceCents, p.Available = id, name, priceCents, available
	p.changed()
	return nil
}

// Delete takes the product out of the catalog. A product that holds units
// for an order cannot be deleted.
func (p *Product) Delete() error {
	if len(p.Holds) > 0 {
		return ErrProductHeld
	}
	*p = Product{ID: p.ID, Deleted: true, Revision: p.Revision}
	p.changed()
	return nil
}

// Hold takes quantity units for the order orderID, unless the order holds
// units of this product already: then that hold is returned, untouched,
// and taken is false. An order that cannot have its units is refused with
// a Refusal.
func (p *Product) Hold(found bool, orderID, ref string, quantity int) (h Hold, taken bool, err error) {
	if !p.Exists(found) {
		return Hold{}, false, Refusal{Reason: "unknown product " + p.ID}
	}
	if h, ok := p.Holds[orderID]; ok {
		return h, false, nil
	}
	if quantity > p.Available {
		return Hold{}, false, Refusal{Reason: fmt.Sprintf("insufficient stock for %s: want %d, available %d", p.ID, quantity, p.Available)}
	}
	h = Hold{Ref: ref, Quantity: quantity, PriceCents: p.PriceCents}
	if p.Holds == nil {
		p.Holds = map[string]Hold{}
	}
	p.Holds[orderID] = h
	p.Available -= quantity
	p.Reserved += quantity
	p.changed()
	return h, true, nil
}

// Settle ends the hold of an order as its reservation r decided, and tells
// how many units it sold and whether it changed anything:
//   - the hold r stands for stays while r waits for payment, leaves the
//     stock when r is sold, and goes back to Available when r is released;
//   - any other hold of the order (r refused it, or it was taken by a
//     handler that came after r was decided) goes back to Available.
//
// A product with no hold for the order is left as it is, so settling
// again, from any replica, changes nothing.
func (p *Product) Settle(r Reservation) (sold int, changed bool) {
	if r.Status == StatusReturned {
		return 0, p.giveBack(r)
	}
	h, ok := p.Holds[r.OrderID]
	if !ok {
		return 0, false
	}
	standing := r.Granted() && r.Holds[p.ID] == h.Ref
	if standing && r.Status == StatusReserved {
		return 0, false
	}
	delete(p.Holds, r.OrderID)
	p.Reserved -= h.Quantity
	if standing && r.Status == StatusSold {
		p.Sold += h.Quantity
		sold = h.Quantity
	} else {
		p.Available += h.Quantity
	}
	p.changed()
	return sold, true
}

// giveBack brings back to Available what an order canceled after it was
// sold (a RETURNED reservation) took of this product: a hold still here
// goes back, and the units its standing hold sold come back from Sold,
// once (Returned remembers the order).
func (p *Product) giveBack(r Reservation) bool {
	changed := false
	h, held := p.Holds[r.OrderID]
	standing := held && r.Holds[p.ID] == h.Ref
	if held {
		delete(p.Holds, r.OrderID)
		p.Reserved -= h.Quantity
		p.Available += h.Quantity
		changed = true
	}
	if _, done := p.Returned[r.OrderID]; done || r.Holds[p.ID] == "" {
		if changed {
			p.changed()
		}
		return changed
	}
	units := 0
	for _, w := range r.Wanted() {
		if w.ProductID == p.ID {
			units = w.Quantity
		}
	}
	if standing {
		// Never settled here as sold: its units went back just above.
		units = h.Quantity
	} else {
		// The standing hold was settled as sold, the only way it leaves.
		p.Sold -= units
		p.Available += units
	}
	if p.Returned == nil {
		p.Returned = map[string]int{}
	}
	p.Returned[r.OrderID] = units
	p.changed()
	return true
}

func (p *Product) changed() { p.Revision++ }
