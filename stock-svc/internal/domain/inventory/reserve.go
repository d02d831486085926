package inventory

import (
	"fmt"
	"slices"
	"time"
)

// Reserve decides for an order: either every unit it asks for is taken from
// the available units and held, or none is and the order is refused with a
// reason. An order that already has a hold gets that hold back, whatever
// lines it brings, so that an order handled twice is decided once. fresh
// tells whether this call took the decision.
func (c *Catalog) Reserve(orderID string, lines []Line, ref string, at time.Time) (h Hold, fresh bool, err error) {
	if h, ok := c.holds[orderID]; ok {
		return h, false, nil
	}
	if _, ok := c.settled[orderID]; ok {
		// Decided, recorded and settled already: nothing to take. The
		// caller finds the record and announces what it says.
		return Hold{}, false, nil
	}
	if err := checkOrder(orderID, lines); err != nil {
		return Hold{}, false, err
	}
	wanted, order := quantities(lines)
	h = Hold{Ref: ref, Status: StatusReserved, Lines: slices.Clone(lines), At: at}
	if reason := c.shortfall(wanted, order); reason != "" {
		h.Status, h.Reason = StatusFailed, reason
	} else {
		for _, id := range order {
			p := c.products[id]
			p.Available -= wanted[id]
			p.Reserved += wanted[id]
			c.products[id] = p
			h.TotalCents += p.PriceCents * int64(wanted[id])
		}
	}
	c.holds[orderID] = h
	c.changed()
	return h, true, nil
}

// shortfall names the first product that cannot give what is wanted, or
// returns "" when every one can.
func (c *Catalog) shortfall(wanted map[string]int, order []string) string {
	for _, id := range order {
		p, ok := c.products[id]
		if !ok {
			return "unknown product " + id
		}
		if p.Available < wanted[id] {
			return fmt.Sprintf("insufficient stock for %s: want %d, available %d", id, wanted[id], p.Available)
		}
	}
	return ""
}

func checkOrder(orderID string, lines []Line) error {
	if orderID == "" {
		return ErrNoOrderID
	}
	if len(lines) == 0 {
		return ErrNoLines
	}
	for _, l := range lines {
		if l.ProductID == "" {
			return ErrNoProductID
		}
		if l.Quantity <= 0 {
			return ErrInvalidQuantity
		}
	}
	return nil
}
