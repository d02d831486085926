package deadletters_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/deadletters"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/platform/statestore"
)

type publisher struct {
	sent atomic.Int64
	fail atomic.Bool
}

func (p *publisher) Publish(context.Context, contracts.Event) error {
	if p.fail.Load() {
		return errors.New("broker down")
	}
	p.sent.Add(1)
	return nil
}

var at = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newLetters(t *testing.T) (*deadletters.Letters, *publisher, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	pub := &publisher{}
	return deadletters.New(statestore.NewMemory(), "store", contracts.TopicStock, pub, reg, func() time.Time { return at }), pub, reg
}

func letter(t *testing.T, orderID string) pubsub.Letter {
	t.Helper()
	ev := contracts.StockReserved{Header: contracts.NewHeader(contracts.TypeStockReserved, orderID, at), CustomerID: "c1",
		Items: []contracts.Item{{ProductID: "kettle", Quantity: 1}}, TotalCents: 700}
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return pubsub.Letter{EventID: ev.EventID, Type: ev.Type, Topic: contracts.TopicStock, OrderID: orderID, Data: data}
}

func TestEachLetterOfItsTopicIsKeptOnceAndCounted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ls, _, reg := newLetters(t)
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			if err := ls.Keep(ctx, letter(t, fmt.Sprintf("o%d", i%10))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	other := letter(t, "o99")
	other.Topic = contracts.TopicPayments
	if err := ls.Keep(ctx, other); err != nil {
		t.Fatal(err)
	}
	var all []deadletters.Letter
	var after int64
	for {
		page, next, err := ls.List(ctx, after, 4)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == 0 {
			break
		}
		after = next
	}
	deliveries := 0
	for _, l := range all {
		deliveries += l.Deliveries
		if l.Topic != contracts.TopicStock || l.Type != contracts.TypeStockReserved || l.Reason != deadletters.ReasonRetries {
			t.Fatalf("kept %+v", l)
		}
	}
	if len(all) != 10 || deliveries != 30 {
		t.Fatalf("kept %d letters of %d deliveries, want the 10 events of 30 deliveries", len(all), deliveries)
	}
	if n := keptTotal(t, reg); n != 10 {
		t.Fatalf("counted %v letters, want 10", n)
	}
}

// keptTotal sums saga_dead_letters_total over its labels.
func keptTotal(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() == "saga_dead_letters_total" {
			for _, m := range f.GetMetric() {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

func TestALetterIsSentAgainOnceHoweverManyAskAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ls, pub, _ := newLetters(t)
	if err := ls.Keep(ctx, letter(t, "o1")); err != nil {
		t.Fatal(err)
	}
	var refused atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := ls.Redrive(ctx, 1)
			switch {
			case errors.Is(err, deadletters.ErrAlreadyRedriven):
				refused.Add(1)
			case err != nil:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if pub.sent.Load() != 1 || refused.Load() != 19 {
		t.Fatalf("sent %d times, refused %d; want once and 19", pub.sent.Load(), refused.Load())
	}
	if _, err := ls.Redrive(ctx, 2); !errors.Is(err, deadletters.ErrNotFound) {
		t.Fatalf("redrive of no letter: %v", err)
	}
}

func TestALetterThatCouldNotBeSentCanBeSentLater(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ls, pub, _ := newLetters(t)
	if err := ls.Keep(ctx, letter(t, "o1")); err != nil {
		t.Fatal(err)
	}
	pub.fail.Store(true)
	if _, err := ls.Redrive(ctx, 1); err == nil {
		t.Fatal("a failed publish was not reported")
	}
	pub.fail.Store(false)
	if _, err := ls.Redrive(ctx, 1); err != nil || pub.sent.Load() != 1 {
		t.Fatalf("redrive after the failure: %v, sent %d", err, pub.sent.Load())
	}
}

func TestAPoisonLetterIsKeptWithItsReasonAndNeverSentAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ls, pub, _ := newLetters(t)
	l := letter(t, "o1")
	l.Data, l.Poison = []byte(`{"type":"StockReserved","orderId":"o1"}`), "customerId: is required"
	if err := ls.Keep(ctx, l); err != nil {
		t.Fatal(err)
	}
	kept, err := ls.Get(ctx, 1)
	if err != nil || kept.Reason != "its event breaks its rules: customerId: is required" {
		t.Fatalf("kept %+v, %v", kept, err)
	}
	for range 2 {
		if _, err := ls.Redrive(ctx, 1); !errors.Is(err, deadletters.ErrPoison) {
			t.Fatalf("redrive of poison: %v", err)
		}
	}
	if pub.sent.Load() != 0 {
		t.Fatal("a poison letter was sent again")
	}
}
