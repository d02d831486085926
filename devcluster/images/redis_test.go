package images

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"path"
	"slices"
	"strconv"
	"testing"
)

// redisImage builds the Redis image once per test, failing with what to
// install when Debian's packages are missing.
func redisImage(t *testing.T) map[string]layerFile {
	t.Helper()
	img, err := Redis()
	if err != nil {
		t.Fatal(err)
	}
	return imageFiles(t, img)
}

// imageELF parses the ELF object at p in the layer, after its links.
func imageELF(t *testing.T, files map[string]layerFile, p string) *elf.File {
	t.Helper()
	resolved, f := lookup(t, files, p)
	if f.hdr.Typeflag != tar.TypeReg {
		t.Fatalf("%s resolves to %s, not a regular file", p, resolved)
	}
	e, err := elf.NewFile(bytes.NewReader(f.data))
	if err != nil {
		t.Fatalf("%s (%s): %v", p, resolved, err)
	}
	return e
}

func TestTheRedisImageHoldsTheLoaderAndEveryLibrary(t *testing.T) {
	t.Parallel()
	checkLoadable(t, redisImage(t), redisServer, []string{"/usr/bin/redis-server", "/usr/bin/redis-cli"})
}

// checkLoadable checks that the loader of the image finds, for each of
// objects, its program interpreter and every library it needs, in turn,
// and that host, the host's own binary, needs nothing the image lacks.
func checkLoadable(t *testing.T, files map[string]layerFile, host string, objects []string) {
	t.Helper()
	// What the host's binary asks for must be in the image.
	hostELF, err := elf.Open(host)
	if err != nil {
		t.Fatal(err)
	}
	defer hostELF.Close()
	hostNeeded, err := hostELF.DynString(elf.DT_NEEDED)
	if err != nil || len(hostNeeded) == 0 {
		t.Fatalf("%s has no DT_NEEDED (%v): is it Debian's dynamically linked one?", host, err)
	}

	// The image's loader finds each library in its system directories,
	// as there is no /etc/ld.so.cache; libraries need libraries in turn.
	libDirs := []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"}
	found := map[string]bool{}
	queue := slices.Clone(objects)
	for len(queue) > 0 {
		obj := imageELF(t, files, queue[0])
		queue = queue[1:]
		for _, p := range obj.Progs {
			if p.Type != elf.PT_INTERP {
				continue
			}
			interp := make([]byte, p.Filesz)
			if _, err := p.ReadAt(interp, 0); err != nil {
				t.Fatal(err)
			}
			loader := string(bytes.TrimRight(interp, "\x00"))
			if loader != "/lib64/ld-linux-x86-64.so.2" {
				t.Errorf("program interpreter %s, want /lib64/ld-linux-x86-64.so.2", loader)
			}
			imageELF(t, files, loader)
		}
		needed, err := obj.DynString(elf.DT_NEEDED)
		if err != nil {
			t.Fatal(err)
		}
		for _, lib := range needed {
			if found[lib] {
				continue
			}
			for _, d := range libDirs {
				if f, ok := follow(files, path.Join(d, lib)); ok && f.hdr.Typeflag == tar.TypeReg {
					found[lib] = true
					queue = append(queue, path.Join(d, lib))
					break
				}
			}
			if !found[lib] {
				t.Errorf("%s is needed but is in none of %q in the image", lib, libDirs)
			}
		}
	}
	for _, lib := range hostNeeded {
		if !found[lib] {
			t.Errorf("DT_NEEDED %s of the host's %s is not in the image", lib, host)
		}
	}
	if _, ok := files["/etc/ld.so.cache"]; ok {
		t.Error("the image has an ld.so.cache: the loader would trust it over the directories")
	}
}

func TestTheRedisImageRunsAsTheManifestSays(t *testing.T) {
	t.Parallel()
	img, err := Redis()
	if err != nil {
		t.Fatal(err)
	}
	files := imageFiles(t, img)
	cfg := configOf(t, img).Config

	uid, gid := manifestIDs(t, "../../k8s/base/redis/redis.yaml")

	if d := files["/data"].hdr; d == nil || d.Typeflag != tar.TypeDir || d.Uid != uid || d.Gid != gid {
		t.Errorf("/data is %+v, want a directory owned by the manifest's %d:%d", d, uid, gid)
	}
	if cfg.WorkingDir != "/data" {
		t.Errorf("working directory %q: redis-server with no configuration writes there, want /data", cfg.WorkingDir)
	}
	if want := strconv.Itoa(uid) + ":" + strconv.Itoa(gid); cfg.User != want {
		t.Errorf("user %q, want the manifest's %s", cfg.User, want)
	}
	if f := field(t, files["/etc/passwd"].data, "redis", 2); f != strconv.Itoa(uid) {
		t.Errorf("redis has uid %s in passwd, want %d", f, uid)
	}
	if f := field(t, files["/etc/group"].data, "redis", 2); f != strconv.Itoa(gid) {
		t.Errorf("redis has gid %s in group, want %d", f, gid)
	}
	if !slices.Equal(cfg.Cmd, []string{"redis-server"}) || cfg.Entrypoint != nil {
		t.Errorf("cmd %q entrypoint %q: the manifest's args must be the whole command", cfg.Cmd, cfg.Entrypoint)
	}
	if !slices.Equal(cfg.Env, []string{"PATH=/usr/local/bin:/usr/bin:/bin"}) {
		t.Errorf("env %q", cfg.Env)
	}
	for _, cmd := range []string{"/bin/sh", "/bin/grep", "/bin/nc"} {
		if resolved, _ := lookup(t, files, cmd); resolved != "/usr/bin/busybox" && resolved != "/bin/busybox" {
			t.Errorf("%s resolves to %s, want busybox", cmd, resolved)
		}
	}
	if bb := imageELF(t, files, "/bin/busybox"); slices.ContainsFunc(bb.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) {
		t.Error("busybox is dynamically linked: want Debian's busybox-static")
	}
}
