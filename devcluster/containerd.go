package devcluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"
)

// Socket is the containerd socket of the cluster in dir.
func Socket(dir string) string { return dir + "/containerd/containerd.sock" }

func (c *Cluster) containerd(ctx context.Context) error {
	for _, d := range []string{"containerd", "cni/net.d", "cni/ipam"} {
		if err := os.MkdirAll(c.path(d), 0o755); err != nil {
			return err
		}
	}
	data := map[string]any{"Dir": c.Dir, "PauseImage": PauseImage}
	if err := writeTemplate(c.path("containerd", "config.toml"), containerdConfig, data); err != nil {
		return err
	}
	if err := writeTemplate(c.path("cni", "net.d", "10-order-saga.conflist"), cniConfig, data); err != nil {
		return err
	}
	if _, err := c.start("containerd", "containerd", "--config", c.path("containerd", "config.toml")); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("unix", Socket(c.Dir), time.Second)
		if err == nil {
			conn.Close()
			break
		}
		if aerr := c.alive(); aerr != nil {
			return aerr
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("containerd does not answer on %s: %w", Socket(c.Dir), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return c.loadImages(ctx)
}
