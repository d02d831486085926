package adapters

import (
	"time"

	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// The stored shapes of the stock. They belong to this service alone.

type catalogDocument struct {
	Revision int64                      `json:"revision"`
	Products map[string]productDocument `json:"products"`
	Holds    map[string]holdDocument    `json:"holds"`
	// Settled orders by their decision time, in Unix milliseconds: kept
	// small, since the catalog is written on every reservation.
	Settled map[string]int64 `json:"settled,omitempty"`
}

type productDocument struct {
	Name       string `json:"name"`
	PriceCents int64  `json:"priceCents"`
	Available  int    `json:"available"`
	Reserved   int    `json:"reserved"`
}

type holdDocument struct {
	Status     string         `json:"status"`
	Ref        string         `json:"ref"`
	Items      []itemDocument `json:"items"`
	TotalCents int64          `json:"totalCents"`
	Reason     string         `json:"reason,omitempty"`
	At         time.Time      `json:"at"`
}

type itemDocument struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
}

type reservationDocument struct {
	OrderID    string         `json:"orderId"`
	Status     string         `json:"status"`
	Ref        string         `json:"ref"`
	Items      []itemDocument `json:"items"`
	TotalCents int64          `json:"totalCents"`
	CustomerID string         `json:"customerId"`
	Reason     string         `json:"reason,omitempty"`
	At         time.Time      `json:"at"`
}

func (d catalogDocument) catalog() *inventory.Catalog {
	products := make([]inventory.Product, 0, len(d.Products))
	for id, p := range d.Products {
		products = append(products, inventory.Product{ID: id, Name: p.Name, PriceCents: p.PriceCents, Available: p.Available, Reserved: p.Reserved})
	}
	holds := make(map[string]inventory.Hold, len(d.Holds))
	for orderID, h := range d.Holds {
		holds[orderID] = inventory.Hold{
			Ref: h.Ref, Status: inventory.Status(h.Status), Lines: linesOf(h.Items),
			TotalCents: h.TotalCents, Reason: h.Reason, At: h.At,
		}
	}
	settled := make(map[string]time.Time, len(d.Settled))
	for orderID, ms := range d.Settled {
		settled[orderID] = time.UnixMilli(ms)
	}
	return inventory.RestoreCatalog(d.Revision, products, holds, settled)
}

func catalogDocumentOf(c *inventory.Catalog) catalogDocument {
	d := catalogDocument{Revision: c.Revision(), Products: map[string]productDocument{}, Holds: map[string]holdDocument{}}
	for _, p := range c.Products() {
		d.Products[p.ID] = productDocument{Name: p.Name, PriceCents: p.PriceCents, Available: p.Available, Reserved: p.Reserved}
	}
	for orderID, h := range c.Holds() {
		d.Holds[orderID] = holdDocument{
			Status: string(h.Status), Ref: h.Ref, Items: itemsOf(h.Lines),
			TotalCents: h.TotalCents, Reason: h.Reason, At: h.At,
		}
	}
	if settled := c.Settled(); len(settled) > 0 {
		d.Settled = make(map[string]int64, len(settled))
		for orderID, at := range settled {
			d.Settled[orderID] = at.UnixMilli()
		}
	}
	return d
}

func (d reservationDocument) reservation() inventory.Reservation {
	return inventory.Reservation{
		OrderID: d.OrderID, CustomerID: d.CustomerID, Status: inventory.Status(d.Status), Ref: d.Ref,
		Lines: linesOf(d.Items), TotalCents: d.TotalCents, Reason: d.Reason, At: d.At,
	}
}

func reservationDocumentOf(r inventory.Reservation) reservationDocument {
	return reservationDocument{
		OrderID: r.OrderID, CustomerID: r.CustomerID, Status: string(r.Status), Ref: r.Ref,
		Items: itemsOf(r.Lines), TotalCents: r.TotalCents, Reason: r.Reason, At: r.At,
	}
}

func linesOf(items []itemDocument) []inventory.Line {
	lines := make([]inventory.Line, len(items))
	for i, it := range items {
		lines[i] = inventory.Line{ProductID: it.ProductID, Quantity: it.Quantity}
	}
	return lines
}

func itemsOf(lines []inventory.Line) []itemDocument {
	items := make([]itemDocument, len(lines))
	for i, l := range lines {
		items[i] = itemDocument{ProductID: l.ProductID, Quantity: l.Quantity}
	}
	return items
}
