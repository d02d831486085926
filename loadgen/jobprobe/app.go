// Package jobprobe is a small app that schedules Dapr jobs when asked and
// records every delivery it gets, to prove the Dapr scheduler end to end
// (e2e/jobs_test.go) and to measure what a job costs (make bench-jobs).
// It is built like the saga's services, on platform/frame and
// platform/jobs, and run beside a devstack stack by Start.
//
//	POST   /jobs/{name}  {"due": RFC 3339, "refuse": n}  schedules the job, 202
//	DELETE /jobs/{name}                                  cancels it, 204
//	GET    /fired?from=n                                 the deliveries this replica got, from the nth
//
// All three take the admin token (Authorization: Bearer). A job scheduled
// with "refuse": n is refused (500) by each replica the first n times it
// reaches it, to see the failure policy deliver it again.
package jobprobe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/frame"
	"github.com/example/order-saga/platform/jobs"
	"github.com/example/order-saga/platform/web"
)

// AppID is the probe's app id: every replica shares it, so a job goes to
// one of them.
const AppID = "job-probe"

// Port is the probe's port when PORT is not set.
const Port = 8090

// InstanceEnv names the variable that tells a replica its name, which
// each delivery records; the host name and the process id when unset.
const InstanceEnv = "PROBE_INSTANCE"

// namePrefix is what the probe puts before a name to make its job's name:
// the prefix its handler is registered for.
const namePrefix = "probe."

// MaxRefuse bounds the deliveries a job may ask to be refused: the
// failure policy tries jobs.MaxRetries times in all.
const MaxRefuse = 5

// Firing is one delivery of a job to one replica.
type Firing struct {
	Name        string    `json:"name"` // as scheduled, without the probe's prefix
	Due         time.Time `json:"due"`
	FiredAt     time.Time `json:"firedAt"`
	Instance    string    `json:"instance"`    // the replica it reached
	ScheduledBy string    `json:"scheduledBy"` // the replica that scheduled it
	// Refused is set on a delivery the replica refused, as the job asked.
	Refused bool `json:"refused,omitempty"`
}

// Late is how long after its due time the job reached the app.
func (f Firing) Late() time.Duration { return f.FiredAt.Sub(f.Due) }

// payload is the data of a probe's job.
type payload struct {
	Due         time.Time `json:"due"`
	ScheduledBy string    `json:"scheduledBy"`
	Refuse      int       `json:"refuse,omitempty"`
}

// ScheduleRequest is the body of POST /jobs/{name}.
type ScheduleRequest struct {
	Due    time.Time `json:"due"`
	Refuse int       `json:"refuse,omitempty"`
}

// FiredView is the answer of GET /fired?from=n: the deliveries kept from
// the nth (0 first), in the order they came.
type FiredView struct {
	Instance string   `json:"instance"`
	From     int      `json:"from"`
	Fired    []Firing `json:"fired"`
	// Kept counts the deliveries kept, and Dropped those past the most
	// kept (maxFired).
	Kept    int `json:"kept"`
	Dropped int `json:"dropped"`
}

// New builds the probe: its frame, which is ready while its sidecar
// reaches the scheduler, its job handler and its routes.
func New(cfg frame.Config) (*frame.App, error) {
	if err := cfg.RequireAdminToken(); err != nil {
		return nil, err
	}
	a, err := frame.New(cfg, "")
	if err != nil {
		return nil, err
	}
	instance := os.Getenv(InstanceEnv)
	if instance == "" {
		host, _ := os.Hostname()
		instance = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	p := &probe{instance: instance, timers: a.NeedsScheduler(), now: time.Now, refused: map[string]int{}}
	jobs.On(a.Jobs, namePrefix, p.fire)
	a.Router.Group(func(r chi.Router) {
		r.Use(web.RequireToken(web.BearerToken, cfg.AdminToken))
		r.Post("/jobs/{name}", web.Handle(a.Log, p.schedule))
		r.Delete("/jobs/{name}", web.Handle(a.Log, p.cancel))
		r.Get("/fired", web.Handle(a.Log, p.fired))
	})
	return a, nil
}

// maxFired bounds the deliveries a replica keeps: 400 s of the
// benchmark's fastest rate.
const maxFired = 200_000

type probe struct {
	instance string
	timers   *jobs.Scheduler
	now      func() time.Time

	mu      sync.Mutex
	log     []Firing
	dropped int
	refused map[string]int // job name → deliveries refused so far
}

func (p *probe) schedule(w http.ResponseWriter, r *http.Request) error {
	var req ScheduleRequest
	if err := web.Decode(w, r, &req); err != nil {
		return err
	}
	var bad contracts.FieldErrors
	if req.Due.IsZero() {
		bad = append(bad, contracts.FieldError{Field: "due", Detail: "must be an RFC 3339 time"})
	}
	if req.Refuse < 0 || req.Refuse > MaxRefuse {
		bad = append(bad, contracts.FieldError{Field: "refuse", Detail: fmt.Sprintf("must be from 0 to %d", MaxRefuse)})
	}
	if len(bad) > 0 {
		return contracts.Invalid(bad...)
	}
	name := chi.URLParam(r, "name")
	data := payload{Due: req.Due, ScheduledBy: p.instance, Refuse: req.Refuse}
	if err := p.timers.Schedule(r.Context(), namePrefix+name, req.Due, data); err != nil {
		return err
	}
	web.JSON(w, http.StatusAccepted, map[string]any{"name": name, "due": req.Due})
	return nil
}

func (p *probe) cancel(w http.ResponseWriter, r *http.Request) error {
	if err := p.timers.Cancel(r.Context(), namePrefix+chi.URLParam(r, "name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// errRefused is the probe's refusal of a delivery a job asked it to refuse.
var errRefused = errors.New("refused, as the job asked")

// fire records a delivery, refusing it while the job asks for it.
func (p *probe) fire(_ context.Context, name string, data payload) error {
	f := Firing{Name: name[len(namePrefix):], Due: data.Due, FiredAt: p.now(), Instance: p.instance, ScheduledBy: data.ScheduledBy}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refused[name] < data.Refuse {
		p.refused[name]++
		f.Refused = true
	}
	if len(p.log) < maxFired {
		p.log = append(p.log, f)
	} else {
		p.dropped++
	}
	if f.Refused {
		return errRefused
	}
	return nil
}

var errInvalidFrom = contracts.Invalid(contracts.FieldError{Field: "from", Detail: "must be a whole number from 0"})

func (p *probe) fired(w http.ResponseWriter, r *http.Request) error {
	from := 0
	if s := r.URL.Query().Get("from"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return errInvalidFrom
		}
		from = n
	}
	p.mu.Lock()
	v := FiredView{Instance: p.instance, From: from, Fired: append([]Firing{}, p.log[min(from, len(p.log)):]...), Kept: len(p.log), Dropped: p.dropped}
	p.mu.Unlock()
	web.JSON(w, http.StatusOK, v)
	return nil
}
