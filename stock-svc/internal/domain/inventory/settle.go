package inventory

import "time"

// Sell takes the units held by the reservation ref of an order out of stock
// for good. ok is false when there is no such hold, which is the case once
// it was sold or released.
func (c *Catalog) Sell(orderID, ref string) (sold Hold, ok bool) {
	h, ok := c.heldBy(orderID, ref)
	if !ok {
		return Hold{}, false
	}
	c.unhold(h, false)
	c.settle(orderID, h)
	return h, true
}

// Release gives the units held by the reservation ref of an order back to
// the available units. ok is false when there is no such hold.
func (c *Catalog) Release(orderID, ref string) (released Hold, ok bool) {
	h, ok := c.heldBy(orderID, ref)
	if !ok {
		return Hold{}, false
	}
	c.unhold(h, true)
	c.settle(orderID, h)
	return h, true
}

// Tidy drops the hold of an order when its reservation record does not
// account for it, and gives back the units such a hold had reserved. A
// failed decision is dropped once recorded; a hold with another ref than
// the record's was decided by a handler that lost the race to record.
func (c *Catalog) Tidy(r Reservation) bool {
	h, ok := c.holds[r.OrderID]
	if !ok || r.Accounts(h) {
		return false
	}
	if h.Status == StatusReserved {
		c.unhold(h, true)
	}
	c.settle(r.OrderID, h)
	return true
}

// settle ends the hold of an order and remembers that it did.
func (c *Catalog) settle(orderID string, h Hold) {
	delete(c.holds, orderID)
	c.settled[orderID] = h.At
	c.changed()
}

// PruneSettled forgets the settled orders decided before cutoff, and tells
// how many it forgot. By then no handler of theirs is still deciding.
func (c *Catalog) PruneSettled(cutoff time.Time) int {
	n := 0
	for orderID, at := range c.settled {
		if at.Before(cutoff) {
			delete(c.settled, orderID)
			n++
		}
	}
	if n > 0 {
		c.changed()
	}
	return n
}

// PruneFailedHolds forgets the failed decisions taken before cutoff, which
// their reservation records remember, and tells how many it forgot.
func (c *Catalog) PruneFailedHolds(cutoff time.Time) int {
	n := 0
	for orderID, h := range c.holds {
		if h.Status == StatusFailed && h.At.Before(cutoff) {
			delete(c.holds, orderID)
			n++
		}
	}
	if n > 0 {
		c.changed()
	}
	return n
}

func (c *Catalog) heldBy(orderID, ref string) (Hold, bool) {
	h, ok := c.holds[orderID]
	if !ok || h.Status != StatusReserved || h.Ref != ref {
		return Hold{}, false
	}
	return h, true
}

// unhold ends what a reserved hold holds: the units go back to the
// available ones when restock is true, and leave the stock otherwise.
func (c *Catalog) unhold(h Hold, restock bool) {
	wanted, _ := quantities(h.Lines)
	for id, q := range wanted {
		p, ok := c.products[id]
		if !ok {
			continue
		}
		p.Reserved = max(p.Reserved-q, 0)
		if restock {
			p.Available += q
		}
		c.products[id] = p
	}
}
