// Package stack runs the saga locally the way `dapr run` would: Redis,
// the Dapr scheduler, three sidecars and three services, with no Docker and no Dapr CLI. Both
// `make run` and the end-to-end tests use it.
package stack

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options say how to run a stack.
type Options struct {
	Root      string // repository root
	Dir       string // working folder (binaries, resources, Redis data)
	RedisAddr string // Redis to use or start
	OwnRedis  bool   // always start a fresh Redis, never reuse one
	Persist   bool   // keep Redis's (and PostgreSQL's) data in Dir, durably
	// State is where the state stores keep their data: "redis" (or "") in
	// the stack's Redis, as dapr/components/ says; "postgres" in
	// PostgreSQL, each store in a schema of its own, with the components
	// of dapr/stores/postgres/ in place of those of Resources.
	State string
	// PostgresURL, under State "postgres", is an administrator's URL of a
	// PostgreSQL to use as it is; when empty, the stack starts one of its
	// own on PostgresAddr (127.0.0.1:5432 by default, a free port when
	// Ports is set), its data in Dir.
	PostgresURL  string
	PostgresAddr string
	Ports        map[string]Ports // per app; DefaultPorts when nil
	// SchedulerPorts are the Dapr scheduler's: DefaultSchedulerPorts when
	// Ports is nil, free ports otherwise. NoScheduler runs none, and
	// sidecars that know of none (a daprd older than the stack's, say).
	SchedulerPorts *SchedulerPorts
	NoScheduler    bool
	// Daprd is the sidecar binary; scripts/ensure-daprd.sh's when empty.
	Daprd     string
	Resources string // component folder; dapr/components when empty
	// PubSub, when set, is a pub/sub component file used instead of the
	// folder's pubsub.yaml (one of dapr/brokers/, say), and Addresses
	// replaces, in every component, each key by its value (a broker's
	// address in place of the one the file names). Secrets are what the
	// sidecars' local secret store serves besides REDIS_PASSWORD (the
	// broker's password), by variable name.
	PubSub    string
	Addresses map[string]string
	Secrets   map[string]string
	// Tokens are the stack's secrets; each one left empty is drawn at
	// random.
	Tokens Tokens
	// BindAddress is where the services and the sidecars' APIs, internal
	// gRPC and metrics listen; 127.0.0.1 when empty. Redis always listens
	// on RedisAddr.
	BindAddress string
	Log         io.Writer // where every process's output goes
	LogLevel    string    // services' LOG_LEVEL
	DaprLog     string    // daprd's --log-level
	// Env adds variables to one app's environment.
	Env map[string][]string
	// Replicas runs more than one instance of an app; the extra instances
	// are named app-2, app-3... and get free ports.
	Replicas map[string]int
	// DaprConfig is the sidecars' Configuration file; dapr/config.yaml
	// when empty.
	DaprConfig string
	// DaprArgs, when set, gives extra flags for the sidecar of an instance
	// (to enable its profiler on a port of its own, say).
	DaprArgs func(instance string) []string
	// Supervise restarts every process the stack started (each instance,
	// each sidecar, and Redis when the stack started it) whenever it
	// dies, whatever ended it (a crash, a signal, Proc.Stop, a clean
	// exit), as a kubelet would: with the binary, args and env of its
	// last start, after a backoff of its own of 1 s, doubling with each
	// consecutive restart up to 30 s, back to 1 s after a run of 60 s.
	// Each restart is logged to Log by "supervisor". Only Stop ends a
	// process for good, and StartApp replaces one.
	Supervise bool
	// RestartBroker, when set (by StartBroker, for a broker that can be),
	// stops the stack's broker gracefully and starts it again with the
	// same ports and data, returning once it takes connections.
	RestartBroker func(ctx context.Context) error
}

// Stack is a running local saga.
type Stack struct {
	Opts      Options
	Redis     *Redis
	Postgres  *Postgres        // under State "postgres"
	Scheduler *Scheduler       // nil with NoScheduler
	Ports     map[string]Ports // by instance
	Tokens    Tokens
	// Instances are the running instances, by name: the app id for the
	// first instance of each app.
	Instances []string
	appOf     map[string]string

	daprd     string
	bins      string
	resources string
	config    string
	// samplingRate is the tracing samplingRate of config.
	samplingRate string

	procs *processes
}

// URL is the base URL of an app's HTTP API.
func (s *Stack) URL(app string) string {
	return "http://127.0.0.1:" + strconv.Itoa(s.Ports[app].App)
}

