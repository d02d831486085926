package adapters_test

import (
	"context"
	"testing"
	"time"

	dapr "github.com/dapr/go-sdk/client"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/stock-svc/internal/adapters"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// broker keeps the payload last published, by topic.
type broker map[string]string

func (b broker) PublishEvent(_ context.Context, _, topic string, data any, _ ...dapr.PublishEventOption) error {
	b[topic] = string(data.([]byte))
	return nil
}

func TestEachEventIsBuiltFromTheRecordOfItsOrder(t *testing.T) {
	t.Parallel()
	decided, settled := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2030, 1, 2, 3, 4, 6, 0, time.UTC)
	lines := []inventory.Line{{ProductID: "cup", Quantity: 2}, {ProductID: "kettle", Quantity: 1}}
	granted := inventory.Reservation{OrderID: "o1", CustomerID: "c1", Status: inventory.StatusReleased, Lines: lines,
		TotalCents: 5800, DecidedAt: decided, SettledAt: settled}
	refused := inventory.Reservation{OrderID: "o2", CustomerID: "c1", Status: inventory.StatusFailed, Lines: lines,
		Reason: "unknown product kettle", DecidedAt: decided}
	cases := []struct {
		name    string
		publish func(ctx context.Context, p adapters.EventPublisher) error
		want    string
	}{
		{"a grant announces the units and their total, at the decision", func(ctx context.Context, p adapters.EventPublisher) error { return p.StockReserved(ctx, granted) },
			`{"type":"StockReserved","eventId":"o1.StockReserved","orderId":"o1","occurredAt":"2030-01-02T03:04:05Z","customerId":"c1","items":[{"productId":"cup","quantity":2},{"productId":"kettle","quantity":1}],"totalCents":5800}`},
		{"a refusal announces its reason and what the order was for, at the decision", func(ctx context.Context, p adapters.EventPublisher) error { return p.StockFailed(ctx, refused) },
			`{"type":"StockFailed","eventId":"o2.StockFailed","orderId":"o2","occurredAt":"2030-01-02T03:04:05Z","reason":"unknown product kettle","customerId":"c1","items":[{"productId":"cup","quantity":2},{"productId":"kettle","quantity":1}]}`},
		{"a release announces the units given back, at the release", func(ctx context.Context, p adapters.EventPublisher) error { return p.StockReleased(ctx, granted) },
			`{"type":"StockReleased","eventId":"o1.StockReleased","orderId":"o1","occurredAt":"2030-01-02T03:04:06Z","items":[{"productId":"cup","quantity":2},{"productId":"kettle","quantity":1}],"customerId":"c1"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := broker{}
			if err := tc.publish(context.Background(), adapters.EventPublisher{Publisher: pubsub.NewPublisher(b, contracts.PubSub)}); err != nil {
				t.Fatal(err)
			}
			if len(b) != 1 || b[contracts.TopicStock] != tc.want {
				t.Fatalf("published %v, want on %s\n%s", b, contracts.TopicStock, tc.want)
			}
		})
	}
}
