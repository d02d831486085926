package pubsub

import "context"

type traceParentKey struct{}

// WithTraceParent returns a context that carries a W3C traceparent, so that
// events published under it continue the same trace.
func WithTraceParent(ctx context.Context, traceParent string) context.Context {
	if traceParent == "" {
		return ctx
	}
	return context.WithValue(ctx, traceParentKey{}, traceParent)
}

// TraceParent returns the traceparent carried by ctx, or "".
func TraceParent(ctx context.Context) string {
	tp, _ := ctx.Value(traceParentKey{}).(string)
	return tp
}

// TraceID returns the trace id part of a traceparent, or "".
func TraceID(traceParent string) string {
	// version "-" trace-id(32) "-" parent-id(16) "-" flags
	if len(traceParent) < 55 || traceParent[2] != '-' || traceParent[35] != '-' {
		return ""
	}
	return traceParent[3:35]
}
