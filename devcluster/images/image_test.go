package images

import (
	"archive/tar"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestTheSameInputGivesTheSameImage(t *testing.T) {
	bin := writeELF(t, "", "one")
	other := writeELF(t, "", "two")
	builds := []struct {
		name  string
		build func(bin string) (v1.Image, error)
	}{
		{"service", func(bin string) (v1.Image, error) { return serviceImage(bin, "order-svc", 8081) }},
		{"binary", func(bin string) (v1.Image, error) { return Binary(bin, "operator", "") }},
	}
	for _, b := range builds {
		t.Run(b.name, func(t *testing.T) {
			img1, err1 := b.build(bin)
			img2, err2 := b.build(bin)
			if d1, d2 := digestOf(t, img1, err1), digestOf(t, img2, err2); d1 != d2 {
				t.Errorf("two builds of one binary: %s and %s", d1, d2)
			}
			img3, err3 := b.build(other)
			if d1, d3 := digestOf(t, img1, err1), digestOf(t, img3, err3); d1 == d3 {
				t.Errorf("two different binaries give the same image %s", d1)
			}
			for p, f := range imageFiles(t, img1) {
				if !f.hdr.ModTime.Equal(time.Unix(0, 0)) || f.hdr.Uname != "" || f.hdr.Gname != "" {
					t.Errorf("%s: mtime %v, owner names %q:%q; want the epoch and none", p, f.hdr.ModTime, f.hdr.Uname, f.hdr.Gname)
				}
			}
			if c := configOf(t, img1).Created.Time; !c.Equal(time.Unix(0, 0)) {
				t.Errorf("created %v, want the epoch", c)
			}
		})
	}
	for name, build := range map[string]func() (v1.Image, error){"redis": Redis, "postgres": Postgres} {
		t.Run(name, func(t *testing.T) {
			img1, err1 := build()
			img2, err2 := build()
			if d1, d2 := digestOf(t, img1, err1), digestOf(t, img2, err2); d1 != d2 {
				t.Errorf("two builds of %s: %s and %s", name, d1, d2)
			}
		})
	}
}

func TestSourceDateEpochSetsEveryTimeStamp(t *testing.T) {
	bin := writeELF(t, "", "one")
	img, err := Binary(bin, "placement", "")
	epoch := digestOf(t, img, err)
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	img, err = Binary(bin, "placement", "")
	if d := digestOf(t, img, err); d == epoch {
		t.Error("SOURCE_DATE_EPOCH does not change the image")
	}
	again, err := Binary(bin, "placement", "")
	if digestOf(t, again, err) != digestOf(t, img, nil) {
		t.Error("two builds with one SOURCE_DATE_EPOCH differ")
	}
	want := time.Unix(1700000000, 0)
	if c := configOf(t, img).Created.Time; !c.Equal(want) {
		t.Errorf("created %v, want %v", c, want)
	}
	for p, f := range imageFiles(t, img) {
		if !f.hdr.ModTime.Equal(want) {
			t.Errorf("%s: mtime %v, want %v", p, f.hdr.ModTime, want)
		}
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, err := Binary(bin, "placement", ""); err == nil {
		t.Error("a SOURCE_DATE_EPOCH that is not a number is accepted")
	}
}

// dockerfile reads the instructions of the repository's Dockerfile with
// the build arguments substituted, keyed by instruction, in order.
func dockerfile(t *testing.T, service, port string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	r := strings.NewReplacer("${SERVICE}", service, "${PORT}", port)
	out := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		out[instr] = append(out[instr], r.Replace(strings.TrimSpace(rest)))
	}
	return out
}

// shellWords splits a command line on blanks, with double quotes.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, c := range s {
		switch {
		case c == '"':
			quoted, inWord = !quoted, true
		case c == ' ' && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
			}
			inWord = false
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

func TestTheServiceImageIsTheDockerfiles(t *testing.T) {
	t.Parallel()
	df := dockerfile(t, "order-svc", "8081")
	img, err := serviceImage(writeELF(t, "", "order-svc"), "order-svc", 8081)
	if err != nil {
		t.Fatal(err)
	}
	cfg := configOf(t, img).Config
	files := imageFiles(t, img)

	var entrypoint []string
	if err := json.Unmarshal([]byte(df["ENTRYPOINT"][0]), &entrypoint); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Entrypoint, entrypoint) || cfg.Cmd != nil {
		t.Errorf("entrypoint %q cmd %q, the Dockerfile's is %q", cfg.Entrypoint, cfg.Cmd, entrypoint)
	}
	copyArgs := strings.Fields(df["COPY"][len(df["COPY"])-1])
	if dst := copyArgs[len(copyArgs)-1]; dst != entrypoint[0] {
		t.Fatalf("the Dockerfile copies the binary to %s, not its entrypoint", dst)
	}
	if f := files[entrypoint[0]]; f.hdr == nil || f.hdr.Mode != 0o755 || f.hdr.Uid != 0 {
		t.Errorf("%s is not a root-owned file with mode 0755 in the image", entrypoint[0])
	}

	// USER nonroot:nonroot means what the image's passwd and group say.
	userName, groupName, _ := strings.Cut(df["USER"][0], ":")
	uid := field(t, files["/etc/passwd"].data, userName, 2)
	gid := field(t, files["/etc/group"].data, groupName, 2)
	if want := uid + ":" + gid; cfg.User != want || want != NonRoot {
		t.Errorf("user %q; the Dockerfile's %s is %s here, want %s", cfg.User, df["USER"][0], want, NonRoot)
	}
	if !slices.Contains(cfg.Env, df["ENV"][0]) {
		t.Errorf("env %q lacks the Dockerfile's %s", cfg.Env, df["ENV"][0])
	}
	if _, ok := cfg.ExposedPorts[df["EXPOSE"][0]+"/tcp"]; !ok || len(cfg.ExposedPorts) != 1 {
		t.Errorf("exposed ports %v, the Dockerfile exposes %s", cfg.ExposedPorts, df["EXPOSE"][0])
	}
	if cfg.WorkingDir != "/" {
		t.Errorf("working directory %q, want /", cfg.WorkingDir)
	}
}

