package app

import (
	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

func linesOf(items []contracts.Item) []inventory.Line {
	lines := make([]inventory.Line, len(items))
	for i, it := range items {
		lines[i] = inventory.Line{ProductID: it.ProductID, Quantity: it.Quantity}
	}
	return lines
}

func itemsOf(lines []inventory.Line) []contracts.Item {
	items := make([]contracts.Item, len(lines))
	for i, l := range lines {
		items[i] = contracts.Item{ProductID: l.ProductID, Quantity: l.Quantity}
	}
	return items
}
