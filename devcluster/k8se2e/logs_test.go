package k8se2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/example/order-saga/devcluster"
)

// logBook keeps the logs of the saga's pods that go away during the run
// (deleted, or replaced by a rollout), read with `kubectl logs -f` from
// before they were told to stop until their containers ended, so that the
// last test can judge every line that any container of the saga wrote.
type logBook struct {
	mu        sync.Mutex
	followers map[string]*follower // by pod name
}

type follower struct {
	cmd  *exec.Cmd
	out  lockedBuffer
	done chan struct{}
	err  error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// follow starts reading every container's log of a pod until they end,
// and returns once the first lines have come, so that the pod can be
// deleted without losing any.
func (s *saga) follow(ctx context.Context, podName string) error {
	s.logs.mu.Lock()
	if s.logs.followers == nil {
		s.logs.followers = map[string]*follower{}
	}
	if _, ok := s.logs.followers[podName]; ok {
		s.logs.mu.Unlock()
		return nil
	}
	f := &follower{done: make(chan struct{})}
	f.cmd = exec.Command(s.c.KubectlPath(), "--kubeconfig", s.c.Kubeconfig, "logs", "-f", "-n", devcluster.Namespace, podName,
		"--all-containers", "--prefix", "--max-log-requests=10")
	f.cmd.Stdout = &f.out
	var errOut lockedBuffer
	f.cmd.Stderr = &errOut
	if err := f.cmd.Start(); err != nil {
		s.logs.mu.Unlock()
		return err
	}
	s.logs.followers[podName] = f
	s.logs.mu.Unlock()
	go func() {
		f.err = f.cmd.Wait()
		if f.err != nil {
			f.err = fmt.Errorf("%w: %s", f.err, strings.TrimSpace(errOut.String()))
		}
		close(f.done)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for f.out.String() == "" {
		select {
		case <-f.done:
			return fmt.Errorf("kubectl logs -f %s ended at once: %v", podName, f.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kubectl logs -f %s: no line in 20s", podName)
		}
	}
	return nil
}

// followed returns the logs of the pods that were followed, by pod and
// container, once each follower has ended (its pod has gone) or limit
// has passed, and the pods whose follower had to be stopped.
func (l *logBook) followed(limit time.Duration) (map[string]map[string][]string, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	deadline := time.Now().Add(limit)
	out := map[string]map[string][]string{}
	var cut []string
	for podName, f := range l.followers {
		select {
		case <-f.done:
		case <-time.After(time.Until(deadline)):
			_ = f.cmd.Process.Kill()
			<-f.done
			cut = append(cut, podName)
		}
		out[podName] = splitPrefixed(f.out.String())
	}
	return out, cut
}

// prefixed is a line of `kubectl logs --prefix`: [pod/NAME/CONTAINER] text.
var prefixed = regexp.MustCompile(`^\[pod/([^/\]]+)/([^\]]+)\] ?(.*)$`)

// splitPrefixed sorts the lines of `kubectl logs --all-containers
// --prefix` by container.
func splitPrefixed(text string) map[string][]string {
	out := map[string][]string{}
	for _, l := range strings.Split(text, "\n") {
		if m := prefixed.FindStringSubmatch(l); m != nil {
			out[m[2]] = append(out[m[2]], m[3])
		}
	}
	return out
}

// verdict is what a log line says.
type verdict int

const (
	fine verdict = iota
	warning
	// tolerated is an error line that reports no fault (see judge).
	tolerated
	failure
)

// judge reads the log of one container, line by line, and tells what
// each line reports, by the format of what runs in it:
//   - daprd logs logfmt (level=error, level=fatal) or JSON ("level":"error");
//   - the services log JSON with log/slog ("level":"ERROR"); a Go panic is
//     plain text;
//   - the init container prints "wait-for: ..." lines, and a failure as
//     "does not answer";
//   - Redis marks its most severe lines "#" (warnings: there is no error
//     level); only those that report an error or a failure count, the
//     others (no config file given, and the like) are shown, not counted;
//   - PostgreSQL and its init container (initdb, pg_ctl, psql) say ERROR,
//     FATAL or PANIC, or "error:".
//
// Five error lines of daprd are tolerated, once the sidecar has begun to
// shut down (unackedAtShutdown). Its stream to the Dapr scheduler is
// closed by the shutdown itself, and reported so. The Redis pub/sub
// component hands over the messages it had already read after the sidecar
// has stopped its subscriptions, and reports each one refused
// ("subscription is closed");
// or, with daprd 1.18 (components-contrib 1.18), a message whose delivery
// was under way when the subscription's context ended is reported cut
// short ("context canceled"), and processMessage (pubsub/redis/redis.go)
// then skips its acknowledgement on purpose, for that very case. None is
// acknowledged, so each is delivered again to another replica (the pub/sub
// component's processingTimeout), which the disruption test proves. And
// its read or claim of the pending list, every redeliverInterval (1 s),
// may be in flight when the subscription's context ends ("context
// canceled"): nothing is claimed by it, so nothing is lost. The same lines
// before the shutdown are errors.
func judge(containerName string, lines []string) []verdict {
	out := make([]verdict, len(lines))
	stopping := false
	for i, line := range lines {
		lower := strings.ToLower(line)
		panicked := strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:")
		v := fine
		switch {
		case panicked:
			v = failure
		case containerName == "daprd":
			stopping = stopping || strings.Contains(line, "beginning shutdown")
			switch {
			case daprError.MatchString(line) && stopping && unackedAtShutdown.MatchString(line):
				v = tolerated
			case daprError.MatchString(line):
				v = failure
			case daprWarning.MatchString(line):
				v = warning
			}
		case containerName == "redis":
			if m := redisLine.FindStringSubmatch(line); m != nil && m[1] == "#" {
				v = warning
				if strings.Contains(lower, "error") || strings.Contains(lower, "fail") || strings.Contains(lower, "misconf") {
					v = failure
				}
			}
		case containerName == "postgres" || containerName == "postgres-init":
			if postgresError.MatchString(line) {
				v = failure
			} else if postgresWarning.MatchString(line) {
				v = warning
			}
		case containerName == "wait-for-redis":
			if strings.Contains(line, "does not answer") {
				v = failure
			} else if strings.Contains(line, "waiting for") {
				v = warning
			}
		default:
			if strings.Contains(line, `"level":"ERROR"`) {
				v = failure
			} else if strings.Contains(line, `"level":"WARN"`) {
				v = warning
			}
		}
		out[i] = v
	}
	return out
}

// unackedAtShutdown is what daprd's Redis pub/sub component logs when its
// subscriptions stop under it at shutdown: a stream entry it read but could
// no longer deliver, or whose delivery was cut short (either way it stays
// pending, and another consumer claims it), or the pending list's read or
// claim, which runs every redeliverInterval, cut short; and what the
// sidecar logs when the shutdown closes its stream to the scheduler.
var unackedAtShutdown = regexp.MustCompile(`msg="(Error processing Redis message [0-9]+-[0-9]+: (subscription is closed|context canceled)|error (retrieving|claiming) pending Redis messages: context canceled|Scheduler stream disconnected: rpc error: code = Canceled desc = context canceled)"`)

var (
	daprError   = regexp.MustCompile(`\blevel=(error|fatal|panic)\b|"level":"(error|fatal|panic)"`)
	daprWarning = regexp.MustCompile(`\blevel=warn(ing)?\b|"level":"warn(ing)?"`)
	// PostgreSQL's server logs "LEVEL:  message"; psql prefixes its file
	// and line, and initdb and pg_ctl write "NAME: error: ...".
	postgresError   = regexp.MustCompile(`\b(ERROR|FATAL|PANIC):\s|^(initdb|pg_ctl|psql): error:`)
	postgresWarning = regexp.MustCompile(`\bWARNING:\s|^(initdb|pg_ctl|psql): warning:`)
	// redisLine is pid:role day month year time level message.
	redisLine = regexp.MustCompile(`^\d+:[XCSM] \d+ \w+ \d+ [\d:.]+ ([.\-*#]) `)
)

// containerLogs reads the log of every container of every pod now in the
// saga's namespace (not the tests' own), with the previous run of each
// container that restarted, by pod and container.
func (s *saga) containerLogs(ctx context.Context) (map[string]map[string][]string, error) {
	pods, err := s.pods(ctx, devcluster.Namespace, "!"+probeLabel)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string][]string{}
	for _, p := range pods {
		out[p.name()] = map[string][]string{}
		restarts := map[string]int{}
		for _, st := range p.statuses() {
			restarts[st.Name] = st.RestartCount
		}
		for _, c := range p.allContainers() {
			runs := [][]string{{}}
			if restarts[c.Name] > 0 {
				runs = [][]string{{"--previous"}, {}}
			}
			for _, extra := range runs {
				text, _, err := s.kubectl(ctx, nil, slices.Concat([]string{"logs", "-n", devcluster.Namespace, p.name(), "-c", c.Name}, extra)...)
				if err != nil {
					return nil, err
				}
				lines := strings.Split(strings.TrimRight(string(text), "\n"), "\n")
				out[p.name()][c.Name] = append(out[p.name()][c.Name], lines...)
			}
		}
	}
	return out, nil
}

// offence is one kind of error line: the same message from the same
// container, whatever its ids and times.
type offence struct {
	kind, example string
	count         int
	pods          map[string]bool
}

var (
	logMessage = regexp.MustCompile(`msg="((?:[^"\\]|\\.)*)"|"msg":"((?:[^"\\]|\\.)*)"`)
	variable   = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f-]{27}|[0-9]+(-[0-9]+)?`)
)

// messageKind is a log line's message with its numbers and ids blanked.
func messageKind(line string) string {
	msg := line
	if m := logMessage.FindStringSubmatch(line); m != nil {
		msg = m[1] + m[2]
	}
	return variable.ReplaceAllString(msg, "#")
}

// keepLogs writes each container's log to dir/POD/CONTAINER.log, for
// whoever has to find out what happened.
func keepLogs(dir string, logs map[string]map[string][]string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for podName, containers := range logs {
		if err := os.MkdirAll(filepath.Join(dir, podName), 0o755); err != nil {
			return err
		}
		for name, lines := range containers {
			if err := os.WriteFile(filepath.Join(dir, podName, name+".log"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestTheLogJudgeExcusesOnlyTheShutdownsOwnLines(t *testing.T) {
	const (
		cut      = `time="t" level=error msg="error retrieving pending Redis messages: context canceled" app_id=stock-svc`
		claim    = `time="t" level=error msg="error claiming pending Redis messages: context canceled" app_id=stock-svc`
		refused  = `time="t" level=error msg="Error processing Redis message 1-0: subscription is closed" app_id=stock-svc`
		stopped  = `time="t" level=error msg="Error processing Redis message 1-0: context canceled" app_id=stock-svc`
		failed   = `time="t" level=error msg="Error processing Redis message 1-0: rpc error: code = Unknown" app_id=stock-svc`
		other    = `time="t" level=error msg="error retrieving pending Redis messages: dial tcp: i/o timeout" app_id=stock-svc`
		shutdown = `time="t" level=info msg="Received signal 'terminated'; beginning shutdown" app_id=stock-svc`
		stream   = `time="t" level=error msg="Scheduler stream disconnected: rpc error: code = Canceled desc = context canceled" app_id=stock-svc`
	)
	got := judge("daprd", []string{cut, claim, refused, stopped, stream, shutdown, cut, claim, refused, stopped, stream, failed, other})
	want := []verdict{failure, failure, failure, failure, failure, fine, tolerated, tolerated, tolerated, tolerated, tolerated, failure, failure}
	if !slices.Equal(got, want) {
		t.Errorf("judge = %v, want %v", got, want)
	}
}

func TestTheLogJudgeReadsPostgreSQLsLevels(t *testing.T) {
	cases := []struct {
		container string
		line      string
		want      verdict
	}{
		{"postgres", `2026-01-01 00:00:00.000 UTC [1] LOG:  database system is ready to accept connections`, fine},
		{"postgres", `2026-01-01 00:00:00.000 UTC [7] LOG:  could not receive data from client: Connection reset by peer`, fine},
		{"postgres", `2026-01-01 00:00:00.000 UTC [9] WARNING:  there is no transaction in progress`, warning},
		{"postgres", `2026-01-01 00:00:00.000 UTC [9] ERROR:  deadlock detected`, failure},
		{"postgres", `2026-01-01 00:00:00.000 UTC [9] FATAL:  password authentication failed for user "orderstore"`, failure},
		{"postgres-init", `psql:/etc/postgres/bootstrap.sql:12: ERROR:  syntax error at or near ":"`, failure},
		{"postgres-init", `initdb: error: directory "/var/lib/postgresql/data/pgdata" exists but is not empty`, failure},
		{"postgres-init", `pg_ctl: error: could not start server`, failure},
		{"postgres-init", `creating subdirectories ... ok`, fine},
	}
	for _, c := range cases {
		if got := judge(c.container, []string{c.line}); got[0] != c.want {
			t.Errorf("%s: %q judged %v, want %v", c.container, c.line, got[0], c.want)
		}
	}
}