// field is the column col of the line of an /etc/passwd or /etc/group
// whose first column is name.
func field(t *testing.T, data []byte, name string, col int) string {
	t.Helper()
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Split(line, ":"); f[0] == name && len(f) > col {
			return f[col]
		}
	}
	t.Fatalf("no %s in\n%s", name, data)
	return ""
}

func TestServicesAreBuiltWithTheDockerfilesCommand(t *testing.T) {
	t.Parallel()
	var run string
	for _, r := range dockerfile(t, "order-svc", "8081")["RUN"] {
		if strings.Contains(r, "go build") {
			run = r
		}
	}
	words := shellWords(run)
	want := map[string]string{}
	for len(words) > 0 && strings.Contains(words[0], "=") {
		k, v, _ := strings.Cut(words[0], "=")
		want[k] = v
		words = words[1:]
	}
	cmd := buildCommand(t.Context(), "/src/order-svc", "/out/order-svc")
	if !slices.Equal(cmd.Args, words) {
		t.Errorf("go build command %q, the Dockerfile's is %q", cmd.Args, words)
	}
	if cmd.Dir != "/src/order-svc" {
		t.Errorf("built in %s, want the service's directory", cmd.Dir)
	}
	for k, v := range want {
		got := ""
		for _, e := range cmd.Env { // the last one wins
			if strings.HasPrefix(e, k+"=") {
				got = strings.TrimPrefix(e, k+"=")
			}
		}
		if got != v {
			t.Errorf("%s=%q, the Dockerfile's is %q", k, got, v)
		}
	}
}

func TestEveryImageHasTheUsersTheDaprControlPlaneChecks(t *testing.T) {
	t.Parallel()
	img, err := Binary(writeELF(t, "", "sentry"), "sentry", "")
	if err != nil {
		t.Fatal(err)
	}
	files := imageFiles(t, img)
	cases := []struct {
		name string
		file string
		line string
	}{
		{"root is in passwd", "/etc/passwd", "root:x:0:0:"},
		{"nonroot is in passwd", "/etc/passwd", "nonroot:x:65532:65532:"},
		{"root's group is in group", "/etc/group", "root:x:0:"},
		{"nonroot's group is in group", "/etc/group", "nonroot:x:65532:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := files[c.file]
			if !strings.Contains("\n"+string(f.data), "\n"+c.line) {
				t.Errorf("%s has no line starting %q:\n%s", c.file, c.line, f.data)
			}
			if f.hdr.Uid != 0 || f.hdr.Gid != 0 || f.hdr.Mode != 0o644 {
				t.Errorf("%s: owner %d:%d mode %o, want root's, 0644", c.file, f.hdr.Uid, f.hdr.Gid, f.hdr.Mode)
			}
		})
	}
	if tmp := files["/tmp"].hdr; tmp.Typeflag != tar.TypeDir || tmp.Mode != 0o1777 || tmp.Uid != 0 {
		t.Errorf("/tmp: type %c mode %o owner %d, want a root directory with mode 1777", tmp.Typeflag, tmp.Mode, tmp.Uid)
	}
	cfg := configOf(t, img).Config
	if cfg.User != NonRoot || !slices.Equal(cfg.Entrypoint, []string{"/sentry"}) {
		t.Errorf("user %q entrypoint %q, want %s [/sentry]", cfg.User, cfg.Entrypoint, NonRoot)
	}
	if f := files["/sentry"]; f.hdr == nil || f.hdr.Mode != 0o755 {
		t.Error("/sentry is not in the image with mode 0755")
	}
	if cf := configOf(t, img); cf.OS != "linux" || cf.Architecture == "" {
		t.Errorf("platform %s/%s, want linux and an architecture", cf.OS, cf.Architecture)
	}
}

