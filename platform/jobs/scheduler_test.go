package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	dapr "github.com/dapr/go-sdk/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/jobs"
)

// sidecar is a fake of the sidecar's jobs API: it keeps what it is given
// and answers what it is told to.
type sidecar struct {
	scheduled []*dapr.Job
	deleted   []string
	err       error // the answer to every call
}

func (s *sidecar) ScheduleJob(_ context.Context, job *dapr.Job) error {
	s.scheduled = append(s.scheduled, job)
	return s.err
}

func (s *sidecar) GetJob(context.Context, string) (*dapr.Job, error) { return nil, s.err }

func (s *sidecar) DeleteJob(_ context.Context, name string) error {
	s.deleted = append(s.deleted, name)
	return s.err
}

// deliveredJSON is the body the sidecar would post for job: daprd 1.18
// sends a google.protobuf.Value as its JSON.
func deliveredJSON(t *testing.T, job *dapr.Job) string {
	t.Helper()
	if got := job.Data.GetTypeUrl(); got != "type.googleapis.com/google.protobuf.Value" {
		t.Fatalf("data of type %q, want a google.protobuf.Value", got)
	}
	var v structpb.Value
	if err := job.Data.UnmarshalTo(&v); err != nil {
		t.Fatal(err)
	}
	b, err := v.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// canonical is JSON as encoding/json writes it: protojson spaces its
// output at random, so that no one compares its bytes.
func canonical(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestAJobIsScheduledOnceAtItsDueTimeWithRetries(t *testing.T) {
	t.Parallel()
	fake := &sidecar{}
	due := time.Date(2030, 1, 2, 3, 4, 5, 678_000_000, time.FixedZone("CET", 3600))
	data := struct {
		OrderID string `json:"orderId"`
		Attempt int    `json:"attempt"`
	}{"o-1", 3}
	if err := jobs.NewScheduler(fake).Schedule(context.Background(), "order-deadline.o-1", due, data); err != nil {
		t.Fatal(err)
	}
	if len(fake.scheduled) != 1 {
		t.Fatalf("%d jobs scheduled, want 1", len(fake.scheduled))
	}
	job := fake.scheduled[0]
	policy, _ := job.FailurePolicy.(*dapr.JobFailurePolicyConstant)
	cases := []struct {
		name      string
		got, want any
	}{
		{"the name is the one given", job.Name, "order-deadline.o-1"},
		{"the due time is RFC 3339 in UTC, to the nanosecond", *job.DueTime, "2030-01-02T02:04:05.678Z"},
		{"it has no schedule: it fires once", job.Schedule == nil && job.Repeats == nil, true},
		{"a waiting job of that name is not replaced", job.Overwrite, false},
		{"a refused delivery is retried at a constant pace", policy != nil, true},
		{"every RetryEvery", policy != nil && *policy.Interval == jobs.RetryEvery, true},
		{"MaxRetries times", policy != nil && *policy.MaxRetries == jobs.MaxRetries, true},
		{"the data is delivered as its JSON", canonical(t, deliveredJSON(t, job)), `{"attempt":3,"orderId":"o-1"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestSchedulingAndCancellingAnswerByKind(t *testing.T) {
	t.Parallel()
	due := time.Now().Add(time.Minute)
	schedule := func(name string, data any) func(*jobs.Scheduler) error {
		return func(s *jobs.Scheduler) error { return s.Schedule(context.Background(), name, due, data) }
	}
	cancel := func(name string) func(*jobs.Scheduler) error {
		return func(s *jobs.Scheduler) error { return s.Cancel(context.Background(), name) }
	}
	cases := []struct {
		name   string
		call   func(*jobs.Scheduler) error
		answer error
		want   contracts.Kind // 0: no error
		called bool
	}{
		{"a job already waiting under the name is left as it is", schedule("a.1", nil),
			status.Error(codes.AlreadyExists, "failed to schedule job due to: job already exists"), 0, true},
		{"a sidecar that does not answer makes it unavailable", schedule("a.1", nil), status.Error(codes.Unavailable, "connection refused"), contracts.KindUnavailable, true},
		{"a scheduler that refuses makes it unavailable", schedule("a.1", nil), status.Error(codes.Internal, "boom"), contracts.KindUnavailable, true},
		{"a name that is not a path segment is refused unsent", schedule("a/b", nil), nil, contracts.KindInvalid, false},
		{"a name with the scheduler's separator is refused unsent", schedule("a||b", nil), nil, contracts.KindInvalid, false},
		{"an empty name is refused unsent", schedule("", nil), nil, contracts.KindInvalid, false},
		{"a name of 129 characters is refused unsent", schedule(strings.Repeat("a", 129), nil), nil, contracts.KindInvalid, false},
		{"an integer beyond 2^53 is refused unsent", schedule("a.1", map[string]int64{"n": 1<<53 + 1}), nil, contracts.KindInvalid, false},
		{"an integer of 2^53 is taken", schedule("a.1", []int64{1 << 53, -(1 << 53)}), nil, 0, true},
		{"a float is taken whatever its size", schedule("a.1", 1e300), nil, 0, true},
		{"data that is not JSON is refused unsent", schedule("a.1", func() {}), nil, contracts.KindInvalid, false},
		{"a cancel of a job gone is not an error", cancel("a.1"), nil, 0, true},
		{"a cancel the sidecar refuses makes it unavailable", cancel("a.1"), status.Error(codes.DeadlineExceeded, "context deadline exceeded"), contracts.KindUnavailable, true},
		{"a cancel of a bad name is refused unsent", cancel("a b"), nil, contracts.KindInvalid, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &sidecar{err: tc.answer}
			err := tc.call(jobs.NewScheduler(fake))
			if got := contracts.KindOf(err); got != tc.want || (tc.want == 0) != (err == nil) {
				t.Fatalf("answered %v (kind %d), want kind %d", err, got, tc.want)
			}
			if called := len(fake.scheduled)+len(fake.deleted) > 0; called != tc.called {
				t.Fatalf("the sidecar was called: %v, want %v", called, tc.called)
			}
		})
	}
}

func TestASchedulingWithoutADueTimeIsRefused(t *testing.T) {
	t.Parallel()
	fake := &sidecar{}
	err := jobs.NewScheduler(fake).Schedule(context.Background(), "a.1", time.Time{}, nil)
	if contracts.KindOf(err) != contracts.KindInvalid || len(fake.scheduled) != 0 {
		t.Fatalf("answered %v and sent %d jobs, want a refusal unsent", err, len(fake.scheduled))
	}
}

// TestTheSchedulerIsReachableOnlyWhenItSaysTheJobIsNotFound replays the
// answers of a real daprd 1.18.1 to a GetJob of a job that does not
// exist, in each state of its scheduler (see Reachable).
func TestTheSchedulerIsReachableOnlyWhenItSaysTheJobIsNotFound(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		answer error
		want   string // "" when reachable; else what the reason says
	}{
		{"the scheduler answers that the job is not found", status.Error(codes.Internal,
			"failed to get job due to: rpc error: code = NotFound desc = job not found: jobs.reachability-probe"), ""},
		{"a sidecar that answers NotFound itself", status.Error(codes.NotFound, "job not found"), ""},
		{"the job exists", nil, ""},
		{"the scheduler is down and the call waits to its deadline", status.Error(codes.DeadlineExceeded, "context deadline exceeded"), jobs.Unreachable},
		{"the scheduler is down and the stream is reset", status.Error(codes.DeadlineExceeded, "stream terminated by RST_STREAM with error code: CANCEL"), jobs.Unreachable},
		{"the caller gave up", context.DeadlineExceeded, jobs.Unreachable},
		{"the sidecar knows no scheduler", status.Error(codes.Internal, "failed to get job due to: scheduler clients are disabled"), jobs.Unreachable + ": it was started without --scheduler-host-address"},
		{"the jobs API is not allowed", status.Error(codes.Unimplemented, "Not Implemented"), "the sidecar does not allow the jobs API"},
		{"the sidecar is down", status.Error(codes.Unavailable, "connection refused"), "the sidecar does not answer"},
		{"another internal error", status.Error(codes.Internal, "failed to get job due to: etcd is on fire"), jobs.Unreachable},
		{"an error of no status", errors.New("EOF"), jobs.Unreachable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := jobs.NewScheduler(&sidecar{err: tc.answer}).Reachable(context.Background())
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unreachable: %v", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Fatalf("said %v, want %q", err, tc.want)
			}
		})
	}
}
