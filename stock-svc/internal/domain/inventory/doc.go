// Package inventory is the stock of the shop: products, the units held for
// orders, and the decision taken for each order. It is plain Go, with no
// storage or messaging in it, so that its rules can be tested alone.
package inventory
