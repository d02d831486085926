package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/frame"
	"github.com/example/order-saga/platform/jobs"
)

type deadline struct {
	OrderID string `json:"orderId"`
}

// handled records what each handler was handed.
type handled struct {
	mu    sync.Mutex
	calls []string // "<handler> <job name> <orderId>"
}

func (h *handled) add(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, s)
}

// routerAnswering is a router whose "order-deadline." handler answers
// err, beside handlers of the shorter prefixes "order-" and "o".
func routerAnswering(err error, seen *handled) http.Handler {
	r := jobs.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)))
	jobs.On(r, "order-deadline.", func(_ context.Context, name string, d deadline) error {
		seen.add("deadline " + name + " " + d.OrderID)
		return err
	})
	jobs.On(r, "order-", func(_ context.Context, name string, d deadline) error {
		seen.add("order " + name + " " + d.OrderID)
		return nil
	})
	jobs.On(r, "o", func(_ context.Context, name string, d deadline) error {
		seen.add("o " + name + " " + d.OrderID)
		return nil
	})
	mux := chi.NewRouter()
	r.Mount(mux)
	return mux
}

func TestEachJobIsAnsweredDoneRetryOrDrop(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		job     string
		body    string
		handler error
		status  int    // 2xx done; 404 dropped; anything else retried
		called  string // what the handlers were handed, "" for nothing
	}{
		{"a job handled is done", "order-deadline.o-1", `{"orderId":"o-1"}`, nil, 200, "deadline order-deadline.o-1 o-1"},
		{"the longest prefix wins", "order-other.o-2", `{"orderId":"o-2"}`, nil, 200, "order order-other.o-2 o-2"},
		{"the longest of three matching prefixes wins", "order-deadline.o-4", `{"orderId":"o-4"}`, nil, 200, "deadline order-deadline.o-4 o-4"},
		{"the shortest prefix takes what the others do not", "other.o-5", `{"orderId":"o-5"}`, nil, 200, "o other.o-5 o-5"},
		{"a failing handler has the job retried", "order-deadline.o-1", `{"orderId":"o-1"}`, errors.New("store down"), 500, "deadline order-deadline.o-1 o-1"},
		{"a store that does not answer has it retried", "order-deadline.o-1", `{"orderId":"o-1"}`, contracts.Unavailable("no store", nil), 503, "deadline order-deadline.o-1 o-1"},
		{"what the job names not found yet has it retried", "order-deadline.o-1", `{"orderId":"o-1"}`, contracts.NotFound("no-order", "no order o-1"), 500, "deadline order-deadline.o-1 o-1"},
		{"a handler's invalid input drops it", "order-deadline.o-1", `{"orderId":"o-1"}`, contracts.Invalid(contracts.FieldError{Field: "x", Detail: "y"}), 404, "deadline order-deadline.o-1 o-1"},
		{"a job no handler claims is dropped", "payment-deadline.p-1", `{"orderId":"o-1"}`, nil, 404, ""},
		{"data of the wrong shape is dropped unhandled", "order-deadline.o-1", `{"orderId":1}`, nil, 404, ""},
		{"data with a field the handler does not know is dropped unhandled", "order-deadline.o-1", `{"orderId":"o-1","extra":1}`, nil, 404, ""},
		{"data that is not JSON is dropped unhandled", "order-deadline.o-1", `not json`, nil, 404, ""},
		{"no data is dropped unhandled", "order-deadline.o-1", ``, nil, 404, ""},
		{"data over the size limit is dropped unread", "order-deadline.o-1", `{"orderId":"` + strings.Repeat("x", jobs.MaxDataBytes) + `"}`, nil, 404, ""},
		{"null data is handed as the zero value", "order-deadline.o-3", `null`, nil, 200, "deadline order-deadline.o-3 "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			seen := &handled{}
			rec := httptest.NewRecorder()
			routerAnswering(tc.handler, seen).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/job/"+tc.job, strings.NewReader(tc.body)))
			if rec.Code != tc.status {
				t.Fatalf("answered %d %s, want %d", rec.Code, rec.Body, tc.status)
			}
			if rec.Code != 200 && rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("a failure answered as %q", rec.Header().Get("Content-Type"))
			}
			want := []string{}
			if tc.called != "" {
				want = []string{tc.called}
			}
			if strings.Join(seen.calls, "|") != strings.Join(want, "|") {
				t.Fatalf("handed %q, want %q", seen.calls, want)
			}
		})
	}
}

func TestAPrefixHasOneHandler(t *testing.T) {
	t.Parallel()
	r := jobs.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)))
	jobs.On(r, "a.", func(context.Context, string, deadline) error { return nil })
	defer func() {
		if recover() == nil {
			t.Fatal("a second handler for the same prefix was taken")
		}
	}()
	jobs.On(r, "a.", func(context.Context, string, deadline) error { return nil })
}

// TestWhatIsScheduledIsWhatTheHandlerIsHanded schedules data through the
// mapping, turns it into the body the sidecar posts, and delivers it.
func TestWhatIsScheduledIsWhatTheHandlerIsHanded(t *testing.T) {
	t.Parallel()
	type payload struct {
		OrderID  string         `json:"orderId"`
		Due      time.Time      `json:"due"`
		Amount   int64          `json:"amount"`
		Share    float64        `json:"share"`
		Tags     []string       `json:"tags"`
		Metadata map[string]int `json:"metadata"`
		Missing  *string        `json:"missing"`
	}
	sent := payload{OrderID: "o-9", Due: time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.UTC), Amount: 1 << 53,
		Share: 0.1, Tags: []string{"a", "b"}, Metadata: map[string]int{"x": -7}}
	fake := &sidecar{}
	if err := jobs.NewScheduler(fake).Schedule(context.Background(), "p.o-9", sent.Due, sent); err != nil {
		t.Fatal(err)
	}
	var got payload
	r := jobs.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)))
	jobs.On(r, "p.", func(_ context.Context, _ string, p payload) error { got = p; return nil })
	mux := chi.NewRouter()
	r.Mount(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/job/p.o-9", strings.NewReader(deliveredJSON(t, fake.scheduled[0]))))
	if rec.Code != 200 {
		t.Fatalf("answered %d %s", rec.Code, rec.Body)
	}
	if !got.Due.Equal(sent.Due) || got.OrderID != sent.OrderID || got.Amount != sent.Amount || got.Share != sent.Share ||
		strings.Join(got.Tags, ",") != "a,b" || got.Metadata["x"] != -7 || got.Missing != nil {
		t.Fatalf("handed %+v, want %+v", got, sent)
	}
}

func TestOnlyTheSidecarDeliversJobs(t *testing.T) {
	t.Parallel()
	a, err := frame.New(frame.Config{Name: "svc", DaprGRPCPort: 1, AppToken: "app-secret", DaprToken: "dapr-secret"}, "")
	if err != nil {
		t.Fatal(err)
	}
	jobs.On(a.Jobs, "t.", func(context.Context, string, deadline) error { return nil })
	cases := []struct {
		name, token string
		want        int
	}{
		{"a delivery with the app token is handled", "app-secret", 200},
		{"a delivery without a token is refused", "", 401},
		{"a delivery with a wrong token is refused", "guess", 401},
		{"a delivery with the API token instead is refused", "dapr-secret", 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/job/t.1", strings.NewReader(`{"orderId":"o-1"}`))
			if tc.token != "" {
				req.Header.Set("dapr-api-token", tc.token)
			}
			rec := httptest.NewRecorder()
			a.Router.(http.Handler).ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("answered %d %s, want %d", rec.Code, rec.Body, tc.want)
			}
		})
	}
}
