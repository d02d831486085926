// Package app holds the use cases of the stock: one file per use case.
package app

import (
	"crypto/rand"
	"errors"
	"log/slog"
	"time"
)

// ErrProductNotFound is returned for a product the catalog does not have.
var ErrProductNotFound = errors.New("product not found")

// Application runs the use cases of the stock.
type Application struct {
	catalog      CatalogRepository
	reservations ReservationRepository
	publisher    Publisher
	metrics      Metrics
	log          *slog.Logger
	now          func() time.Time
}

// Deps is what the application is built from. Now defaults to time.Now.
type Deps struct {
	Catalog      CatalogRepository
	Reservations ReservationRepository
	Publisher    Publisher
	Metrics      Metrics
	Log          *slog.Logger
	Now          func() time.Time
}

// New returns the application over d.
func New(d Deps) *Application {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Application{
		catalog: d.Catalog, reservations: d.Reservations, publisher: d.Publisher,
		metrics: d.Metrics, log: d.Log, now: d.Now,
	}
}

// newRef names a decision, so that two decisions for one order, taken by
// two handlers at once, can be told apart.
func newRef() string { return rand.Text() }
