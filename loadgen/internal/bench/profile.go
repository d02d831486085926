package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/example/order-saga/devstack/stack"
)

// profiled lists what a profiled run profiles: each service and its
// sidecar ("<app>/dapr"), whose daprd serves Go's profiler too.
func profiled() []string {
	var out []string
	for _, app := range stack.Apps {
		out = append(out, app, app+"/dapr")
	}
	return out
}

// pprofPorts gives each service and sidecar the port its profiler should
// listen on: the configured one, or a free one.
func pprofPorts(o Options) (map[string]int, error) {
	out := map[string]int{}
	for _, name := range profiled() {
		if p, ok := o.PprofPorts[name]; ok {
			out[name] = p
			continue
		}
		p, err := stack.FreePort()
		if err != nil {
			return nil, err
		}
		out[name] = p
	}
	return out, nil
}

// sidecarProfiling turns on each sidecar's profiler on its port.
func sidecarProfiling(ports map[string]int) func(instance string) []string {
	return func(instance string) []string {
		p, ok := ports[instance+"/dapr"]
		if !ok {
			return nil
		}
		return []string{"--enable-profiling", "--profile-port", fmt.Sprint(p)}
	}
}

// pprofEnv tells each service where to serve pprof.
func pprofEnv(o Options, ports map[string]int) map[string][]string {
	env := map[string][]string{}
	for _, app := range stack.Apps {
		env[app] = []string{fmt.Sprintf("%s=127.0.0.1:%d", o.PprofEnv, ports[app])}
	}
	return env
}

// profileResult is one service's profile, or why there is none.
type profileResult struct {
	App   string `json:"app"`
	File  string `json:"file,omitempty"`
	Error string `json:"error,omitempty"`
}

// fetchProfiles takes a CPU profile of every service and sidecar at once,
// each over seconds, and saves them as <prefix><name>.cpu.pprof.
func fetchProfiles(ctx context.Context, ports map[string]int, seconds int, prefix string) []profileResult {
	names := profiled()
	out := make([]profileResult, len(names))
	var wg sync.WaitGroup
	for i, app := range names {
		wg.Go(func() {
			out[i] = profileResult{App: app}
			url := fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", ports[app], seconds)
			file := prefix + strings.ReplaceAll(app, "/", "-") + ".cpu.pprof"
			if err := download(ctx, url, file, time.Duration(seconds+30)*time.Second); err != nil {
				out[i].Error = err.Error()
				return
			}
			out[i].File = file
		})
	}
	wg.Wait()
	return out
}

func download(ctx context.Context, url, file string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startProfiles, with -profile, starts fetching the CPU profiles of a run
// that lasts about d, files named from prefix; the function it returns
// waits for them. Without -profile it does nothing.
func startProfiles(ctx context.Context, o Options, d time.Duration, prefix string) func() []profileResult {
	if !o.Profile {
		return func() []profileResult { return nil }
	}
	done := make(chan []profileResult, 1)
	seconds := min(o.ProfileSeconds, max(int(d.Seconds())-2, 1))
	go func() { done <- fetchProfiles(ctx, o.PprofPorts, seconds, prefix) }()
	return func() []profileResult { return <-done }
}
