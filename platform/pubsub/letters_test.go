package pubsub_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/pubsub"
)

func TestADeadLetterIsHandedOverAndNeverDroppedBackToItsTopic(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		body       string
		keepFails  error
		status     string
		poison     bool
		redelivers bool
	}{
		{"a letter whose event keeps its rules is kept and delivered late", `{"id":"o1.OrderCreated","data":` + created + `}`, nil, "SUCCESS", false, true},
		{"a poison letter is kept, with why, and not delivered", `{"id":"x","data":{"type":"OrderCreated","orderId":"o1"}}`, nil, "SUCCESS", true, false},
		{"a letter that cannot be kept yet is asked for again", `{"id":"o1.OrderCreated","data":` + created + `}`, errors.New("store down"), "RETRY", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := pubsub.NewRouter("pubsub", newOutcomes(), slog.New(slog.NewTextHandler(io.Discard, nil)))
			delivered := 0
			pubsub.On(r, contracts.TypeOrderCreated, func(context.Context, contracts.OrderCreated) error { delivered++; return nil })
			var kept []pubsub.Letter
			pubsub.KeepLetters(r, func(_ context.Context, l pubsub.Letter) error {
				kept = append(kept, l)
				return tc.keepFails
			})
			pubsub.OnLetters(r, func(ctx context.Context, l pubsub.Letter) error {
				return r.Redeliver(ctx, l, contracts.TypeOrderCreated)
			})
			mux := chi.NewRouter()
			r.Mount(mux)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/events/deadletters", strings.NewReader(tc.body)))
			if want := `{"status":"` + tc.status + `"}`; rec.Body.String() != want {
				t.Fatalf("answered %s, want %s", rec.Body, want)
			}
			if len(kept) != 1 || kept[0].Type != contracts.TypeOrderCreated || kept[0].Topic != contracts.TopicOrders || kept[0].OrderID != "o1" || (kept[0].Poison != "") != tc.poison {
				t.Fatalf("kept %+v", kept)
			}
			if (delivered == 1) != tc.redelivers {
				t.Fatalf("delivered late %d times, want %v", delivered, tc.redelivers)
			}
		})
	}
}

func TestALetterNotKeptComesRoundAgainThroughItsOwnTopic(t *testing.T) {
	t.Parallel()
	r := pubsub.NewRouter("pubsub", newOutcomes(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	pubsub.On(r, contracts.TypeOrderCreated, func(context.Context, contracts.OrderCreated) error { return nil })
	pubsub.KeepLetters(r, func(context.Context, pubsub.Letter) error { return nil })
	mux := chi.NewRouter()
	r.Mount(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dapr/subscribe", nil))
	var subs []struct {
		Topic           string `json:"topic"`
		DeadLetterTopic string `json:"deadLetterTopic"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &subs); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{contracts.TopicDeadLetters: contracts.TopicDeadLetters, contracts.TopicOrders: contracts.TopicDeadLetters}
	if len(subs) != 2 {
		t.Fatalf("subscriptions %+v, want %v", subs, want)
	}
	for _, s := range subs {
		if dl, ok := want[s.Topic]; !ok || s.DeadLetterTopic != dl {
			t.Fatalf("subscriptions %+v, want %v", subs, want)
		}
	}
}

func TestALetterThatKeepsFailingAfterItIsKeptIsGivenUpOnAndNotAskedForAgain(t *testing.T) {
	t.Parallel()
	r := pubsub.NewRouter("pubsub", newOutcomes(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	pubsub.KeepLetters(r, func(context.Context, pubsub.Letter) error { return nil })
	pubsub.OnLetters(r, func(context.Context, pubsub.Letter) error { return errors.New("store down") })
	mux := chi.NewRouter()
	r.Mount(mux)
	deliver := func() string {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/events/deadletters", strings.NewReader(`{"id":"o1.OrderCreated","data":`+created+`}`)))
		return rec.Body.String()
	}
	if got := deliver(); got != `{"status":"RETRY"}` {
		t.Fatalf("first failure answered %s, want RETRY", got)
	}
	deadline := time.Now().Add(2 * pubsub.GiveUpAfter)
	for deliver() != `{"status":"SUCCESS"}` {
		if time.Now().After(deadline) {
			t.Fatalf("still asked for again %s after the first failure", 2*pubsub.GiveUpAfter)
		}
		<-time.After(100 * time.Millisecond)
	}
}
