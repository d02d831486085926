package images

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// privateContainerd is a containerd of its own in a temporary directory:
// its root, state, socket, FIFOs and runc state are all in dir, its
// containers in cgroups of their own, and the CRI plugin is off, so it
// shares nothing with a cluster's containerd on the same machine.
type privateContainerd struct {
	dir, sock, ctr string
	ids            []string
}

// containerdConfig is the configuration of the private containerd.
const containerdConfig = `version = 2
root = "{{dir}}/root"
state = "{{dir}}/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]

[grpc]
  address = "{{dir}}/containerd.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "{{dir}}/opt"
`

// requireContainerd fails the test, saying what to install, unless it can
// start containerd: as root, with containerd, ctr and runc on PATH.
func requireContainerd(t *testing.T) (containerd, ctr string) {
	t.Helper()
	const install = "this test runs the images in a private containerd: it needs root and " +
		"containerd, ctr and runc on PATH (Debian: apt-get install -y containerd runc)"
	if os.Geteuid() != 0 {
		t.Fatalf("%s; it runs as uid %d", install, os.Geteuid())
	}
	paths := map[string]string{}
	for _, name := range []string{"containerd", "ctr", "runc"} {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Fatalf("%s: %v", install, err)
		}
		paths[name] = p
	}
	return paths["containerd"], paths["ctr"]
}

// startContainerd starts a private containerd and stops it, with all it
// left, when the test ends.
func startContainerd(ctx context.Context, t *testing.T) *privateContainerd {
	t.Helper()
	containerd, ctr := requireContainerd(t)
	dir, err := os.MkdirTemp("", "images-containerd-")
	if err != nil {
		t.Fatal(err)
	}
	c := &privateContainerd{dir: dir, sock: filepath.Join(dir, "containerd.sock"), ctr: ctr}
	config := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(config, []byte(strings.ReplaceAll(containerdConfig, "{{dir}}", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(containerd, "--config", config, "--root", filepath.Join(dir, "root"),
		"--state", filepath.Join(dir, "state"), "--address", c.sock, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { c.stop(t, cmd, exited) })

	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := c.run(ctx, "version"); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("containerd does not answer on %s after 10 s: %v\n%s", c.sock, err, c.log())
		}
		select {
		case <-exited:
			t.Fatalf("containerd exited: %s\n%s", cmd.ProcessState, c.log())
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-tick.C:
		}
	}
	return c
}

func (c *privateContainerd) log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "containerd.log"))
	return string(b)
}

// run runs ctr on the private containerd in the k8s.io namespace.
func (c *privateContainerd) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.ctr, append([]string{"--address", c.sock, "-n", Namespace}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// cgroup is the cgroup of the container id: one level of its own, which
// runc removes with the container.
func cgroup(id string) string { return "/order-saga-" + id }

// container runs the image ref once as the container id with ctr run
// --rm, and returns what it printed and its exit code.
func (c *privateContainerd) container(ctx context.Context, t *testing.T, id, ref string, opts, args []string) (string, int) {
	t.Helper()
	c.ids = append(c.ids, id)
	runArgs := []string{"run", "--rm", "--cgroup", cgroup(id),
		"--fifo-dir", filepath.Join(c.dir, "fifo"), "--runc-root", filepath.Join(c.dir, "runc")}
	runArgs = append(append(append(runArgs, opts...), ref, id), args...)
	out, err := c.run(ctx, runArgs...)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return out, exit.ExitCode()
	case err != nil:
		t.Fatalf("ctr run %s: %v\n%s", id, err, out)
	}
	return out, 0
}

// stop removes what containers are left, stops containerd (SIGTERM, then
// SIGKILL after 10 s), unmounts what is still mounted under the directory,
// and removes it.
func (c *privateContainerd) stop(t *testing.T, cmd *exec.Cmd, exited <-chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, id := range c.ids {
		if out, err := c.run(ctx, "containers", "info", id); err == nil {
			_, _ = c.run(ctx, "tasks", "rm", "-f", id)
			_, _ = c.run(ctx, "containers", "rm", id)
			t.Errorf("container %s was left behind:\n%.200s", id, out)
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		t.Error("containerd did not stop on SIGTERM within 10 s")
	}
	for _, m := range mountsUnder(t, c.dir) {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", m, err)
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		t.Errorf("removing %s: %v", c.dir, err)
	}
	for _, id := range c.ids {
		leftovers, _ := filepath.Glob("/sys/fs/cgroup/*" + cgroup(id))
		for _, cg := range leftovers {
			if err := os.Remove(cg); err != nil {
				t.Errorf("cgroup %s left behind: %v", cg, err)
			}
		}
	}
}

// mountsUnder lists the mount points under dir, the deepest first.
func mountsUnder(t *testing.T, dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Error(err)
		return nil
	}
	defer f.Close()
	unescape := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	var mounts []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) > 4 {
			if m := unescape.Replace(fields[4]); strings.HasPrefix(m, dir+"/") {
				mounts = append(mounts, m)
			}
		}
	}
	slices.SortFunc(mounts, func(a, b string) int { return len(b) - len(a) })
	return mounts
}

