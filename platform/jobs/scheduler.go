// Package jobs is a service's access to the Dapr scheduler: durable
// one-shot timers (the Jobs API) that fire once at a due time, on one
// replica of the app, and survive the restart of any process. Its callers
// see no Dapr type: a job is a name, a due time and a JSON value, and a
// handler receives the value decoded into its own type (see On).
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	dapr "github.com/dapr/go-sdk/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/example/order-saga/contracts"
)

// Client is the part of the Dapr client that jobs need.
type Client interface {
	ScheduleJob(ctx context.Context, job *dapr.Job) error
	GetJob(ctx context.Context, name string) (*dapr.Job, error)
	DeleteJob(ctx context.Context, name string) error
}

// The failure policy of every job: a delivery the app refuses (any answer
// but 2xx and 404, or none) is tried again every RetryEvery, MaxRetries
// times, a minute in all: longer than a store, a sidecar or the app takes
// to come back after a crash. Past that the job is gone.
const (
	RetryEvery = 2 * time.Second
	MaxRetries = 30
)

// namePattern is what a job name may be: it travels as a path segment
// (POST /job/<name>) and in a scheduler key, unescaped, so only letters,
// digits, '.', '_' and '-', beginning with a letter or a digit.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidName tells whether name can name a job.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// Scheduler schedules and cancels the jobs of one app. A job belongs to
// the app id, not to a replica: any replica may cancel it, and its
// delivery goes to one of them.
type Scheduler struct {
	client Client
}

// NewScheduler returns a scheduler over the sidecar client c.
func NewScheduler(c Client) *Scheduler { return &Scheduler{client: c} }

// Schedule makes the job name fire once at due, delivering data as JSON
// to the handler of its name (see On). The name is the job's identity:
// while a job of that name waits, Schedule leaves it as it is (due time
// and data) and returns nil, so that a handler delivered twice schedules
// once; to move a job, Cancel it first. A job fired or cancelled is gone,
// and the same name can be scheduled again. A due time already past fires
// at once.
//
// data is any value encoding/json takes. It travels as a
// google.protobuf.Value, whose numbers are float64: an integer beyond
// 2^53 would arrive changed, so it is refused; send it as a string.
func (s *Scheduler) Schedule(ctx context.Context, name string, due time.Time, data any) error {
	job, err := newJob(name, due, data)
	if err != nil {
		return err
	}
	err = s.client.ScheduleJob(ctx, job)
	if status.Code(err) == codes.AlreadyExists {
		return nil
	}
	if err != nil {
		return contracts.Unavailable("the job could not be scheduled", fmt.Errorf("schedule job %s: %w", name, err))
	}
	return nil
}

// Cancel deletes the job name, so that it does not fire. A job that has
// fired, or never was, is not an error.
func (s *Scheduler) Cancel(ctx context.Context, name string) error {
	if !ValidName(name) {
		return invalidName(name)
	}
	if err := s.client.DeleteJob(ctx, name); err != nil {
		return contracts.Unavailable("the job could not be cancelled", fmt.Errorf("cancel job %s: %w", name, err))
	}
	return nil
}

// probeJob is the job the reachability check asks for; it is never
// scheduled.
const probeJob = "jobs.reachability-probe"

// reachWithin bounds the check: a sidecar that reaches the scheduler
// answers in milliseconds, one that does not waits for it until the
// caller's deadline.
const reachWithin = time.Second

// Unreachable is the reason Reachable gives when the sidecar is up but
// has no scheduler to talk to.
const Unreachable = "the sidecar does not reach the Dapr scheduler"

// Reachable tells whether the sidecar reaches the Dapr scheduler, by
// asking for a job that does not exist. daprd 1.18 answers that, over
// gRPC:
//
//   - scheduler reachable: Internal, "failed to get job due to: rpc
//     error: code = NotFound desc = job not found: <name>", at once;
//   - scheduler down (killed, or not started yet): nothing until the
//     caller's deadline, so DeadlineExceeded; and the same for about 22 s
//     after a killed scheduler starts again, until the leadership lease
//     its killed self held in its etcd expires (20 s): until then it
//     serves no call of the jobs API and fires no job;
//   - no scheduler given to the sidecar: Internal, "failed to get job due
//     to: scheduler clients are disabled", at once;
//   - the jobs API not allowed by the sidecar's Configuration:
//     Unimplemented;
//   - the sidecar itself down: Unavailable, from the client.
//
// The error says which, in words for /readyz. daprd logs each of these
// answers, the NotFound too, as one error line ("Error getting job").
func (s *Scheduler) Reachable(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, reachWithin)
	defer cancel()
	_, err := s.client.GetJob(ctx, probeJob)
	return reachability(err)
}

