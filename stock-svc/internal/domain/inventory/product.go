package inventory

import (
	"fmt"
	"regexp"
	"unicode/utf8"
)

// Limits of a product.
const (
	MaxNameLength = 200
	MaxPriceCents = 100_000_000
	MaxAvailable  = 1_000_000_000
)

var productID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ValidProductID tells whether id can name a product.
func ValidProductID(id string) bool { return productID.MatchString(id) }

// Product is one product of the catalog with the units it holds for
// orders. It is stored on its own, so that orders for different products
// never touch the same record.
//
// Invariants, kept by every method: Available and Reserved are never
// negative; Reserved is the sum of the quantities of Holds; a unit leaves
// Available only into a hold, and leaves a hold only back to Available or
// into Sold.
type Product struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"priceCents"`
	Available  int    `json:"available"`
	Reserved   int    `json:"reserved"`
	Sold       int    `json:"sold"`
	// Holds are the units held for orders not settled yet, by order id.
	Holds map[string]Hold `json:"holds,omitempty"`
	// Deleted marks a product taken out of the catalog. It stays stored,
	// so that a late write from a copy made before the deletion is refused
	// by its ETag rather than bringing the product back.
	Deleted bool `json:"deleted,omitempty"`
	// Revision grows with every change, so that of two copies the later
	// one can be told apart.
	Revision int64 `json:"revision"`
}

// Hold is the units of one product held for one order, at the price they
// were held at. Ref names the handler that took them, which tells a hold
// that a reservation stands for from one taken by a handler that came too
// late (see Product.Settle).
type Hold struct {
	Ref        string `json:"ref"`
	Quantity   int    `json:"quantity"`
	PriceCents int64  `json:"priceCents"`
}

// ValidateProduct tells every field that a product cannot have.
func ValidateProduct(id, name string, priceCents int64, available int) error {
	var errs ValidationError
	if !ValidProductID(id) {
		errs = append(errs, FieldError{"id", "must be 1 to 64 letters, digits, '.', '_' or '-'"})
	}
	if n := utf8.RuneCountInString(name); n < 1 || n > MaxNameLength {
		errs = append(errs, FieldError{"name", fmt.Sprintf("must be 1 to %d characters", MaxNameLength)})
	}
	if priceCents < 0 || priceCents > MaxPriceCents {
		errs = append(errs, FieldError{"priceCents", fmt.Sprintf("must be 0 to %d", MaxPriceCents)})
	}
	if available < 0 || available > MaxAvailable {
		errs = append(errs, FieldError{"available", fmt.Sprintf("must be 0 to %d", MaxAvailable)})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Exists tells whether the product is in the catalog: stored and not
// deleted. A product that was never stored is given with its ID alone and
// found false.
func (p *Product) Exists(found bool) bool { return found && !p.Deleted }

// Put creates the product id, or replaces its name, price and available
// units; units held for orders stay held. found tells whether p was
// stored.
func (p *Product) Put(found bool, id, name string, priceCents int64, available int) error {
	if err := ValidateProduct(id, name, priceCents, available); err != nil {
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

func (p *Product) changed() { p.Revision++ }
