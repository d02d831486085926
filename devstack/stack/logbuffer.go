package stack

import (
	"bytes"
	"strings"
	"sync"
)

// LogBuffer collects a stack's output in memory, for tests that look into
// it or print it when they fail. It is safe for concurrent writers.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail returns the last n lines.
func (b *LogBuffer) Tail(n int) string {
	lines := strings.Split(b.String(), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Lines returns the lines that contain every one of the given strings.
func (b *LogBuffer) Lines(all ...string) []string {
	var out []string
	for _, line := range strings.Split(b.String(), "\n") {
		keep := true
		for _, s := range all {
			keep = keep && strings.Contains(line, s)
		}
		if keep {
			out = append(out, line)
		}
	}
	return out
}
