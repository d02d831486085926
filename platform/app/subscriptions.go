package app

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/example/order-saga/platform/pubsub"
)

// subscriptions are the app's topic subscriptions, as its sidecar reads
// them at start from GET /dapr/subscribe.
type subscriptions struct {
	mu   sync.Mutex
	list []pubsub.Subscription
}

// DeclareSubscription implements pubsub.Declarer. Call it before Run.
func (a *App) DeclareSubscription(sub pubsub.Subscription) {
	a.subs.mu.Lock()
	defer a.subs.mu.Unlock()
	a.subs.list = append(a.subs.list, sub)
}

func (s *subscriptions) serve(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/dapr/subscribe" {
			next.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		list := append([]pubsub.Subscription{}, s.list...)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(list)
	})
}
