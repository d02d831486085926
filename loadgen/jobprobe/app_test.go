package jobprobe_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/example/order-saga/loadgen/jobprobe"
	"github.com/example/order-saga/platform/frame"
)

func newProbe(t *testing.T) http.Handler {
	t.Helper()
	t.Setenv(jobprobe.InstanceEnv, "probe-a")
	a, err := jobprobe.New(frame.Config{Name: jobprobe.AppID, DaprGRPCPort: 1, AppToken: "app", DaprToken: "dapr", AdminToken: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	return a.Router.(http.Handler)
}

// call sends a request with the header of the credential named: "admin"
// (bearer), "sidecar" (the app token), or none.
func call(h http.Handler, method, path, credential, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	switch credential {
	case "admin":
		req.Header.Set("Authorization", "Bearer admin")
	case "sidecar":
		req.Header.Set("dapr-api-token", "app")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestTheProbeAnswersOnlyItsCallers(t *testing.T) {
	h := newProbe(t)
	cases := []struct {
		name, method, path, credential, body string
		want                                 int
	}{
		{"scheduling takes the admin token", http.MethodPost, "/jobs/a", "", `{"due":"2030-01-01T00:00:00Z"}`, 401},
		{"scheduling refuses the sidecar's token", http.MethodPost, "/jobs/a", "sidecar", `{"due":"2030-01-01T00:00:00Z"}`, 401},
		{"cancelling takes the admin token", http.MethodDelete, "/jobs/a", "", ``, 401},
		{"the deliveries take the admin token", http.MethodGet, "/fired", "", ``, 401},
		{"a job takes the sidecar's token", http.MethodPost, "/job/probe.a", "admin", `{"due":"2030-01-01T00:00:00Z"}`, 401},
		{"a schedule with no due time is invalid", http.MethodPost, "/jobs/a", "admin", `{}`, 422},
		{"a schedule that asks too many refusals is invalid", http.MethodPost, "/jobs/a", "admin", `{"due":"2030-01-01T00:00:00Z","refuse":6}`, 422},
		{"a schedule of a name that is not a job's is invalid", http.MethodPost, "/jobs/a%7Cb", "admin", `{"due":"2030-01-01T00:00:00Z"}`, 422},
		{"a schedule the sidecar does not take is unavailable", http.MethodPost, "/jobs/a", "admin", `{"due":"2030-01-01T00:00:00Z"}`, 503},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := call(h, tc.method, tc.path, tc.credential, tc.body)
			if rec.Code != tc.want {
				t.Fatalf("answered %d %s, want %d", rec.Code, rec.Body, tc.want)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("a failure answered as %q", ct)
			}
		})
	}
}

func TestEachDeliveryIsRecordedAndTheRefusalsAskedForAreMade(t *testing.T) {
	h := newProbe(t)
	const job = `{"due":"2030-01-02T03:04:05Z","scheduledBy":"probe-b","refuse":1}`
	if rec := call(h, http.MethodPost, "/job/probe.x", "sidecar", job); rec.Code != http.StatusInternalServerError {
		t.Fatalf("the first delivery answered %d %s, want it refused", rec.Code, rec.Body)
	}
	if rec := call(h, http.MethodPost, "/job/probe.x", "sidecar", job); rec.Code != http.StatusOK {
		t.Fatalf("the second delivery answered %d %s, want it taken", rec.Code, rec.Body)
	}
	rec := call(h, http.MethodGet, "/fired", "admin", "")
	var v jobprobe.FiredView
	if err := json.NewDecoder(rec.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	if v.Instance != "probe-a" || len(v.Fired) != 2 {
		t.Fatalf("GET /fired: %+v, want two deliveries to probe-a", v)
	}
	for i, f := range v.Fired {
		if f.Name != "x" || f.ScheduledBy != "probe-b" || f.Instance != "probe-a" || f.Due.IsZero() || f.FiredAt.IsZero() || f.Refused != (i == 0) {
			t.Errorf("delivery %d recorded as %+v", i, f)
		}
	}
	var rest jobprobe.FiredView
	if err := json.NewDecoder(call(h, http.MethodGet, "/fired?from=1", "admin", "").Body).Decode(&rest); err != nil {
		t.Fatal(err)
	}
	if rest.From != 1 || rest.Kept != 2 || len(rest.Fired) != 1 || rest.Fired[0].Refused {
		t.Errorf("GET /fired?from=1: %+v, want the second delivery alone", rest)
	}
	if rec := call(h, http.MethodGet, "/fired?from=-1", "admin", ""); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("GET /fired?from=-1 answered %d, want 422", rec.Code)
	}
}

func TestTheProbesSidecarMayScheduleJobs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name, config, want string // want: the file written, or "" when refused
	}{
		{"the jobs API joins the allowed ones",
			"spec:\n  api:\n    allowed:\n      - name: state\n        version: v1\n        protocol: grpc\n",
			"spec:\n  api:\n    allowed:\n      - name: jobs\n        version: v1\n        protocol: grpc\n      - name: state\n        version: v1\n        protocol: grpc\n"},
		{"the list's indentation is kept",
			"spec:\n api:\n  allowed:\n  - name: state\n",
			"spec:\n api:\n  allowed:\n  - name: jobs\n    version: v1\n    protocol: grpc\n  - name: state\n"},
		{"a configuration without an allow-list is refused", "spec:\n  tracing:\n    samplingRate: \"1\"\n", ""},
		{"an empty allow-list is refused", "spec:\n  api:\n    allowed: []\n", ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, out := filepath.Join(dir, tc.name+".yaml"), filepath.Join(dir, "out", tc.name+".yaml")
			if err := os.WriteFile(in, []byte(tc.config), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := jobprobe.WithJobsAPI(in, out)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("case %d: a configuration without api.allowed was taken", i)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(out)
			if string(got) != tc.want {
				t.Fatalf("wrote\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestTheRepositorysSidecarConfigurationGetsTheJobsAPI(t *testing.T) {
	t.Parallel()
	out, err := jobprobe.WithJobsAPI(filepath.Join("..", "..", "dapr", "config.yaml"), filepath.Join(t.TempDir(), "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "    allowed:\n      - name: jobs\n        version: v1\n        protocol: grpc\n      - name: ") {
		t.Fatalf("the jobs API is not the first allowed one:\n%s", b)
	}
}
