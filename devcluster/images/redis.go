package images

import (
	"debug/elf"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The Redis image is made of Debian's own files on this machine: the
// packages redis-server (and redis-tools) and busybox-static.
const (
	redisServer = "/usr/bin/redis-server"
	redisCLI    = "/usr/bin/redis-cli"
	busybox     = "/bin/busybox"
)

// redisAccount is the user of the Redis image, whose uid and gid the
// manifest runs it as (999:1000).
var redisAccount = account{name: "redis", uid: 999, gid: 1000, home: "/data"}

// busyboxApplets are the commands the probes and the tests run in the
// Redis container: the readiness probe is `sh -c "redis-cli ping | grep
// -qx PONG"`.
var busyboxApplets = []string{"sh", "grep", "nc"}

// Redis is the Redis image: Debian's redis-server and redis-cli with the
// dynamic loader and every shared library they load, busybox for sh, grep
// and nc, and /data owned by redis (999:1000), the working directory where
// redis-server with no configuration file writes its data and nothing else,
// so it runs with a read-only root file system. Cmd is ["redis-server"],
// with no entrypoint, so the manifest's args are the whole command line.
func Redis() (v1.Image, error) {
	for _, p := range []struct{ file, pkg string }{
		{redisServer, "redis-server"}, {redisCLI, "redis-tools"}, {busybox, "busybox-static"},
	} {
		if _, err := os.Stat(p.file); err != nil {
			return nil, fmt.Errorf("the Redis image needs %s from Debian's %s package (apt-get install -y %s): %w",
				p.file, p.pkg, p.pkg, err)
		}
	}
	executables := []string{redisServer, redisCLI, busybox}
	libs, err := loadedFiles(executables)
	if err != nil {
		return nil, err
	}
	t := newTree()
	if err := base(t, redisAccount); err != nil {
		return nil, err
	}
	if err := t.dir("/data", 0o755, redisAccount.uid, redisAccount.gid); err != nil {
		return nil, err
	}
	for _, p := range append(executables, libs...) {
		if err := t.copyHost(p); err != nil {
			return nil, err
		}
	}
	for _, a := range busyboxApplets {
		if err := t.symlink("/bin/"+a, "busybox"); err != nil {
			return nil, err
		}
	}
	return assemble(t, v1.Config{
		Cmd:          []string{"redis-server"},
		Env:          []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
		User:         fmt.Sprintf("%d:%d", redisAccount.uid, redisAccount.gid),
		ExposedPorts: map[string]struct{}{"6379/tcp": {}},
		WorkingDir:   "/data",
	}, "redis")
}

// loadedFiles lists the files that the dynamic loader opens to start the
// executables: each one's program interpreter (PT_INTERP) and its DT_NEEDED
// libraries, transitively, each found where the loader looks in an image
// with no /etc/ld.so.cache: the object's DT_RUNPATH (else DT_RPATH), then
// the system directories. Paths are as the loader opens them, before
// symbolic links; the list is sorted and has no duplicates.
func loadedFiles(executables []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	var queue []string
	for _, exe := range executables {
		f, err := elf.Open(exe)
		if err != nil {
			return nil, err
		}
		interp, err := interpreter(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", exe, err)
		}
		if interp != "" && !seen[interp] {
			seen[interp] = true
			out = append(out, interp)
		}
		queue = append(queue, exe)
	}
	for len(queue) > 0 {
		obj := queue[0]
		queue = queue[1:]
		libs, err := neededLibraries(obj)
		if err != nil {
			return nil, err
		}
		for _, lib := range libs {
			if !seen[lib] {
				seen[lib] = true
				out = append(out, lib)
				queue = append(queue, lib)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// interpreter is the PT_INTERP of f, empty for a static executable.
func interpreter(f *elf.File) (string, error) {
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			return "", fmt.Errorf("reading PT_INTERP: %w", err)
		}
		return strings.TrimRight(string(b), "\x00"), nil
	}
	return "", nil
}

// neededLibraries finds the DT_NEEDED libraries of the object at obj.
func neededLibraries(obj string) ([]string, error) {
	f, err := elf.Open(obj)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	needed, err := f.DynString(elf.DT_NEEDED)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", obj, err)
	}
	dirs, err := searchDirs(f, obj)
	if err != nil {
		return nil, err
	}
	var libs []string
	for _, name := range needed {
		if strings.Contains(name, "/") {
			libs = append(libs, name)
			continue
		}
		lib, err := findLibrary(name, dirs, f.Class, f.Machine)
		if err != nil {
			return nil, fmt.Errorf("%s needs %s: %w", obj, name, err)
		}
		libs = append(libs, lib)
	}
	return libs, nil
}

// searchDirs is where the loader looks for the libraries of f at obj.
func searchDirs(f *elf.File, obj string) ([]string, error) {
	var dirs []string
	runpath, err := f.DynString(elf.DT_RUNPATH)
	if err != nil {
		return nil, err
	}
	if len(runpath) == 0 {
		if runpath, err = f.DynString(elf.DT_RPATH); err != nil {
			return nil, err
		}
	}
	for _, list := range runpath {
		for _, d := range strings.Split(list, ":") {
			d = strings.ReplaceAll(strings.ReplaceAll(d, "${ORIGIN}", "$ORIGIN"), "$ORIGIN", path.Dir(obj))
			if d != "" {
				dirs = append(dirs, d)
			}
		}
	}
	var triplet string
	switch f.Machine {
	case elf.EM_X86_64:
		triplet = "x86_64-linux-gnu"
	case elf.EM_AARCH64:
		triplet = "aarch64-linux-gnu"
	default:
		return nil, fmt.Errorf("%s: no known library directories for machine %v", obj, f.Machine)
	}
	return append(dirs, "/lib/"+triplet, "/usr/lib/"+triplet, "/lib", "/usr/lib"), nil
}

// findLibrary finds name in the first of dirs that holds an ELF object of
// the given class and machine, as the loader skips the others.
func findLibrary(name string, dirs []string, class elf.Class, machine elf.Machine) (string, error) {
	for _, d := range dirs {
		p := path.Join(d, name)
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		ok := f.Class == class && f.Machine == machine
		f.Close()
		if ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("not found in %s", strings.Join(dirs, ":"))
}
