package obs_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
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
			h := obs.TraceMiddleware(1)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { seen = obs.TraceParent(r.Context()) }))
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

func TestATraceIsStartedSampledAtTheRateTheSidecarsUse(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{0, 0.01, 0.25, 1} {
		const n = 20_000
		sampled := 0
		for range n {
			tp := obs.NewTraceParent(rate)
			if obs.TraceID(tp) == "" {
				t.Fatalf("invalid traceparent %q", tp)
			}
			if strings.HasSuffix(tp, "-01") {
				sampled++
			} else if !strings.HasSuffix(tp, "-00") {
				t.Fatalf("traceparent %q has flags other than 00 or 01", tp)
			}
		}
		// Within 5 standard deviations of a binomial draw.
		want, slack := rate*n, 5*math.Sqrt(rate*(1-rate)*n)+0.5
		if got := float64(sampled); got < want-slack || got > want+slack {
			t.Fatalf("rate %g: %d of %d sampled, want %.0f ± %.0f", rate, sampled, n, want, slack)
		}
	}
}

func TestTheSamplingDecisionIsTheSidecarsRatioRule(t *testing.T) {
	t.Parallel()
	// The last 8 bytes shifted right by one, against rate × 2^63: an id
	// whose low half is 2^63 gives 2^62, half of the bound at a rate of 1,
	// so it is sampled above a rate of 0.5 and not below.
	var id [16]byte
	binary.BigEndian.PutUint64(id[8:], 1<<63)
	if obs.Sampled(id, 0.49) || !obs.Sampled(id, 0.51) {
		t.Fatalf("id with low half 2^63 sampled at 0.49: %v, at 0.51: %v; want false, true", obs.Sampled(id, 0.49), obs.Sampled(id, 0.51))
	}
	var zero [16]byte
	if !obs.Sampled(zero, 0.0001) || obs.Sampled(zero, 0) {
		t.Fatal("the lowest id must be sampled at any rate above 0, and none at 0")
	}
}
