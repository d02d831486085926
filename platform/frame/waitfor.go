package frame

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"
)

// WaitCommand is the first argument that makes a service binary wait for
// TCP addresses instead of serving: `/service wait-for redis:6379`. The
// manifests run it as an init container, so that the pod's Dapr sidecar
// starts only once its components' backend answers; daprd exits when a
// component cannot connect, and the kubelet's back-off would then keep the
// pod down for minutes after the backend is up.
const WaitCommand = "wait-for"

// WaitFor polls until every address resolves and accepts a TCP connection,
// logging to log every few seconds, or fails after timeout. A headless
// Service's name resolves only once one of its pods is Ready, so for a
// StatefulSet behind one this also waits for its readiness probe.
func WaitFor(ctx context.Context, addrs []string, timeout time.Duration, log io.Writer) error {
	if len(addrs) == 0 {
		return fmt.Errorf("%s: no address given (want host:port ...)", WaitCommand)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	for _, addr := range addrs {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("%s: %q is not host:port: %w", WaitCommand, addr, err)
		}
		start, logged := time.Now(), time.Now()
		for {
			attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
			conn, err := d.DialContext(attempt, "tcp", addr)
			cancelAttempt()
			if err == nil {
				conn.Close()
				fmt.Fprintf(log, "%s: %s answers after %.1fs\n", WaitCommand, addr, time.Since(start).Seconds())
				break
			}
			if ctx.Err() != nil {
				return fmt.Errorf("%s: %s does not answer after %s: %w", WaitCommand, addr, timeout, err)
			}
			if time.Since(logged) >= 5*time.Second {
				fmt.Fprintf(log, "%s: waiting for %s: %v\n", WaitCommand, addr, err)
				logged = time.Now()
			}
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	return nil
}