// Start brings the stack up and waits until every service is ready.
func Start(ctx context.Context, o Options) (*Stack, error) {
	if o.State != "" && o.State != "redis" && o.State != "postgres" {
		return nil, fmt.Errorf("STATE=%q: use redis or postgres", o.State)
	}
	if o.State == "postgres" && o.PostgresURL == "" && o.PostgresAddr == "" {
		o.PostgresAddr = "127.0.0.1:5432"
		if o.Ports != nil {
			port, err := FreePort()
			if err != nil {
				return nil, err
			}
			o.PostgresAddr = fmt.Sprintf("127.0.0.1:%d", port)
		}
	}
	if o.SchedulerPorts == nil && !o.NoScheduler {
		p := DefaultSchedulerPorts()
		if o.Ports != nil {
			var err error
			if p, err = FreeSchedulerPorts(); err != nil {
				return nil, err
			}
		}
		o.SchedulerPorts = &p
	}
	if o.Ports == nil {
		o.Ports = DefaultPorts()
	}
	ports := make(map[string]Ports, len(o.Ports))
	for k, v := range o.Ports {
		ports[k] = v
	}
	o.Ports = ports
	if o.Resources == "" {
		o.Resources = filepath.Join(o.Root, "dapr", "components")
	}
	o.Dir = absDir(o.Root, o.Dir)
	if o.DaprLog == "" {
		o.DaprLog = "warn"
	}
	if o.DaprConfig == "" {
		o.DaprConfig = filepath.Join(o.Root, "dapr", "config.yaml")
	}
	if o.BindAddress == "" {
		o.BindAddress = "127.0.0.1"
	}
	if err := o.Tokens.fill(); err != nil {
		return nil, err
	}
	rate, err := SamplingRate(o.DaprConfig)
	if err != nil {
		return nil, err
	}
	s := &Stack{Opts: o, Ports: o.Ports, Tokens: o.Tokens, bins: filepath.Join(o.Dir, "bin"), config: o.DaprConfig,
		samplingRate: rate, appOf: map[string]string{}, procs: newProcesses(o.Supervise, o.Log)}
	for _, app := range Apps {
		s.Instances = append(s.Instances, app)
		s.appOf[app] = app
		for i := 2; i <= o.Replicas[app]; i++ {
			name := fmt.Sprintf("%s-%d", app, i)
			p, err := FreePorts()
			if err != nil {
				return nil, err
			}
			s.Ports[name] = p[app]
			s.Instances = append(s.Instances, name)
			s.appOf[name] = app
		}
	}

	s.daprd = o.Daprd
	if s.daprd == "" {
		if s.daprd, err = EnsureDaprd(o.Root, o.Log); err != nil {
			return nil, err
		}
	}
	var scheduler string
	if !o.NoScheduler {
		if scheduler, err = EnsureTool(o.Root, "dapr-scheduler", o.Log); err != nil {
			return nil, err
		}
	}
	if err := BuildServices(o.Root, s.bins, o.Log); err != nil {
		return nil, err
	}
	redisDir := filepath.Join(o.Dir, "redis")
	if o.OwnRedis {
		s.Redis, err = StartRedis(ctx, o.RedisAddr, o.Tokens.RedisPassword, redisDir, o.Persist, o.Log)
	} else {
		s.Redis, err = UseOrStartRedis(ctx, o.RedisAddr, o.Tokens.RedisPassword, redisDir, o.Persist, o.Log)
	}
	if err != nil {
		return nil, err
	}
	if p := s.Redis.process(); p != nil {
		if err := s.procs.add("redis", p, s.Redis.launch); err != nil {
			s.Stop()
			return nil, err
		}
	}
	if !o.NoScheduler {
		if err := s.startScheduler(ctx, scheduler); err != nil {
			s.Stop()
			return nil, err
		}
	}
	addrs := map[string]string{"localhost:6379": s.Redis.Addr}
	for k, v := range o.Addresses {
		addrs[k] = v
	}
	files := map[string]string{}
	if o.PubSub != "" {
		files["pubsub.yaml"] = o.PubSub
	}
	if o.State == "postgres" {
		if err := s.startPostgres(ctx, files, addrs); err != nil {
			s.Stop()
			return nil, err
		}
	}
	if s.resources, err = RenderResources(o.Resources, filepath.Join(o.Dir, "resources"), files, addrs); err != nil {
		s.Stop()
		return nil, err
	}
	for _, inst := range s.Instances {
		if err := s.startSidecar(inst); err != nil {
			s.Stop()
			return nil, err
		}
		if err := s.StartApp(inst); err != nil {
			s.Stop()
			return nil, err
		}
	}
	// A process that dies before the stack is first ready fails the
	// start, supervised or not: it is broken, not unlucky.
	if err := s.waitReady(ctx, true, s.Instances...); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// startPostgres uses or starts the stack's PostgreSQL, supervised like
// Redis when the stack started it, prepares the stores' schemas and
// roles, and says which component files to use and where they reach it.
func (s *Stack) startPostgres(ctx context.Context, files, addrs map[string]string) error {
	o := s.Opts
	pg, err := UseOrStartPostgres(ctx, o.PostgresURL, o.PostgresAddr, o.Tokens.PostgresPassword, filepath.Join(o.Dir, "postgres"), o.Persist, o.Log)
	if err != nil {
		return err
	}
	s.Postgres = pg
	if p := pg.process(); p != nil {
		if err := s.procs.add("postgres", p, pg.launch); err != nil {
			return err
		}
	}
	if err := pg.PrepareStores(ctx, o.Tokens.StorePasswords()); err != nil {
		return err
	}
	stores := filepath.Join(o.Root, "dapr", "stores", "postgres")
	for _, role := range StoreRoles {
		files[role+".yaml"] = filepath.Join(stores, role+".yaml")
	}
	addrs["localhost:5432/"+StoreDatabase] = pg.Addr + "/" + pg.Database
	return nil
}

// startScheduler starts the scheduler, supervised like every process of
// the stack, and waits until it serves: a sidecar started before it would
// say it cannot reach it.
func (s *Stack) startScheduler(ctx context.Context, bin string) error {
	s.Scheduler = NewScheduler(bin, s.Opts.BindAddress, *s.Opts.SchedulerPorts, filepath.Join(s.Opts.Dir, "scheduler"), s.Opts.DaprLog, s.Opts.Log)
	p, err := s.procs.run("scheduler", s.Scheduler.launch)
	if err != nil {
		return err
	}
	return s.Scheduler.WaitReady(ctx, p, true)
}

func (s *Stack) startSidecar(inst string) error {
	var extra []string
	if s.Opts.DaprArgs != nil {
		extra = s.Opts.DaprArgs(inst)
	}
	_, err := s.procs.run(inst+"/dapr", func() (*Proc, error) {
		return s.StartSidecar(s.appOf[inst], s.Ports[inst], s.resources, extra...)
	})
	return err
}

// StartSidecarOf starts (or starts again) the sidecar of one instance of
// the stack, as the stack started it, stopping first its process if one
// still runs.
func (s *Stack) StartSidecarOf(inst string) error { return s.startSidecar(inst) }

// StartSidecar starts a daprd for appID on ports p with the components of
// resources, as the stack starts its own: the same flags, configuration,
// tokens and secrets. extra are more flags. A benchmark's no-op
// subscriber uses it for a sidecar that is not one of the stack's.
func (s *Stack) StartSidecar(appID string, p Ports, resources string, extra ...string) (*Proc, error) {
	env := s.Tokens.sidecarEnv(appID)
	for name, value := range s.Opts.Secrets {
		env = append(env, name+"="+value)
	}
	args := daprdArgs(appID, p, resources, s.config, s.Opts.DaprLog, s.Opts.BindAddress)
	if s.Scheduler != nil {
		args = append(args, "--scheduler-host-address", s.Scheduler.Addr)
	}
	args = append(args, extra...)
	return startProc(appID+"/dapr", s.daprd, args, env, s.Opts.Log)
}

// StartApp starts (or starts again) one instance of a service, with extra
// env, stopping first its process if one still runs. When the stack
// supervises, the new process is the one it restarts, with that env.
func (s *Stack) StartApp(inst string, env ...string) error {
	app := s.appOf[inst]
	p := s.Ports[inst]
	vars := []string{
		"PORT=" + strconv.Itoa(p.App),
		"DAPR_GRPC_PORT=" + strconv.Itoa(p.DaprGRPC),
		"DAPR_HTTP_PORT=" + strconv.Itoa(p.DaprHTTP),
		"LOG_LEVEL=" + s.Opts.LogLevel,
		"BIND_ADDRESS=" + s.Opts.BindAddress,
		// The traces a service starts are sampled as its sidecar samples.
		"TRACE_SAMPLING_RATE=" + s.samplingRate,
	}
	vars = append(vars, s.Tokens.appEnv(app)...)
	vars = append(vars, s.Opts.Env[app]...)
	vars = append(vars, env...)
	_, err := s.procs.run(inst, func() (*Proc, error) {
		return startProc(inst, filepath.Join(s.bins, app), nil, vars, s.Opts.Log)
	})
	return err
}

// App is the running process of a service instance: the last one
// started, by StartApp or by the supervisor.
func (s *Stack) App(inst string) *Proc { return s.procs.get(inst) }

// AppOf is the app an instance runs: stock-svc for stock-svc-2.
func (s *Stack) AppOf(inst string) (string, bool) {
	app, ok := s.appOf[inst]
	return app, ok
}

// Sidecar is the running daprd of a service instance.
func (s *Stack) Sidecar(inst string) *Proc { return s.procs.get(inst + "/dapr") }

// Pids lists the process id of every process of the stack by name:
// instances, their sidecars ("<instance>/dapr"), "scheduler", and "redis"
// and "postgres" when the stack started them.
func (s *Stack) Pids() map[string]int { return s.procs.pids() }

// KillFor kills a process of the stack (a name of Pids) with SIGKILL and
// keeps it down for d: when the stack supervises, it is started again no
// sooner than d later.
func (s *Stack) KillFor(name string, d time.Duration) error { return s.procs.killFor(name, d) }

// Restarts counts the supervisor's restarts so far, by the names of Pids;
// a process never restarted is left out.
func (s *Stack) Restarts() map[string]int { return s.procs.restartCounts() }

// ResourcesDir is the folder of the components the sidecars load.
func (s *Stack) ResourcesDir() string { return s.resources }

// Daprd is the daprd binary the stack runs.
func (s *Stack) Daprd() string { return s.daprd }

// DaprURL is the base URL of an instance's sidecar HTTP API.
func (s *Stack) DaprURL(inst string) string {
	return "http://127.0.0.1:" + strconv.Itoa(s.Ports[inst].DaprHTTP)
}

// WaitReady waits until each app answers /readyz and its sidecar has
// loaded its subscriptions. Unless the stack supervises (and so starts
// it again), a process of theirs that has exited ends the wait.
func (s *Stack) WaitReady(ctx context.Context, apps ...string) error {
	return s.waitReady(ctx, !s.Opts.Supervise, apps...)
}

func (s *Stack) waitReady(ctx context.Context, failOnExit bool, apps ...string) error {
	for _, app := range apps {
		url := s.URL(app) + "/readyz"
		side := fmt.Sprintf("http://127.0.0.1:%d/v1.0/healthz", s.Ports[app].DaprHTTP)
		err := waitFor(ctx, 60*time.Second, func(ctx context.Context) error {
			if p := s.App(app); failOnExit && p != nil && p.Exited() {
				return stopWaiting{fmt.Errorf("%s exited with code %d", app, p.ExitCode())}
			}
			if p := s.Sidecar(app); failOnExit && p != nil && p.Exited() {
				return stopWaiting{fmt.Errorf("the sidecar of %s exited with code %d", app, p.ExitCode())}
			}
			if err := httpOK(ctx, url); err != nil {
				return err
			}
			return httpOK(ctx, side)
		})
		if err != nil {
			return fmt.Errorf("%s: %w", app, err)
		}
	}
	return nil
}

func httpOK(ctx context.Context, url string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s answered %d", url, resp.StatusCode)
	}
	return nil
}

// Stop stops every process the stack started, services first, then the
// sidecars, then the stores (Redis, PostgreSQL) and the scheduler. Nothing is restarted once it has begun: a
// restart either happened before, and its process is stopped here, or
// does not happen.
func (s *Stack) Stop() {
	var services, sidecars, redis []*Proc
	for name, p := range s.procs.halt() {
		switch {
		case name == "redis" || name == "postgres" || name == "scheduler":
			redis = append(redis, p)
		case strings.HasSuffix(name, "/dapr"):
			sidecars = append(sidecars, p)
		default:
			services = append(services, p)
		}
	}
	for _, group := range [][]*Proc{services, sidecars, redis} {
		var wg sync.WaitGroup
		for _, p := range group {
			wg.Add(1)
			go func() { defer wg.Done(); p.Stop(10 * time.Second) }()
		}
		wg.Wait()
	}
	if s.Redis != nil {
		s.Redis.Stop()
	}
	if s.Postgres != nil {
		s.Postgres.Stop()
	}
	s.procs.waitWatchers()
}
