package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/example/order-saga/devstack/stack"
)

// pprofPorts gives each service the port its pprof server should listen
// on: the configured one, or a free one.
func pprofPorts(o Options) (map[string]int, error) {
	out := map[string]int{}
	for _, app := range stack.Apps {
		if p, ok := o.PprofPorts[app]; ok {
			out[app] = p
			continue
		}
		p, err := stack.FreePort()
		if err != nil {
			return nil, err
		}
		out[app] = p
	}
	return out, nil
}

// pprofEnv tells each service where to serve pprof.
func pprofEnv(o Options, ports map[string]int) map[string][]string {
	env := map[string][]string{}
	for app, p := range ports {
		env[app] = []string{fmt.Sprintf("%s=127.0.0.1:%d", o.PprofEnv, p)}
	}
	return env
}

// profileResult is one service's profile, or why there is none.
type profileResult struct {
	App   string `json:"app"`
	File  string `json:"file,omitempty"`
	Error string `json:"error,omitempty"`
}

// fetchProfiles takes a CPU profile of every service at once, each over
// seconds, and saves them as <prefix><app>.cpu.pprof.
func fetchProfiles(ctx context.Context, ports map[string]int, seconds int, prefix string) []profileResult {
	out := make([]profileResult, len(stack.Apps))
	var wg sync.WaitGroup
	for i, app := range stack.Apps {
		wg.Go(func() {
			out[i] = profileResult{App: app}
			url := fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", ports[app], seconds)
			file := prefix + app + ".cpu.pprof"
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
