// Package app is the frame every service runs in: config, logger,
// metrics, the Dapr client, the HTTP router beside Dapr's own routes,
// health endpoints, and a graceful run loop.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	dapr "github.com/dapr/go-sdk/client"
	"github.com/dapr/go-sdk/service/common"
	daprhttp "github.com/dapr/go-sdk/service/http"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/example/order-saga/platform/obs"
	"github.com/example/order-saga/platform/problem"
)

// App is one running service.
type App struct {
	Config  Config
	Log     *slog.Logger
	Metrics *obs.Metrics
	Dapr    dapr.Client
	Router  chi.Router
	Service common.Service

	conn       *grpc.ClientConn
	ready      []func(context.Context) error
	background []func(context.Context)
}

// New builds the frame of a service whose own state store is store.
func New(cfg Config, store string) (*App, error) {
	log := obs.NewLogger(os.Stdout, cfg.Name, cfg.LogLevel)
	// A lazy connection: the service starts before its sidecar answers,
	// as it does in a pod, and /readyz tells when the sidecar is there.
	conn, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", cfg.DaprGRPCPort),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("dapr connection: %w", err)
	}
	client := dapr.NewClientWithConnection(conn)
	metrics := obs.NewMetrics(cfg.Name)

	mux := chi.NewRouter()
	mux.Use(middleware.Recoverer, metrics.Middleware, obs.TraceMiddleware)
	mux.NotFound(func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, problem.New(http.StatusNotFound, "not-found", "no route for "+r.URL.Path))
	})
	mux.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, problem.New(http.StatusMethodNotAllowed, "method-not-allowed", r.Method+" is not allowed on "+r.URL.Path))
	})
	mux.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.Method(http.MethodGet, "/metrics", metrics.Handler())

	a := &App{
		Config:  cfg,
		Log:     log,
		Metrics: metrics,
		Dapr:    client,
		Router:  mux,
		Service: daprhttp.NewServiceWithMux(fmt.Sprintf(":%d", cfg.Port), mux),
		conn:    conn,
	}
	a.AddReadiness(func(ctx context.Context) error {
		if _, err := client.GetState(ctx, store, "readiness-probe", nil); err != nil {
			return errors.New("the sidecar or the state store does not answer")
		}
		return nil
	})
	mux.Get("/readyz", a.readiness)
	return a, nil
}

// AddReadiness adds a check that must pass before /readyz answers 200.
// Call it before Run.
func (a *App) AddReadiness(check func(context.Context) error) {
	a.ready = append(a.ready, check)
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
	for _, task := range a.background {
		go task(ctx)
	}

	servePprof(a.Config.PprofAddr, a.Log)
	errc := make(chan error, 1)
	go func() { errc <- a.Service.Start() }()
	a.Log.Info("listening", "port", a.Config.Port, "daprGrpcPort", a.Config.DaprGRPCPort)

	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	if err := a.Service.GracefulStop(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
