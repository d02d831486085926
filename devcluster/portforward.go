package devcluster

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Forwards are the `kubectl port-forward` processes to the saga's
// Services, kept running: kubectl forwards to one pod, picked when it
// starts, and exits when that pod goes away, so each is started again.
type Forwards struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// PortForwardServices runs `kubectl port-forward -n order-saga svc/<name>
// <port>:<port>` for each service, as the README tells users, and returns
// once each answers on localhost.
func (c *Cluster) PortForwardServices(ctx context.Context, log io.Writer) (*Forwards, error) {
	// A port someone else holds would make kubectl fail and the check
	// below talk to that other program.
	for _, s := range Services {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port))
		if err != nil {
			return nil, fmt.Errorf("port-forward to %s: localhost:%d is taken (`make run` or another stack?): %w", s.Name, s.Port, err)
		}
		l.Close()
	}
	ctx, cancel := context.WithCancel(ctx)
	f := &Forwards{cancel: cancel}
	for _, s := range Services {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			for ctx.Err() == nil {
				forward(ctx, c, s.Name, s.Port, log)
				select {
				case <-ctx.Done():
				case <-time.After(500 * time.Millisecond):
				}
			}
		}()
	}
	for _, s := range Services {
		if err := pollHTTP(ctx, 30*time.Second, fmt.Sprintf("http://127.0.0.1:%d/healthz", s.Port)); err != nil {
			f.Stop()
			return nil, fmt.Errorf("port-forward to %s: %w", s.Name, err)
		}
	}
	return f, nil
}

// forward runs one `kubectl port-forward` until it exits or stops
// answering: kubectl can also hang when its pod goes away ("error creating
// error stream ... Timeout occurred"), accepting connections it never
// serves, so /healthz is checked through it every 2 s and three failures
// in a row end it.
func forward(ctx context.Context, c *Cluster, name string, port int, log io.Writer) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.KubectlPath(), "--kubeconfig", c.Kubeconfig, "port-forward",
		"-n", Namespace, "svc/"+name, fmt.Sprintf("%d:%d", port, port), "--address", "127.0.0.1")
	cmd.Stdout, cmd.Stderr = io.Discard, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(log, "port-forward %s: %v\n", name, err)
		return
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	client := &http.Client{Timeout: 2 * time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
	failures, tick := 0, time.NewTicker(2*time.Second)
	defer tick.Stop()
	for {
		select {
		case <-exited:
			return
		case <-ctx.Done():
			<-exited
			return
		case <-tick.C:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			failures = 0
			continue
		}
		if failures++; failures == 3 {
			fmt.Fprintf(log, "port-forward %s: localhost:%d does not answer (%v): starting it again\n", name, port, err)
			cancel()
		}
	}
}

// Stop ends the port-forwards.
func (f *Forwards) Stop() {
	f.cancel()
	f.wg.Wait()
}
