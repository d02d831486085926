package service

import "github.com/example/order-saga/stock-svc/internal/domain/inventory"

// starterCatalog is the catalog of a first start, when none is stored.
var starterCatalog = []inventory.Product{
	{ID: "coffee-beans", Name: "Coffee beans 1 kg", PriceCents: 1899, Available: 500},
	{ID: "espresso-cup", Name: "Espresso cup", PriceCents: 650, Available: 200},
	{ID: "grinder", Name: "Burr grinder", PriceCents: 8900, Available: 20},
	{ID: "kettle", Name: "Gooseneck kettle", PriceCents: 4500, Available: 50},
	{ID: "filter-papers", Name: "Filter papers x100", PriceCents: 399, Available: 1000},
}
