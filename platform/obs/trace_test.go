package obs_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/example/order-saga/platform/obs"
)

const traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestALogWrittenWithATracedContextCarriesTheTraceId(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	log := obs.NewLogger(&out, "svc", "info").With("k", "v")
	log.InfoContext(obs.WithTraceParent(context.Background(), traceParent), "hello")
	log.InfoContext(context.Background(), "untraced")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.Contains(lines[0], `"traceId":"4bf92f3577b34da6a3ce929d0e0e4736"`) {
		t.Fatalf("traced line %s", lines[0])
	}
	if strings.Contains(lines[1], "traceId") {
		t.Fatalf("untraced line %s", lines[1])
	}
}

func TestTheMiddlewareKeepsAValidTraceparentAndStartsOneOtherwise(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, header string
		kept         bool
	}{
		{"a valid traceparent is kept", traceParent, true},
		{"a missing traceparent starts a trace", "", false},
		{"a malformed traceparent starts a trace", "00-xyz-01", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var seen string
			h := obs.TraceMiddleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { seen = obs.TraceParent(r.Context()) }))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.header != "" {
				req.Header.Set("traceparent", tc.header)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if obs.TraceID(seen) == "" || (seen == traceParent) != tc.kept {
				t.Fatalf("traceparent in context %q", seen)
			}
		})
	}
}
