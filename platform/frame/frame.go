// Package frame is what every service runs in: config, logger, metrics,
// the Dapr client, the HTTP router with the event subscriptions beside the
// service's own routes, health endpoints, and a graceful run loop.
package frame

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	dapr "github.com/dapr/go-sdk/client"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/deadletters"
	"github.com/example/order-saga/platform/jobs"
	"github.com/example/order-saga/platform/obs"
	"github.com/example/order-saga/platform/problem"
	"github.com/example/order-saga/platform/pubsub"
	"github.com/example/order-saga/platform/web"
)

// App is one running service.
type App struct {
	Config  Config
	Log     *slog.Logger
	Metrics *obs.Metrics
	Dapr    dapr.Client
	Router  chi.Router
	// Events routes the events the sidecar delivers to the service's
	// handlers (pubsub.On), and declares the subscriptions.
	Events *pubsub.Router
	// Jobs routes the jobs the sidecar delivers to the service's handlers
	// (jobs.On); see NeedsScheduler for scheduling them.
	Jobs *jobs.Router

	conn       *grpc.ClientConn
	server     *http.Server
	ready      []func(context.Context) error
	background []func(context.Context)
	scheduler  *jobs.Scheduler
}

// Main runs the service that build makes of the configuration read from
// the environment, with defaultPort for PORT, and exits when it stops.
// With the arguments `wait-for host:port...` it only waits for those
// addresses (see WaitFor).
func Main(name string, defaultPort int, build func(Config) (*App, error)) {
	if len(os.Args) > 1 && os.Args[1] == WaitCommand {
		if err := WaitFor(context.Background(), os.Args[2:], 5*time.Minute, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, name+":", err)
			os.Exit(1)
		}
		return
	}
	err := func() error {
		cfg, err := LoadConfig(name, defaultPort)
		if err != nil {
			return err
		}
		a, err := build(cfg)
		if err != nil {
			return err
		}
		return a.Run()
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

// New builds the frame of a service whose own state store is store; ""
// for a service with none (a probe), whose readiness then does not ask
// for one.
func New(cfg Config, store string) (*App, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	log := obs.NewLogger(os.Stdout, cfg.Name, cfg.LogLevel)
	// A lazy connection: the service starts before its sidecar answers,
	// as it does in a pod, and /readyz tells when the sidecar is there.
	// gRPC's default reconnect back-off starts at 1 s and grows to 2 min;
	// the sidecar is on localhost, and a call fails at once while the
	// channel waits, so it reconnects within a fifth of a second of the
	// sidecar listening, and never waits more than 2 s.
	conn, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", cfg.DaprGRPCPort),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
			MinConnectTimeout: 2 * time.Second,
		}),
		grpc.WithUnaryInterceptor(sendToken(cfg.DaprToken)))
	if err != nil {
		return nil, fmt.Errorf("dapr connection: %w", err)
	}
	client := dapr.NewClientWithConnection(conn)
	metrics := obs.NewMetrics(cfg.Name)

	mux := chi.NewRouter()
	mux.Use(middleware.Recoverer, metrics.Middleware, obs.TraceMiddleware(cfg.TraceSamplingRate))
	mux.NotFound(func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, problem.New(http.StatusNotFound, "not-found", "no route for "+r.URL.Path))
	})
	mux.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, problem.New(http.StatusMethodNotAllowed, "method-not-allowed", r.Method+" is not allowed on "+r.URL.Path))
	})
	mux.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.Method(http.MethodGet, "/metrics", metrics.Handler())
	events := pubsub.NewRouter(contracts.PubSub, metrics, log)
	events.ReceiveInBulk(cfg.BulkSubscribe)
	timers := jobs.NewRouter(log)
	mux.Group(func(sidecar chi.Router) {
		sidecar.Use(web.RequireToken(web.SidecarToken, cfg.AppToken))
		events.Mount(sidecar)
		timers.Mount(sidecar)
	})

	a := &App{
		Config:  cfg,
		Log:     log,
		Metrics: metrics,
		Dapr:    client,
		Router:  mux,
		Events:  events,
		Jobs:    timers,
		conn:    conn,
		server: &http.Server{
			Addr:              net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.Port)),
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			// Above the longest waiting read, GET /orders/{id}?wait=30s.
			WriteTimeout:   45 * time.Second,
			IdleTimeout:    2 * time.Minute,
			MaxHeaderBytes: 16 << 10,
		},
	}
	if store != "" {
		a.AddReadiness(func(ctx context.Context) error {
			if _, err := client.GetState(ctx, store, "readiness-probe", nil); err != nil {
				return errors.New("the sidecar or the state store does not answer")
			}
			return nil
		})
	}
	mux.Get("/readyz", a.readiness)
	return a, nil
}

// sendToken adds the sidecar's API token to every call. A client built on
// a connection of its own gets no token from the Dapr SDK.
func sendToken(token string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		return invoker(metadata.AppendToOutgoingContext(ctx, "dapr-api-token", token), method, req, reply, cc, opts...)
	}
}

// AddReadiness adds a check that must pass before /readyz answers 200.
// Call it before Run.
func (a *App) AddReadiness(check func(context.Context) error) {
	a.ready = append(a.ready, check)
}

// NeedsScheduler returns what schedules the service's jobs, whose
// deliveries a.Jobs routes, and makes /readyz answer 503, "the sidecar
// does not reach the Dapr scheduler", while the sidecar cannot reach it:
// a service that cannot set its timers is not ready. Call it before Run;
// a second call returns the same scheduler.
func (a *App) NeedsScheduler() *jobs.Scheduler {
	if a.scheduler == nil {
		a.scheduler = jobs.NewScheduler(a.Dapr)
		a.AddReadiness(a.scheduler.Reachable)
	}
	return a.scheduler
}

// KeepDeadLetters keeps the dead letters of topic, the service's own, in
// its state store store, and serves them to the holder of the admin token
// (see deadletters.Letters): the service must have one.
func (a *App) KeepDeadLetters(store, topic string) *deadletters.Letters {
	letters := deadletters.New(a.Dapr, store, topic, pubsub.NewPublisher(a.Dapr, contracts.PubSub), a.Metrics.Registry, time.Now)
	pubsub.KeepLetters(a.Events, letters.Keep)
	letters.Routes(a.Router, a.Config.AdminToken, a.Log)
	return letters
}

// OnRun adds a task that Run starts beside the server, with a context that
// ends when the service stops. Call it before Run.
func (a *App) OnRun(task func(ctx context.Context)) {
	a.background = append(a.background, task)
}

func (a *App) readiness(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	for _, check := range a.ready {
		if err := check(ctx); err != nil {
			problem.Write(w, problem.New(http.StatusServiceUnavailable, "not-ready", err.Error()))
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// Run serves until SIGINT or SIGTERM, then drains in-flight requests.
func (a *App) Run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer a.conn.Close()
	ln, err := net.Listen("tcp", a.server.Addr)
	if err != nil {
		return err
	}
	for _, task := range a.background {
		go task(ctx)
	}
	servePprof(a.Config.PprofAddr, a.Log)
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(ln) }()
	a.Log.Info("listening", "port", a.Config.Port, "daprGrpcPort", a.Config.DaprGRPCPort, "topics", a.Events.Topics())

	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.server.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
