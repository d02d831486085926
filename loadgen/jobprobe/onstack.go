package jobprobe

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// Options say how to run the probe beside a stack.
type Options struct {
	// Replicas is how many app processes run, each with its own sidecar,
	// all under AppID; 1 when 0.
	Replicas int
	Dir      string    // a folder for the binary, the sidecars' configuration and components
	Log      io.Writer // the processes' output; the stack's when nil
	LogLevel string    // the app's LOG_LEVEL; the stack's when empty
}

// Probe is the probe running beside a stack: its replicas, named
// job-probe-1, job-probe-2..., and their sidecars, which reach the
// stack's scheduler. The stack does not supervise them.
type Probe struct {
	s         *stack.Stack
	o         Options
	bin       string
	config    string // the sidecars' Configuration: the stack's, with the jobs API allowed
	resources string // the sidecars' components: none
	rate      string // the sidecars' tracing samplingRate
	replicas  []*replica
	client    *http.Client
}

type replica struct {
	name  string
	ports stack.Ports

	mu      sync.Mutex
	app     *process
	sidecar *stack.Proc
}

// Start builds the probe, starts its replicas and their sidecars beside
// the stack s, and waits until each is ready.
func Start(ctx context.Context, s *stack.Stack, o Options) (*Probe, error) {
	if s.Scheduler == nil {
		return nil, errors.New("the stack runs no scheduler")
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.Log == nil {
		o.Log = s.Opts.Log
	}
	if o.LogLevel == "" {
		o.LogLevel = s.Opts.LogLevel
	}
	p := &Probe{s: s, o: o, bin: filepath.Join(o.Dir, "bin", AppID), resources: filepath.Join(o.Dir, "resources"),
		// Kept-alive connections for as many requests in flight as a
		// benchmark sends.
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	if err := os.MkdirAll(p.resources, 0o755); err != nil {
		return nil, err
	}
	var err error
	if p.config, err = WithJobsAPI(s.Opts.DaprConfig, filepath.Join(o.Dir, "config.yaml")); err != nil {
		return nil, err
	}
	if p.rate, err = stack.SamplingRate(p.config); err != nil {
		return nil, err
	}
	if err := build(ctx, s.Opts.Root, p.bin, o.Log); err != nil {
		return nil, err
	}
	for i := 1; i <= o.Replicas; i++ {
		free, err := stack.FreePorts()
		if err != nil {
			p.Stop()
			return nil, err
		}
		r := &replica{name: fmt.Sprintf("%s-%d", AppID, i), ports: free[contracts.AppOrder]}
		p.replicas = append(p.replicas, r)
		if err := p.StartSidecar(i); err != nil {
			p.Stop()
			return nil, err
		}
		if r.app, err = p.startApp(r); err != nil {
			p.Stop()
			return nil, err
		}
	}
	for i := range p.replicas {
		if err := p.WaitReady(ctx, i+1); err != nil {
			p.Stop()
			return nil, err
		}
	}
	return p, nil
}

func build(ctx context.Context, root, bin string, log io.Writer) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./loadgen/cmd/job-probe")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build the job probe: %w", err)
	}
	return nil
}

// allowedList is the api.allowed key of a Configuration, indented, and
// the indentation of its first item.
var allowedList = regexp.MustCompile(`(?m)^[ \t]+allowed:[ \t]*\n([ \t]*)- `)

// WithJobsAPI writes to out a copy of the Configuration file with the
// jobs API ({name: jobs, version: v1, protocol: grpc}) as the first item
// of its api.allowed list, which must be a block list of at least one
// item, and returns out: the configuration of a sidecar whose app
// schedules jobs. The rest of the file is the same, so the probe's
// sidecars trace, measure and refuse as the saga's do.
func WithJobsAPI(configFile, out string) (string, error) {
	b, err := os.ReadFile(configFile)
	if err != nil {
		return "", err
	}
	loc := allowedList.FindSubmatchIndex(b)
	if loc == nil {
		return "", fmt.Errorf("%s has no api.allowed list", configFile)
	}
	indent := string(b[loc[2]:loc[3]])
	rule := indent + "- name: jobs\n" + indent + "  version: v1\n" + indent + "  protocol: grpc\n"
	at := loc[2] // the first item's line
	withJobs := append(append(append([]byte{}, b[:at]...), rule...), b[at:]...)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	return out, os.WriteFile(out, withJobs, 0o644)
}

// Replicas names the replicas, in order: replica i is Replicas()[i-1].
func (p *Probe) Replicas() []string {
	names := make([]string, len(p.replicas))
	for i, r := range p.replicas {
		names[i] = r.name
	}
	return names
}

func (p *Probe) replica(i int) *replica {
	if i < 1 || i > len(p.replicas) {
		panic(fmt.Sprintf("jobprobe: no replica %d of %d", i, len(p.replicas)))
	}
	return p.replicas[i-1]
}

// URL is the base URL of replica i (from 1).
func (p *Probe) URL(i int) string {
	return "http://127.0.0.1:" + strconv.Itoa(p.replica(i).ports.App)
}

// Sidecar is the running daprd of replica i.
func (p *Probe) Sidecar(i int) *stack.Proc {
	r := p.replica(i)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sidecar
}

