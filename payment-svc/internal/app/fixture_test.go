package app_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/adapters"
	"github.com/example/order-saga/payment-svc/internal/app"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
	"github.com/example/order-saga/platform/statestore"
)

const (
	storeName      = "paymentstore"
	openingBalance = 100000
)

var errInjected = errors.New("injected failure")

// world is one state store and one broker that replicas of the service
// share. Each replica has its own Store instances, as separate processes
// would.
type world struct {
	t         *testing.T
	backend   *statestore.Memory
	published *fakeEvents
	recorded  *fakeMetrics
	ticks     atomic.Int64
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return &world{t: t, backend: statestore.NewMemory(), published: &fakeEvents{}, recorded: &fakeMetrics{}}
}

// clock moves one second on every reading, so that two decisions made at
// different moments have different times.
func (w *world) clock() time.Time {
	return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(w.ticks.Add(1)) * time.Second)
}

type replica struct {
	charge   app.ChargeOrderHandler
	wallets  app.Wallets
	payments app.Payments
}

// replica starts a replica. The wrappers, when given, stand between it and
// its repositories to inject faults.
func (w *world) replica(wrapWallets func(app.Wallets) app.Wallets, wrapPayments func(app.Payments) app.Payments) replica {
	w.t.Helper()
	walletRepo, err := adapters.NewWalletRepository(w.backend, storeName, openingBalance)
	if err != nil {
		w.t.Fatal(err)
	}
	var wallets app.Wallets = walletRepo
	var payments app.Payments = adapters.NewPaymentRepository(w.backend, storeName)
	if wrapWallets != nil {
		wallets = wrapWallets(wallets)
	}
	if wrapPayments != nil {
		payments = wrapPayments(payments)
	}
	log := slog.New(slog.DiscardHandler)
	return replica{
		charge: app.ChargeOrderHandler{
			Wallets: wallets, Payments: payments, Events: w.published, Metrics: w.recorded, Log: log, Now: w.clock,
		},
		wallets:  wallets,
		payments: payments,
	}
}

func (w *world) balance(customerID string) int64 {
	w.t.Helper()
	wl, err := w.replica(nil, nil).wallets.Get(context.Background(), customerID)
	if err != nil {
		w.t.Fatal(err)
	}
	return wl.BalanceCents()
}

func (w *world) pending(customerID string) map[string]wallet.Decision {
	w.t.Helper()
	wl, err := w.replica(nil, nil).wallets.Get(context.Background(), customerID)
	if err != nil {
		w.t.Fatal(err)
	}
	return wl.Charges()
}

// publishedEvent is one announcement: the event type (a contracts type
// constant) and the payment it announces.
type publishedEvent struct {
	eventType string
	payment   wallet.Payment
}

// fakeEvents records what the handler announces, and fails the next
// announcements when told to.
type fakeEvents struct {
	mu       sync.Mutex
	events   []publishedEvent
	failures int
}

func (p *fakeEvents) PaymentCompleted(_ context.Context, pay wallet.Payment) error {
	return p.publish(contracts.TypePaymentCompleted, pay)
}

func (p *fakeEvents) PaymentFailed(_ context.Context, pay wallet.Payment) error {
	return p.publish(contracts.TypePaymentFailed, pay)
}

func (p *fakeEvents) PaymentRefunded(_ context.Context, pay wallet.Payment) error {
	return p.publish(contracts.TypePaymentRefunded, pay)
}

func (p *fakeEvents) publish(eventType string, pay wallet.Payment) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failures > 0 {
		p.failures--
		return errInjected
	}
	p.events = append(p.events, publishedEvent{eventType, pay})
	return nil
}

func (p *fakeEvents) failNext(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures = n
}

// of returns what was published for an order, in order.
func (p *fakeEvents) of(orderID string) []publishedEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []publishedEvent
	for _, e := range p.events {
		if e.payment.OrderID == orderID {
			out = append(out, e)
		}
	}
	return out
}

type fakeMetrics struct {
	mu       sync.Mutex
	payments []wallet.Payment
}

func (m *fakeMetrics) PaymentRecorded(p wallet.Payment) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.payments = append(m.payments, p)
}

func (m *fakeMetrics) PaymentRefunded(p wallet.Payment) { m.PaymentRecorded(p) }

func (m *fakeMetrics) count(s wallet.Status) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, p := range m.payments {
		if p.Status == s {
			n++
		}
	}
	return n
}

// stalePayments always reads "no record", as a handler does that looked
// just before another one saved it.
type stalePayments struct{ app.Payments }

func (stalePayments) Get(context.Context, string) (wallet.Payment, bool, error) {
	return wallet.Payment{}, false, nil
}

// failingCreate cannot save payment records, as when the process dies
// right after deciding.
type failingCreate struct{ app.Payments }

func (failingCreate) Create(context.Context, wallet.Payment) (wallet.Payment, bool, error) {
	return wallet.Payment{}, false, errInjected
}

// walletsFailingAfter lets n wallet updates through, then fails the rest.
type walletsFailingAfter struct {
	app.Wallets
	n *atomic.Int64
}

func (w walletsFailingAfter) Update(ctx context.Context, customerID string, fn func(*wallet.Wallet) (bool, error)) error {
	if w.n.Add(-1) < 0 {
		return errInjected
	}
	return w.Wallets.Update(ctx, customerID, fn)
}

func order(id, customer string, total int64) app.ChargeOrder {
	return app.ChargeOrder{OrderID: id, CustomerID: customer, TotalCents: total}
}
