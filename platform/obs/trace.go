package obs

import (
	"context"
	"crypto/rand"
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

// NewTraceParent starts a new sampled trace.
func NewTraceParent() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "00-" + hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:]) + "-01"
}

// TraceMiddleware puts the request's traceparent in its context, starting a
// trace when the caller sent none, so that every order has a trace id to
// follow through the logs of all three services.
func TraceMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tp := r.Header.Get("traceparent")
		if TraceID(tp) == "" {
			tp = NewTraceParent()
		}
		next.ServeHTTP(w, r.WithContext(WithTraceParent(r.Context(), tp)))
	})
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