// Pids lists the process id of each replica ("job-probe-1") and of its
// sidecar ("job-probe-1/dapr").
func (p *Probe) Pids() map[string]int {
	out := map[string]int{}
	for _, r := range p.replicas {
		r.mu.Lock()
		if r.app != nil {
			out[r.name] = r.app.cmd.Process.Pid
		}
		if r.sidecar != nil {
			out[r.name+"/dapr"] = r.sidecar.Pid()
		}
		r.mu.Unlock()
	}
	return out
}

// StartSidecar starts the sidecar of replica i, again after a crash: the
// stack's sidecar flags, the probe's configuration and no component.
func (p *Probe) StartSidecar(i int) error {
	r := p.replica(i)
	// The later --config is the one daprd takes.
	d, err := p.s.StartSidecar(AppID, r.ports, p.resources, "--config", p.config)
	if err != nil {
		return fmt.Errorf("start the sidecar of %s: %w", r.name, err)
	}
	r.mu.Lock()
	r.sidecar = d
	r.mu.Unlock()
	return nil
}

// WaitReady waits until replica i answers /readyz with 200: its sidecar
// reaches the scheduler.
func (p *Probe) WaitReady(ctx context.Context, i int) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		status, detail, err := p.Readiness(ctx, i)
		if err == nil && status == http.StatusOK {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("%d %s", status, detail)
		}
		if r := p.replica(i); r.app.exited() {
			return fmt.Errorf("%s exited: %v", r.name, r.app.err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s is not ready: %w", p.replica(i).name, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Readiness is replica i's answer to /readyz: its status and, when not
// ready, the problem's detail.
func (p *Probe) Readiness(ctx context.Context, i int) (status int, detail string, err error) {
	resp, err := p.do(ctx, http.MethodGet, p.URL(i)+"/readyz", nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var prob struct {
		Detail string `json:"detail"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&prob)
	return resp.StatusCode, prob.Detail, nil
}

// Schedule asks replica i to schedule the job name at due, refused the
// first refuse times it reaches each replica.
func (p *Probe) Schedule(ctx context.Context, i int, name string, due time.Time, refuse int) error {
	body, _ := json.Marshal(ScheduleRequest{Due: due, Refuse: refuse})
	return p.expect(ctx, http.MethodPost, p.URL(i)+"/jobs/"+name, body, http.StatusAccepted)
}

// Cancel asks replica i to cancel the job name.
func (p *Probe) Cancel(ctx context.Context, i int, name string) error {
	return p.expect(ctx, http.MethodDelete, p.URL(i)+"/jobs/"+name, nil, http.StatusNoContent)
}

// Fired is the deliveries replica i got, from the nth (0 first).
func (p *Probe) Fired(ctx context.Context, i, from int) (FiredView, error) {
	var v FiredView
	resp, err := p.do(ctx, http.MethodGet, p.URL(i)+"/fired?from="+strconv.Itoa(from), nil)
	if err != nil {
		return v, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return v, fmt.Errorf("GET /fired of %s answered %d %s", p.replica(i).name, resp.StatusCode, b)
	}
	return v, json.NewDecoder(resp.Body).Decode(&v)
}

// FiredEverywhere is every delivery of every replica.
func (p *Probe) FiredEverywhere(ctx context.Context) ([]Firing, error) {
	var all []Firing
	for i := range p.replicas {
		v, err := p.Fired(ctx, i+1, 0)
		if err != nil {
			return nil, err
		}
		all = append(all, v.Fired...)
	}
	return all, nil
}

func (p *Probe) expect(ctx context.Context, method, url string, body []byte, want int) error {
	resp, err := p.do(ctx, method, url, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s %s answered %d %s", method, url, resp.StatusCode, b)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

func (p *Probe) do(ctx context.Context, method, url string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+p.s.Tokens.Admin)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return p.client.Do(req)
}

// Stop ends every replica and sidecar.
func (p *Probe) Stop() {
	var wg sync.WaitGroup
	for _, r := range p.replicas {
		r.mu.Lock()
		app, sidecar := r.app, r.sidecar
		r.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if app != nil {
				app.stop(10 * time.Second)
			}
			if sidecar != nil {
				sidecar.Stop(10 * time.Second)
			}
		}()
	}
	wg.Wait()
}

// startApp starts the probe's process of replica r, with the environment
// the stack gives its services.
func (p *Probe) startApp(r *replica) (*process, error) {
	t := p.s.Tokens
	env := []string{
		"PORT=" + strconv.Itoa(r.ports.App),
		"DAPR_GRPC_PORT=" + strconv.Itoa(r.ports.DaprGRPC),
		"BIND_ADDRESS=127.0.0.1",
		"LOG_LEVEL=" + p.o.LogLevel,
		"TRACE_SAMPLING_RATE=" + p.rate,
		"APP_API_TOKEN=" + t.AppAPI, "DAPR_API_TOKEN=" + t.DaprAPI, "ADMIN_TOKEN=" + t.Admin,
		InstanceEnv + "=" + r.name,
	}
	return startProcess(r.name, p.bin, env, p.o.Log)
}

// process is one app process: in its own process group, killed by the
// kernel if the caller dies, its output copied to a log line by line.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func startProcess(name, bin string, env []string, log io.Writer) (*process, error) {
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		lines := bufio.NewScanner(out)
		lines.Buffer(make([]byte, 64<<10), 1<<20)
		for lines.Scan() {
			fmt.Fprintf(log, "%-12s| %s\n", name, lines.Bytes())
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to end, and kills it after grace.
func (p *process) stop(grace time.Duration) {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}
