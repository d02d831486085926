package adapters_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	dapr "github.com/dapr/go-sdk/client"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/payment-svc/internal/adapters"
	"github.com/example/order-saga/payment-svc/internal/domain/wallet"
	"github.com/example/order-saga/platform/pubsub"
)

// broker keeps what is published, by topic, as the sidecar receives it.
type broker map[string][][]byte

func (b broker) PublishEvent(_ context.Context, _, topic string, data any, _ ...dapr.PublishEventOption) error {
	b[topic] = append(b[topic], data.([]byte))
	return nil
}

func TestEachPaymentIsAnnouncedByTheEventOfItsOutcome(t *testing.T) {
	t.Parallel()
	decidedAt := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	paid := wallet.PaymentOf("paid", "c1", wallet.Decision{Seq: 1, Status: wallet.Completed, AmountCents: 700, At: decidedAt})
	refused := wallet.PaymentOf("refused", "c1", wallet.Decision{Seq: 2, Status: wallet.Failed, AmountCents: 900, Reason: "insufficient balance", At: decidedAt})
	b := broker{}
	events := adapters.EventPublisher{Publisher: pubsub.NewPublisher(b, contracts.PubSub)}
	for range 2 {
		if err := events.PaymentCompleted(context.Background(), paid); err != nil {
			t.Fatal(err)
		}
		if err := events.PaymentFailed(context.Background(), refused); err != nil {
			t.Fatal(err)
		}
	}

	sent := b[contracts.TopicPayments]
	if len(b) != 1 || len(sent) != 4 {
		t.Fatalf("published %v, want four events on %s", b, contracts.TopicPayments)
	}
	if string(sent[0]) != string(sent[2]) || string(sent[1]) != string(sent[3]) {
		t.Fatalf("a republished event differs:\n%s\n%s", sent[0], sent[2])
	}
	var completed contracts.PaymentCompleted
	if err := json.Unmarshal(sent[0], &completed); err != nil {
		t.Fatal(err)
	}
	wantHeader := contracts.NewHeader(contracts.TypePaymentCompleted, "paid", decidedAt)
	if completed.Header != wantHeader || completed.CustomerID != "c1" || completed.AmountCents != 700 {
		t.Fatalf("completed event = %+v, want header %+v", completed, wantHeader)
	}
	var failed contracts.PaymentFailed
	if err := json.Unmarshal(sent[1], &failed); err != nil {
		t.Fatal(err)
	}
	wantHeader = contracts.NewHeader(contracts.TypePaymentFailed, "refused", decidedAt)
	if failed.Header != wantHeader || failed.CustomerID != "c1" || failed.Reason != "insufficient balance" {
		t.Fatalf("failed event = %+v, want header %+v", failed, wantHeader)
	}
}
