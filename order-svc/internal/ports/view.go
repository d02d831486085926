package ports

import (
	"time"

	"github.com/example/order-saga/order-svc/internal/domain/order"
)

// orderView is an order as the API shows it.
type orderView struct {
	ID         string             `json:"id"`
	CustomerID string             `json:"customerId"`
	Items      []order.Item       `json:"items"`
	Status     order.Status       `json:"status"`
	Reason     string             `json:"reason"`
	TotalCents int64              `json:"totalCents"`
	CreatedAt  time.Time          `json:"createdAt"`
	UpdatedAt  time.Time          `json:"updatedAt"`
	History    []order.Transition `json:"history"`
}

func view(o order.Order) orderView {
	items := o.Items
	if items == nil {
		items = []order.Item{}
	}
	return orderView{
		ID: o.ID, CustomerID: o.CustomerID, Items: items, Status: o.Status, Reason: o.Reason,
		TotalCents: o.TotalCents, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, History: o.History,
	}
}
