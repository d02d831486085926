package images

import (
	"archive/tar"
	"debug/elf"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// postgresManifest is the StatefulSet that runs the image.
const postgresManifest = "../../k8s/components/postgres/postgres.yaml"

func TestThePostgresImageHoldsTheLoaderAndEveryLibrary(t *testing.T) {
	t.Parallel()
	img, err := Postgres()
	if err != nil {
		t.Fatal(err)
	}
	files := imageFiles(t, img)
	var objects []string
	for _, p := range postgresPrograms {
		objects = append(objects, path.Join(postgresBin, p))
	}
	for _, m := range postgresModules {
		objects = append(objects, path.Join(postgresLib, m))
	}
	checkLoadable(t, files, path.Join(postgresBin, "postgres"), append(objects, "/usr/bin/locale"))
	// The server looks for these where initdb and it were built to.
	for _, f := range []string{postgresShare + "/postgres.bki", postgresShare + "/timezonesets/Default",
		postgresShare + "/tsearch_data/english.stop", postgresShare + "/extension/plpgsql.control",
		"/usr/share/zoneinfo/UTC", "/usr/lib/locale/C.utf8/LC_CTYPE"} {
		if _, ok := follow(files, f); !ok {
			t.Errorf("%s is not in the image", f)
		}
	}
	// And nothing it does not need: no contrib module, no manual.
	for p := range files {
		if strings.HasPrefix(p, postgresShare+"/man/") || strings.HasPrefix(p, postgresShare+"/contrib/") ||
			strings.HasPrefix(p, postgresLib+"/") && !slices.Contains(postgresModules, path.Base(p)) {
			t.Errorf("%s is in the image, which does not need it", p)
		}
	}
}

func TestThePostgresImageRunsAsTheManifestSays(t *testing.T) {
	t.Parallel()
	img, err := Postgres()
	if err != nil {
		t.Fatal(err)
	}
	files := imageFiles(t, img)
	cfg := configOf(t, img).Config

	uid, gid := manifestIDs(t, postgresManifest)
	manifest, err := os.ReadFile(postgresManifest)
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(uid) + ":" + strconv.Itoa(gid); cfg.User != want {
		t.Errorf("user %q, want the manifest's %s", cfg.User, want)
	}
	if f := field(t, files["/etc/passwd"].data, "postgres", 2); f != strconv.Itoa(uid) {
		t.Errorf("postgres has uid %s in passwd, want %d", f, uid)
	}
	// The server and initdb refuse to run as a user that has no name.
	if f := field(t, files["/etc/group"].data, "postgres", 2); f != strconv.Itoa(gid) {
		t.Errorf("postgres has gid %s in group, want %d", f, gid)
	}
	// Where the manifest mounts the data volume and the socket's emptyDir.
	for _, dir := range []string{PostgresDataDir, PostgresSocketDir} {
		if !strings.Contains(string(manifest), "mountPath: "+dir+"\n") {
			t.Errorf("the manifest mounts nothing at %s", dir)
		}
		if d := files[dir].hdr; d == nil || d.Typeflag != tar.TypeDir || d.Uid != uid || d.Gid != gid {
			t.Errorf("%s is %+v, want a directory owned by the manifest's %d:%d", dir, d, uid, gid)
		}
	}
	// Every command the manifest runs (the containers', the probes' and
	// the preStop's) is found on the image's PATH.
	var dirs []string
	for _, e := range cfg.Env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			dirs = strings.Split(v, ":")
		}
	}
	commands := regexp.MustCompile(`(?m)(?:command|args): \["([^"]+)"`).FindAllSubmatch(manifest, -1)
	if len(commands) < 4 {
		t.Fatalf("found %d commands in the manifest, want the init container's, the server's, the probes' and the preStop's", len(commands))
	}
	for _, m := range commands {
		name := string(m[1])
		if !slices.ContainsFunc(dirs, func(d string) bool { _, ok := follow(files, path.Join(d, name)); return ok }) {
			t.Errorf("the manifest runs %s, which is in none of %q in the image", name, dirs)
		}
	}
	// pg_ctl starts the server through /bin/sh, and initdb asks `locale -a`
	// through it.
	if resolved, _ := lookup(t, files, "/bin/sh"); resolved != "/usr/bin/busybox" && resolved != "/bin/busybox" {
		t.Errorf("/bin/sh resolves to %s, want busybox", resolved)
	}
	if bb := imageELF(t, files, "/bin/busybox"); slices.ContainsFunc(bb.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) {
		t.Error("busybox is dynamically linked: want Debian's busybox-static")
	}
	if cfg.Entrypoint != nil {
		t.Errorf("entrypoint %q: the manifest's command and args must be the whole command", cfg.Entrypoint)
	}
}
