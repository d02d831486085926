package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/problem"
)

// Router hands each job the sidecar delivers (POST /job/<name>, the job's
// data as the JSON body) to the handler registered for the longest prefix
// of its name, with the data decoded into the handler's type.
//
// The answer tells the sidecar what to do with the delivery, as daprd
// 1.18 reads it: 2xx is done; 404 is done too, never tried again (daprd
// takes it for "nothing here to handle it"); anything else is a failure,
// tried again by the job's failure policy (RetryEvery, MaxRetries). So a
// handler's error decides: none answers 200; an error of kind
// contracts.KindInvalid, which no retry can fix (data that does not
// decode is one), answers 404 and the job is dropped; any other answers
// 500 (503 for contracts.KindUnavailable) and the job comes again, a
// contracts.KindNotFound too, since what the job names may be stored
// later. A job whose name no handler claims is dropped.
type Router struct {
	log *slog.Logger

	mu     sync.RWMutex
	routes map[string]handler // name prefix → handler
}

// handler handles the JSON data of one job.
type handler func(ctx context.Context, name string, data []byte) error

// NewRouter returns a router with no handler.
func NewRouter(log *slog.Logger) *Router {
	return &Router{log: log, routes: map[string]handler{}}
}

// On hands every job whose name starts with prefix to fn, with its data
// decoded into a T. Register a prefix once; of two prefixes of a name,
// the longer one wins.
func On[T any](r *Router, prefix string, fn func(ctx context.Context, name string, data T) error) {
	if prefix == "" {
		panic("jobs.On: an empty prefix")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.routes[prefix]; dup {
		panic("jobs.On: a second handler for the prefix " + prefix)
	}
	r.routes[prefix] = func(ctx context.Context, name string, data []byte) error {
		var v T
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			return contracts.Invalid(contracts.FieldError{Field: "data", Detail: "does not decode: " + err.Error()})
		}
		return fn(ctx, name, v)
	}
}

// Route is the path of the deliveries, as chi matches it.
const Route = "/job/{name}"

// Mount serves the deliveries on mux, which must let through only the
// sidecar (see web.RequireToken).
func (r *Router) Mount(mux chi.Router) {
	mux.Post(Route, r.deliver)
}

// MaxDataBytes bounds a delivery's body: a job carries an id or two, not
// a document.
const MaxDataBytes = 64 << 10

func (r *Router) deliver(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	name := chi.URLParam(req, "name")
	err := r.handle(req.Context(), name, req.Body)
	took := time.Since(start).Round(time.Microsecond)
	switch kind := contracts.KindOf(err); {
	case err == nil:
		r.log.DebugContext(req.Context(), "job handled", "job", name, "took", took)
		w.WriteHeader(http.StatusOK)
	case errors.Is(err, errNoHandler) || kind == contracts.KindInvalid:
		r.log.WarnContext(req.Context(), "job dropped", "job", name, "error", err)
		problem.Write(w, problem.New(http.StatusNotFound, "job-dropped", "the job cannot be handled, and will not be delivered again"))
	case kind == contracts.KindUnavailable:
		r.log.WarnContext(req.Context(), "job will be delivered again", "job", name, "error", err)
		problem.Write(w, problem.New(http.StatusServiceUnavailable, "unavailable", "the job could not be handled now; it will be delivered again"))
	default:
		r.log.ErrorContext(req.Context(), "job will be delivered again", "job", name, "error", err)
		problem.Write(w, problem.New(http.StatusInternalServerError, "internal", "the job could not be handled; it will be delivered again"))
	}
}

// errNoHandler is the error of a job whose name no handler claims.
var errNoHandler = errors.New("no handler for the job's name")

// handle reads the data of the job name and hands it to its handler.
func (r *Router) handle(ctx context.Context, name string, body io.Reader) error {
	h := r.handlerOf(name)
	if h == nil {
		return errNoHandler
	}
	data, err := io.ReadAll(io.LimitReader(body, MaxDataBytes+1))
	if err != nil {
		return err
	}
	if len(data) > MaxDataBytes {
		return contracts.Invalid(contracts.FieldError{Field: "data", Detail: fmt.Sprintf("is over %d bytes", MaxDataBytes)})
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return contracts.Invalid(contracts.FieldError{Field: "data", Detail: "is empty"})
	}
	return h(ctx, name, data)
}

// handlerOf is the handler of the longest registered prefix of name, nil
// for none.
func (r *Router) handlerOf(name string) handler {
	if !ValidName(name) {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	var best string
	var h handler
	for prefix, fn := range r.routes {
		if strings.HasPrefix(name, prefix) && len(prefix) > len(best) {
			best, h = prefix, fn
		}
	}
	return h
}
