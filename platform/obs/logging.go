package obs

import (
	"io"
	"log/slog"
	"strings"
)

// NewLogger returns a JSON logger at level ("debug", "info", "warn",
// "error"; info when empty or unknown) that names the service, and adds
// the trace id to records logged with a context that carries one.
func NewLogger(w io.Writer, service, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(traceHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})}).With("service", service)
}