// load writes img under name with its content tag, imports it with
// Import and checks that it is named and unpacked into the overlayfs
// snapshotter, where containers are made from. It returns the name
// containerd knows it by, which ctr run wants (kubelet spells short names
// out the same way: "order-svc:TAG" is docker.io/library/order-svc:TAG).
func (c *privateContainerd) load(ctx context.Context, t *testing.T, name string, img v1.Image) string {
	t.Helper()
	ref, err := Ref(name, img)
	if err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(c.dir, strings.ReplaceAll(name, "/", "_")+".tar")
	if err := Write(tarball, ref, img); err != nil {
		t.Fatal(err)
	}
	if err := Import(ctx, c.ctr, c.sock, tarball); err != nil {
		t.Fatal(err)
	}
	full := containerdName(ref)
	if out, err := c.run(ctx, "images", "ls", "-q"); err != nil || !slices.Contains(strings.Fields(out), full) {
		t.Fatalf("%s is not among the images after the import (%v):\n%s", full, err, out)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	// A one-layer image's snapshot is named by the layer's diff id.
	out, err := c.run(ctx, "snapshots", "--snapshotter", "overlayfs", "ls")
	if err != nil || !strings.Contains(out, cf.RootFS.DiffIDs[0].String()) {
		t.Fatalf("%s was not unpacked into overlayfs (%v):\n%s", ref, err, out)
	}
	return full
}

// containerdName spells ref out as containerd and kubelet do.
func containerdName(ref string) string {
	first, _, hasSlash := strings.Cut(ref, "/")
	switch {
	case !hasSlash:
		return "docker.io/library/" + ref
	case strings.ContainsAny(first, ".:") || first == "localhost":
		return ref
	default:
		return "docker.io/" + ref
	}
}

func TestContainerdRunsTheImages(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c := startContainerd(ctx, t)
	if out, err := c.run(ctx, "plugins", "ls"); err != nil ||
		!regexp.MustCompile(`io\.containerd\.snapshotter\.v1\s+overlayfs\s+linux/\w+\s+ok`).MatchString(out) {
		t.Fatalf("the overlayfs snapshotter is not available (%v): kubelet could not make containers here\n%s", err, out)
	}

	redisImg, err := Redis()
	if err != nil {
		t.Fatal(err)
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	svcImg, err := Service(ctx, repo, "order-svc", 8081)
	if err != nil {
		t.Fatal(err)
	}
	pgImg, err := Postgres()
	if err != nil {
		t.Fatal(err)
	}
	redis := c.load(ctx, t, "localhost/order-saga/redis", redisImg)
	svc := c.load(ctx, t, "order-svc", svcImg)
	postgres := c.load(ctx, t, "localhost/order-saga/postgres", pgImg)

	// /data as the manifest mounts it: a volume the redis user owns.
	data := filepath.Join(c.dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(data, 999, 1000); err != nil {
		t.Fatal(err)
	}
	asTheManifest := []string{"--read-only", "--seccomp",
		"--mount", "type=bind,src=" + data + ",dst=/data,options=rbind:rw"}
	// redis-server as the manifest starts it, on a Unix socket since the
	// container's network namespace has no interface up; busybox's sh has
	// no sleep, so the wait for PONG is a bounded loop.
	serve := `redis-server --port 0 --unixsocket /data/redis.sock --appendonly yes --protected-mode yes --requirepass "$REDISCLI_AUTH" &
n=0
until redis-cli -s /data/redis.sock ping 2>/dev/null | grep -qx PONG; do
  n=$((n+1)); [ "$n" -lt 5000 ] || exit 3
done
redis-cli -s /data/redis.sock set saga started | grep -qx OK || exit 4
redis-cli -s /data/redis.sock shutdown
wait`

	// PostgreSQL as the manifest runs it: 999:999 on a read-only root, the
	// data volume and the socket's directory its own, the init container's
	// script and SQL from k8s/components/postgres/config, the passwords in
	// the environment.
	pgData, pgRun := filepath.Join(c.dir, "pgdata"), filepath.Join(c.dir, "pgrun")
	for _, d := range []string{pgData, pgRun} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, 999, 999); err != nil {
			t.Fatal(err)
		}
	}
	pgConfig, err := filepath.Abs("../../k8s/components/postgres/config")
	if err != nil {
		t.Fatal(err)
	}
	pgAsTheManifest := []string{"--read-only", "--seccomp",
		"--mount", "type=bind,src=" + pgData + ",dst=" + PostgresDataDir + ",options=rbind:rw",
		"--mount", "type=bind,src=" + pgRun + ",dst=" + PostgresSocketDir + ",options=rbind:rw",
		"--mount", "type=bind,src=" + pgConfig + ",dst=/etc/postgres,options=rbind:ro",
		"--env", "PGDATA=" + PostgresDataDir + "/pgdata",
		"--env", "POSTGRES_PASSWORD=superuser-password-1",
		"--env", "ORDERSTORE_PASSWORD=order'store\"password",
		"--env", "STOCKSTORE_PASSWORD=stockstore-password-1",
		"--env", "PAYMENTSTORE_PASSWORD=paymentstore-password-1"}
	// The init container's script on an empty volume, then again on the
	// data it made (a pod's restart); the server on its socket alone, as
	// the container has no network; each role in its own schema and not in
	// another's, and no way in without the password. Each line that must
	// appear is echoed; this last server logs to a file, not among them.
	prepare := `set -e
sh /etc/postgres/init.sh
sh /etc/postgres/init.sh
pg_ctl start --wait --silent --log=/var/run/postgresql/server.log --options="-c hba_file=/etc/postgres/pg_hba.conf -c listen_addresses=''"
as() { role=$1 password=$2; shift 2; PGPASSWORD=$password psql --no-psqlrc --tuples-only --no-align --username="$role" --dbname=saga "$@"; }
as orderstore "$ORDERSTORE_PASSWORD" -c 'CREATE TABLE orderstore.state (key text)' -c "SELECT 'made by ' || current_user"
as stockstore "$STOCKSTORE_PASSWORD" -c 'SELECT * FROM orderstore.state' 2>&1 | grep -q 'permission denied for schema orderstore' && echo 'stockstore refused orderstore'
as paymentstore "$PAYMENTSTORE_PASSWORD" -c 'CREATE TABLE public.t (k int)' 2>&1 | grep -q 'permission denied for schema public' && echo 'paymentstore refused public'
as orderstore "$ORDERSTORE_PASSWORD" --dbname=postgres -c 'SELECT 1' 2>&1 | grep -q 'permission denied for database' && echo 'orderstore refused postgres'
as postgres wrong-password -c 'SELECT 1' 2>&1 | grep -q 'password authentication failed' && echo 'a wrong password refused'
pg_ctl stop --wait --silent --mode=fast
`
	cases := []struct {
		name     string
		ref      string
		opts     []string
		args     []string
		wantCode func(int) bool
		wantOut  string
	}{
		{"redis-server starts with the image's loader and libraries", redis, nil,
			[]string{"redis-server", "--version"}, isZero, "Redis server v="},
		{"the probe's shell finds redis-cli and grep", redis, nil,
			[]string{"sh", "-c", "redis-cli --version | grep -q redis"}, isZero, ""},
		{"nc is there for the cluster tests", redis, nil,
			[]string{"sh", "-c", "nc 2>&1 | grep -q BusyBox"}, isZero, ""},
		{"redis serves and keeps an append-only file as 999:1000 on a read-only root", redis,
			append(asTheManifest, "--env", "REDISCLI_AUTH=dev-password"),
			[]string{"sh", "-c", serve}, isZero, ""},
		{"postgres starts with the image's loader and libraries", postgres, nil,
			[]string{"postgres", "--version"}, isZero, "postgres (PostgreSQL) 15."},
		{"the init script prepares PostgreSQL twice, and each role reaches its own schema alone", postgres, pgAsTheManifest,
			[]string{"sh", "-c", prepare}, isZero, "made by orderstore\nstockstore refused orderstore\npaymentstore refused public\norderstore refused postgres\na wrong password refused"},
		{"the service refuses to start without its tokens", svc, nil,
			nil, func(code int) bool { return code != 0 }, "APP_API_TOKEN is not set"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, code := c.container(ctx, t, fmt.Sprintf("images-test-%d-%d", os.Getpid(), i), tc.ref, tc.opts, tc.args)
			if !tc.wantCode(code) || !strings.Contains(out, tc.wantOut) {
				t.Errorf("exit code %d, output:\n%s\nwant %q", code, out, tc.wantOut)
			}
		})
	}
	for _, f := range []string{"appendonlydir", "dump.rdb"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Errorf("redis-server left no %s in /data: %v", f, err)
		}
	}
}

func isZero(code int) bool { return code == 0 }