func TestOnlyStaticBinariesMakeImages(t *testing.T) {
	t.Parallel()
	dynamic := writeELF(t, "/lib64/ld-linux-x86-64.so.2", "")
	if _, err := Binary(dynamic, "daprd", ""); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Errorf("a dynamically linked binary gives %v, want an error that says CGO_ENABLED=0", err)
	}
	if _, err := serviceImage(dynamic, "order-svc", 8081); err == nil {
		t.Error("a dynamically linked service binary is accepted")
	}
	script := filepath.Join(t.TempDir(), "run.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Binary(script, "daprd", ""); err == nil {
		t.Error("a shell script is accepted as a binary")
	}
	for _, bad := range []string{"", "bin/daprd", ".."} {
		if _, err := Binary(writeELF(t, "", ""), bad, ""); err == nil {
			t.Errorf("binary name %q is accepted", bad)
		}
	}
}

func TestARefKeepsItsTagOrGetsTheContentTag(t *testing.T) {
	t.Parallel()
	img, err := Binary(writeELF(t, "", "injector"), "injector", "")
	if err != nil {
		t.Fatal(err)
	}
	tag, err := Tag(img)
	if err != nil {
		t.Fatal(err)
	}
	d := digestOf(t, img, nil)
	if tag != d.Hex[:12] {
		t.Fatalf("tag %s, want the first 12 digits of %s", tag, d)
	}
	cases := []struct{ name, want string }{
		{"order-svc", "order-svc:" + tag},
		{"order-svc:dev", "order-svc:dev"},
		{"localhost/order-saga/redis", "localhost/order-saga/redis:" + tag},
		{"localhost:5000/order-saga/redis", "localhost:5000/order-saga/redis:" + tag},
		{"localhost/dapr/daprd:1.18.1", "localhost/dapr/daprd:1.18.1"},
	}
	for _, c := range cases {
		if got, err := Ref(c.name, img); err != nil || got != c.want {
			t.Errorf("Ref(%q) = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "order-svc@sha256:" + d.Hex} {
		if got, err := Ref(bad, img); err == nil {
			t.Errorf("Ref(%q) = %q, want an error", bad, got)
		}
	}
}

func TestWriteNamesTheImageInTheArchive(t *testing.T) {
	t.Parallel()
	img, err := serviceImage(writeELF(t, "", "stock-svc"), "stock-svc", 8082)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "stock-svc.tar")
	if err := Write(out, "stock-svc:0123456789ab", img); err != nil {
		t.Fatal(err)
	}
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(out) })
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || !slices.Equal(m[0].RepoTags, []string{"stock-svc:0123456789ab"}) {
		t.Fatalf("manifest.json %+v, want one image tagged stock-svc:0123456789ab", m)
	}
	tag, err := name.NewTag("stock-svc:0123456789ab")
	if err != nil {
		t.Fatal(err)
	}
	back, err := tarball.ImageFromPath(out, &tag)
	if err != nil {
		t.Fatal(err)
	}
	if digestOf(t, back, nil) != digestOf(t, img, nil) {
		t.Error("the image read back from the archive is another one")
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("archive: %v, %v; want mode 0644", fi, err)
	}
	if err := Write(filepath.Join(t.TempDir(), "x.tar"), "Not A Name", img); err == nil {
		t.Error("an invalid reference is accepted")
	}
}

// manifestIDs are the runAsUser and runAsGroup of the manifest at path.
func manifestIDs(t *testing.T, path string) (uid, gid int) {
	t.Helper()
	manifest, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	number := func(key string) int {
		m := regexp.MustCompile(`(?m)^\s+` + key + `: (\d+)$`).FindSubmatch(manifest)
		if m == nil {
			t.Fatalf("no %s in %s", key, path)
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	return number("runAsUser"), number("runAsGroup")
}
