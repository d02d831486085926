package k8scheck

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const runtimeImage = "gcr.io/distroless/static-debian12:nonroot"

func TestEachImageIsAStaticBinaryOnDistrolessAsNonRoot(t *testing.T) {
	root, ref, _ := fixtures(t)
	for _, svc := range Services {
		t.Run(svc, func(t *testing.T) {
			d, err := ParseDockerfile(filepath.Join(root, svc, "Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := d.GoBuild()
			if err != nil {
				t.Fatal(err)
			}
			final := d.Final()
			port := strconv.Itoa(ref.DefaultPorts[svc])
			checks := []struct{ what, got, want string }{
				{"runtime image", final.From, runtimeImage},
				{"USER", final.Last("USER"), "nonroot:nonroot"},
				{"COPY of the binary", final.Last("COPY"), "--from=" + d.Stages[0].Name + " " + b.Output + " /" + svc},
				{"ENTRYPOINT", final.Last("ENTRYPOINT"), `["/` + svc + `"]`},
				{"ENV", final.Last("ENV"), "PORT=" + port},
				{"EXPOSE", final.Last("EXPOSE"), port},
				{"build WORKDIR", b.Dir, "/src/" + svc},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s is %q, want %q", c.what, c.got, c.want)
				}
			}
			for _, want := range []string{"CGO_ENABLED=0", "GOWORK=off"} {
				if !slices.Contains(b.Env, want) {
					t.Errorf("the go build runs without %s", want)
				}
			}
		})
	}
}

// TestTheImagesGoBuildCommandYieldsAStaticBinary runs, for each service, the
// go build command of its Dockerfile as written (same environment
// assignments and flags, in the directory the Dockerfile's WORKDIR maps
// to), writing the binary to a temporary directory instead of /out.
func TestTheImagesGoBuildCommandYieldsAStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three services")
	}
	root, _, _ := fixtures(t)
	out := t.TempDir()
	for _, svc := range Services {
		t.Run(svc, func(t *testing.T) {
			d, err := ParseDockerfile(filepath.Join(root, svc, "Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := d.GoBuild()
			if err != nil {
				t.Fatal(err)
			}
			bin := filepath.Join(out, path.Base(b.Output))
			args := slices.Clone(b.Args)
			args[slices.Index(args, "-o")+1] = bin
			cmd := exec.Command("go", args...)
			cmd.Dir = filepath.Join(root, strings.TrimPrefix(b.Dir, "/src/"))
			cmd.Env = buildEnv(b.Env)
			if outText, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, outText)
			}
			if err := CheckStaticExecutable(bin); err != nil {
				t.Error(err)
			}
			settings, err := BuildSettings(bin)
			if err != nil {
				t.Fatal(err)
			}
			// With -trimpath the toolchain does not record -ldflags; the
			// missing symbol table and DWARF above show "-s -w" took effect.
			for key, want := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true"} {
				if settings[key] != want {
					t.Errorf("built with %s=%q, want %q", key, settings[key], want)
				}
			}
		})
	}
}

// buildEnv is this process's environment without the variables that
// change what go build does, then the Dockerfile's assignments. The image's
// build context has no .git (.dockerignore), so VCS stamping is off here
// too.
func buildEnv(assignments []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GOWORK", "GOFLAGS", "CGO_ENABLED", "GOOS", "GOARCH", "GOAMD64", "GOEXPERIMENT", "CC", "GOTOOLCHAIN":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "GOFLAGS=-buildvcs=false", "GOTOOLCHAIN=local")
	return append(env, assignments...)
}

func TestStaticCheckRefusesADynamicExecutable(t *testing.T) {
	t.Parallel()
	for _, bin := range []string{"/bin/sh", "/usr/bin/env"} {
		if _, err := os.Stat(bin); err != nil {
			continue
		}
		assertRefused(t, CheckStaticExecutable(bin), "PT_INTERP")
		return
	}
	t.Skip("no dynamically linked executable found on this machine")
}

func TestTheBuildCommandMustBeAPlainCommand(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, run, want string }{
		{"a variable", `CGO_ENABLED=0 go build -o $OUT .`, "not supported"},
		{"a second command", `go mod download && go build -o /out/x .`, "not supported"},
		{"no output path", `CGO_ENABLED=0 go build .`, "no -o"},
		{"another program first", `env CGO_ENABLED=0 go build -o /out/x .`, "want [NAME=value...] go build"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "Dockerfile")
			if err := os.WriteFile(file, []byte("FROM golang AS build\nRUN "+tt.run+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := ParseDockerfile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.GoBuild()
			assertRefused(t, err, tt.want)
		})
	}
}
