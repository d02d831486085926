package obs

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"net/http"
)

type traceParentKey struct{}

// WithTraceParent returns a context that carries a W3C traceparent: events
// published under it continue the same trace, and logs written with it
// carry its trace id.
func WithTraceParent(ctx context.Context, traceParent string) context.Context {
	if TraceID(traceParent) == "" {
		return ctx
	}
	return context.WithValue(ctx, traceParentKey{}, traceParent)
}

// TraceParent returns the traceparent carried by ctx, or "".
func TraceParent(ctx context.Context) string {
	tp, _ := ctx.Value(traceParentKey{}).(string)
	return tp
}

// TraceID returns the trace id of a valid traceparent, or "".
func TraceID(traceParent string) string {
	// version(2) "-" trace-id(32) "-" parent-id(16) "-" flags(2)
	if len(traceParent) != 55 || traceParent[2] != '-' || traceParent[35] != '-' || traceParent[52] != '-' {
		return ""
	}
	id := traceParent[3:35]
	if _, err := hex.DecodeString(id); err != nil || id == "00000000000000000000000000000000" {
		return ""
	}
	return id
}

// NewTraceParent starts a new trace, sampled at rate (0 to 1).
//
// The sidecars sample as OpenTelemetry's ParentBased sampler does: a
// trace that comes with a traceparent keeps the decision of its flags. A
// service that starts every trace sampled thus overrides the sidecars'
// samplingRate, and every order is traced end to end, whatever the
// Configuration says. The decision is taken here by the rule of the
// sidecars' own TraceIDRatioBased sampler, so a trace is sampled at the
// rate the Configuration names (TRACE_SAMPLING_RATE must say the same).
func NewTraceParent(rate float64) string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	flags := "-00"
	if Sampled([16]byte(b[:16]), rate) {
		flags = "-01"
	}
	return "00-" + hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:]) + flags
}

// Sampled tells whether the trace id is sampled at rate, by the rule of
// OpenTelemetry's TraceIDRatioBased sampler: its last 8 bytes, shifted
// right by one, below rate × 2^63.
func Sampled(id [16]byte, rate float64) bool {
	switch {
	case rate >= 1:
		return true
	case rate <= 0:
		return false
	}
	return binary.BigEndian.Uint64(id[8:])>>1 < uint64(rate*(1<<63))
}

// TraceMiddleware puts the request's traceparent in its context, starting a
// trace sampled at rate when the caller sent none, so that every order has
// a trace id to follow through the logs of all three services.
func TraceMiddleware(rate float64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tp := r.Header.Get("traceparent")
			if TraceID(tp) == "" {
				tp = NewTraceParent(rate)
			}
			next.ServeHTTP(w, r.WithContext(WithTraceParent(r.Context(), tp)))
		})
	}
}

// traceHandler adds the trace id of the record's context to every record.
type traceHandler struct{ slog.Handler }

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := TraceID(TraceParent(ctx)); id != "" {
		r.AddAttrs(slog.String("traceId", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name)}
}
