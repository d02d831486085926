// Command k8s-local runs the saga on a real single-node Kubernetes on this
// machine, as `make k8s-local` does: it brings the cluster up with the Dapr
// control plane, applies the kind overlay (or, with -overlay
// k8s/overlays/kind-postgres, the same with the state stores on
// PostgreSQL), forwards localhost:8081, 8082
// and 8083 to the three Services with `kubectl port-forward`, prints
// "ready" like `make run`, and tears everything down on Ctrl-C.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/example/order-saga/devcluster"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "k8s-local:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("dir", devcluster.DefaultDir, "the cluster's state directory")
	clean := flag.Bool("clean", false, "only tear down what a cluster that died left behind")
	overlay := flag.String("overlay", devcluster.Overlay, "the overlay to run: "+devcluster.Overlay+" or "+devcluster.OverlayPostgres)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *clean {
		return devcluster.Clean(ctx, *dir)
	}
	if *overlay != devcluster.Overlay && *overlay != devcluster.OverlayPostgres {
		return fmt.Errorf("-overlay %s: want %s or %s", *overlay, devcluster.Overlay, devcluster.OverlayPostgres)
	}
	repo, err := os.Getwd()
	if err != nil {
		return err
	}
	began := time.Now()
	c, err := devcluster.Up(ctx, devcluster.Options{Dir: *dir, Repo: repo, Log: os.Stdout})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("stopping...")
		if err := c.Down(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintln(os.Stderr, "k8s-local: teardown:", err)
		}
	}()
	ready, err := c.Deploy(ctx, *overlay)
	if err != nil {
		return err
	}
	fmt.Printf("cluster: every pod Ready %.1fs after the apply\n", ready.Seconds())
	fwd, err := c.PortForwardServices(ctx, os.Stdout)
	if err != nil {
		return err
	}
	defer fwd.Stop()
	fmt.Printf("\n==> ready in %.1fs\n    KUBECONFIG=%s\n    admin token in k8s/components/dev-secrets/secrets/admin-token.env\n", time.Since(began).Seconds(), c.Kubeconfig)
	for _, s := range devcluster.Services {
		fmt.Printf("  %-12s http://localhost:%d  (kubectl port-forward -n %s svc/%s %d:%d)\n",
			s.Name, s.Port, devcluster.Namespace, s.Name, s.Port, s.Port)
	}
	fmt.Println("Ctrl-C stops and removes the cluster")
	<-ctx.Done()
	return nil
}
