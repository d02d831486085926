package inventory

import "time"

// Hold is the decision the catalog took for one order: its units are held
// (StatusReserved) or the order was refused (StatusFailed). Ref tells one
// decision from another for the same order, which exist only when two
// handlers decided apart; see Catalog.Tidy.
type Hold struct {
	Ref        string
	Status     Status
	Lines      []Line
	TotalCents int64
	Reason     string
	At         time.Time
}

// Units is the number of units the order asked for.
func (h Hold) Units() int {
	n := 0
	for _, l := range h.Lines {
		n += l.Quantity
	}
	return n
}

// quantities sums the lines by product, since an order may name a product
// on several lines, and gives the products in their first order.
func quantities(lines []Line) (map[string]int, []string) {
	sum := make(map[string]int, len(lines))
	var order []string
	for _, l := range lines {
		if _, seen := sum[l.ProductID]; !seen {
			order = append(order, l.ProductID)
		}
		sum[l.ProductID] += l.Quantity
	}
	return sum, order
}
