// Package faults lets tests crash a service at a named point, to prove
// that no event is lost when a process dies between two steps.
package faults

import (
	"log/slog"
	"os"
)

// CrashExitCode is the exit code of a deliberate crash.
const CrashExitCode = 42

// Crash ends the process at once, without cleanup, when SAGA_CRASH_AT names
// point. It does nothing otherwise, which is always the case in production.
func Crash(log *slog.Logger, point string) {
	if os.Getenv("SAGA_CRASH_AT") != point {
		return
	}
	log.Warn("crashing on purpose", "point", point)
	os.Exit(CrashExitCode)
}
