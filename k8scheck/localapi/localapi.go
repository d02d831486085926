// Package localapi runs a real kube-apiserver, backed by a real etcd, on
// loopback ports of this machine, for server-side dry-runs of manifests.
// There are no nodes, controllers or scheduler: objects are validated,
// defaulted and admitted exactly as a cluster's API server would, and with
// dry-run nothing is stored.
package localapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
)

// Binaries locates the two servers (scripts/ensure-kube-apiserver.sh builds
// them).
type Binaries struct {
	APIServer, Etcd string
}

// BinariesFromEnv reads $KUBE_APISERVER and $ETCD; ok is false when either
// is unset.
func BinariesFromEnv() (b Binaries, ok bool) {
	b = Binaries{APIServer: os.Getenv("KUBE_APISERVER"), Etcd: os.Getenv("ETCD")}
	return b, b.APIServer != "" && b.Etcd != ""
}

// Server is a running etcd and kube-apiserver.
type Server struct {
	// Config reaches the API server as a cluster administrator.
	Config *rest.Config
	// Warnings collects the warnings the API server sends back.
	Warnings *WarningRecorder

	procs []*exec.Cmd
	logs  []io.Closer
}

const token = "localapi-admin-token"

// Start runs etcd and kube-apiserver with their data, keys and logs under
// dir, and returns once the API server reports ready.
func Start(ctx context.Context, bins Binaries, dir string) (s *Server, err error) {
	s = &Server{Warnings: &WarningRecorder{}}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	if err := s.start(bins.Etcd, filepath.Join(dir, "etcd.log"),
		"--name=localapi",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=localapi="+peerURL,
		"--unsafe-no-fsync",
		"--log-level=warn",
	); err != nil {
		return nil, err
	}
	if err := waitFor(ctx, "etcd", filepath.Join(dir, "etcd.log"), func() bool {
		resp, err := http.Get(etcdURL + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}); err != nil {
		return nil, err
	}

	files, err := writeCredentials(dir, token)
	if err != nil {
		return nil, err
	}
	apiLog := filepath.Join(dir, "kube-apiserver.log")
	if err := s.start(bins.APIServer, apiLog,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(ports[2]),
		"--tls-cert-file="+files.servingCert,
		"--tls-private-key-file="+files.servingKey,
		"--token-auth-file="+files.tokens,
		"--anonymous-auth=false",
		"--authorization-mode=AlwaysAllow",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+files.saPublic,
		"--service-account-signing-key-file="+files.saPrivate,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--endpoint-reconciler-type=none",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--cert-dir="+filepath.Join(dir, "certs"),
	); err != nil {
		return nil, err
	}
	s.Config = &rest.Config{
		Host:            "https://127.0.0.1:" + strconv.Itoa(ports[2]),
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: files.servingCert},
		WarningHandler:  s.Warnings,
		QPS:             100,
		Burst:           200,
		Timeout:         30 * time.Second,
	}
	client, err := rest.HTTPClientFor(s.Config)
	if err != nil {
		return nil, err
	}
	if err := waitFor(ctx, "kube-apiserver", apiLog, func() bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Config.Host+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// start runs a server with its output in logPath. The kernel kills it if
// this process dies first, so no server outlives a test binary.
func (s *Server) start(bin, logPath string, args ...string) error {
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", bin, err)
	}
	s.procs = append(s.procs, cmd)
	s.logs = append(s.logs, logFile)
	return nil
}

// Stop ends the servers, API server first, and waits for them.
func (s *Server) Stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		cmd := s.procs[i]
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	for _, l := range s.logs {
		l.Close()
	}
	s.procs, s.logs = nil, nil
}

// waitFor polls ready until it holds, the context ends, or 2 minutes pass;
// on failure it returns the end of the server's log.
func waitFor(ctx context.Context, name, logPath string, ready func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if ready() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w\n%s", name, ctx.Err(), tail(logPath, 4000))
		case <-tick.C:
		}
	}
}

func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return string(data)
}

// freePorts asks the kernel for n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, errors.Join(errors.New("no free loopback port"), err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