// reachability maps the answer to a GetJob of a job that does not exist
// to nil when it proves the scheduler answered.
func reachability(err error) error {
	if err == nil {
		return nil
	}
	st, _ := status.FromError(err)
	switch {
	case st.Code() == codes.NotFound,
		st.Code() == codes.Internal && strings.Contains(st.Message(), "code = NotFound"):
		return nil
	case st.Code() == codes.Unimplemented:
		return errors.New("the sidecar does not allow the jobs API: its Configuration's api.allowed lacks {name: jobs, version: v1, protocol: grpc}")
	case st.Code() == codes.Unavailable:
		return errors.New("the sidecar does not answer")
	case strings.Contains(st.Message(), "scheduler clients are disabled"):
		return errors.New(Unreachable + ": it was started without --scheduler-host-address")
	default:
		return errors.New(Unreachable)
	}
}

// newJob is the Dapr job of a one-shot timer.
func newJob(name string, due time.Time, data any) (*dapr.Job, error) {
	if !ValidName(name) {
		return nil, invalidName(name)
	}
	if due.IsZero() {
		return nil, contracts.Invalid(contracts.FieldError{Field: "due", Detail: "is not set"})
	}
	payload, err := encode(data)
	if err != nil {
		return nil, err
	}
	return dapr.NewJob(name,
		dapr.WithJobDueTime(due.UTC().Format(time.RFC3339Nano)),
		dapr.WithJobData(payload),
		dapr.WithJobConstantFailurePolicyInterval(RetryEvery),
		dapr.WithJobConstantFailurePolicyMaxRetries(MaxRetries),
	), nil
}

func invalidName(name string) error {
	return contracts.Invalid(contracts.FieldError{Field: "name",
		Detail: fmt.Sprintf("%q is not a job name: 1 to 128 letters, digits, '.', '_' or '-', from a letter or a digit", name)})
}

// maxExactInteger is the largest integer a float64 holds with every
// smaller one: 2^53.
var maxExactInteger = new(big.Int).Lsh(big.NewInt(1), 53)

// encode packs data as the google.protobuf.Value of its JSON, which the
// sidecar delivers as that JSON.
func encode(data any) (*anypb.Any, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, contracts.Invalid(contracts.FieldError{Field: "data", Detail: "is not JSON: " + err.Error()})
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, contracts.Invalid(contracts.FieldError{Field: "data", Detail: "is not JSON: " + err.Error()})
	}
	if n, ok := inexact(tree); !ok {
		return nil, contracts.Invalid(contracts.FieldError{Field: "data",
			Detail: "the integer " + n + " is beyond 2^53 and would arrive changed: send it as a string"})
	}
	v, err := structpb.NewValue(tree)
	if err != nil {
		return nil, contracts.Invalid(contracts.FieldError{Field: "data", Detail: err.Error()})
	}
	return anypb.New(v)
}

// inexact finds in a decoded JSON tree an integer that a float64 cannot
// hold exactly, and returns it with false. A number with a fraction or
// an exponent came from a float, and a float goes back and forth
// unchanged.
func inexact(v any) (string, bool) {
	switch v := v.(type) {
	case json.Number:
		s := v.String()
		if strings.ContainsAny(s, ".eE") {
			return "", true
		}
		i, ok := new(big.Int).SetString(s, 10)
		if !ok || i.CmpAbs(maxExactInteger) > 0 {
			return s, false
		}
	case map[string]any:
		for _, e := range v {
			if n, ok := inexact(e); !ok {
				return n, false
			}
		}
	case []any:
		for _, e := range v {
			if n, ok := inexact(e); !ok {
				return n, false
			}
		}
	}
	return "", true
}
