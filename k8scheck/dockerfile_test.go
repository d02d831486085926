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

	"github.com/example/order-saga/contracts"
)

const (
	runtimeImage = "gcr.io/distroless/static-debian12:nonroot"
	// imageBinary is where every image keeps its service's binary.
	imageBinary = "/service"
)

func TestEachImageIsAStaticBinaryOnDistrolessAsNonRoot(t *testing.T) {
	eachArtifact(t, func(t *testing.T, svc string, d *Dockerfile, b *GoBuild) {
		final := d.Final()
		port := strconv.Itoa(contracts.DefaultPort(svc))
		checks := []struct{ what, got, want string }{
			{"runtime image", final.From, runtimeImage},
			{"USER", final.Last("USER"), "nonroot:nonroot"},
			{"go build output", b.Output, "/out/" + svc},
			{"COPY of the binary", final.Last("COPY"), "--from=" + d.Stages[0].Name + " " + b.Output + " " + imageBinary},
			{"ENTRYPOINT", final.Last("ENTRYPOINT"), `["` + imageBinary + `"]`},
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

// TestTheImagesGoBuildCommandYieldsAStaticBinary runs, for each artifact of
// skaffold.yaml, the go build command of its Dockerfile as written with
// the artifact's build arguments (same environment assignments and flags,
// in the directory the Dockerfile's WORKDIR maps to), writing the binary
// to a temporary directory instead of /out.
func TestTheImagesGoBuildCommandYieldsAStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three services")
	}
	out := t.TempDir()
	eachArtifact(t, func(t *testing.T, svc string, d *Dockerfile, b *GoBuild) {
		root, _, _ := fixtures(t)
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

// eachArtifact runs test, in a subtest named after the image, for each
// artifact of skaffold.yaml: its Dockerfile read with the artifact's build
// arguments, and that Dockerfile's go build command.
func eachArtifact(t *testing.T, test func(t *testing.T, svc string, d *Dockerfile, b *GoBuild)) {
	t.Helper()
	root, _, _ := fixtures(t)
	s, err := LoadSkaffold(filepath.Join(root, "skaffold.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Build.Artifacts) != len(Services) {
		t.Fatalf("skaffold.yaml builds %d artifacts, want one per service %v", len(s.Build.Artifacts), Services)
	}
	for _, a := range s.Build.Artifacts {
		t.Run(a.Image, func(t *testing.T) {
			d, err := a.ParseDockerfile(root)
			if err != nil {
				t.Fatal(err)
			}
			b, err := d.GoBuild()
			if err != nil {
				t.Fatal(err)
			}
			test(t, a.Image, d, b)
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
		{"a variable that is no ARG", `CGO_ENABLED=0 go build -o $OUT .`, "not supported"},
		{"a second command", `go mod download && go build -o /out/x .`, "not supported"},
		{"no output path", `CGO_ENABLED=0 go build .`, "no -o"},
		{"another program first", `env CGO_ENABLED=0 go build -o /out/x .`, "want [NAME=value...] go build"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := ParseDockerfile(writeDockerfile(t, "FROM golang AS build\nRUN "+tt.run+"\n"), nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.GoBuild()
			assertRefused(t, err, tt.want)
		})
	}
}

func TestBuildArgumentsAreSubstitutedWhereDockerSubstitutesThem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, dockerfile string
		buildArgs        map[string]string
		keyword, want    string
	}{
		{"a build argument in the go build command", "FROM golang AS build\nARG OUT\nRUN go build -o /out/$OUT .\n",
			map[string]string{"OUT": "x"}, "RUN", "go build -o /out/x ."},
		{"the default when no build argument is given", "FROM golang AS build\nARG OUT=y\nWORKDIR /src/${OUT}\n",
			nil, "WORKDIR", "/src/y"},
		{"the build argument rather than the default", "FROM golang AS build\nARG OUT=y\nWORKDIR /src/${OUT}\n",
			map[string]string{"OUT": "x"}, "WORKDIR", "/src/x"},
		{"a global default that the stage declares again", "ARG OUT=z\nFROM golang AS build\nARG OUT\nCOPY $OUT/ ./\n",
			nil, "COPY", "z/ ./"},
		{"a global ARG in FROM", "ARG BASE=golang\nFROM ${BASE}:1.26 AS build\n",
			nil, "FROM", "golang:1.26"},
		{"an exec-form ENTRYPOINT, which docker runs as written", "FROM scratch\nARG APP=x\nENTRYPOINT [\"/${APP}\"]\n",
			nil, "ENTRYPOINT", `["/${APP}"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := ParseDockerfile(writeDockerfile(t, tt.dockerfile), tt.buildArgs)
			if err != nil {
				t.Fatal(err)
			}
			got := d.Final().Last(tt.keyword)
			if tt.keyword == "FROM" {
				got = d.Final().From
			}
			if got != tt.want {
				t.Errorf("%s is %q, want %q", tt.keyword, got, tt.want)
			}
		})
	}
}

func TestBuildArgumentsThatDockerWouldNotSubstituteAsWrittenAreRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, dockerfile string
		buildArgs        map[string]string
		want             string
	}{
		{"an ARG with neither a default nor a build argument", "FROM golang\nARG OUT\nWORKDIR /src/$OUT\n",
			nil, "ARG OUT has no value"},
		{"a global ARG that the stage does not declare", "ARG OUT=z\nFROM golang\nWORKDIR /src/${OUT}\n",
			nil, "$OUT is not an ARG of this stage"},
		{"a build argument that no ARG declares", "FROM golang\nARG OUT=y\n",
			map[string]string{"OUTPUT": "x"}, "build argument OUTPUT: no ARG declares it"},
		{"a value that the shell would split", "FROM golang\nARG OUT\nRUN go build -o /out/$OUT .\n",
			map[string]string{"OUT": "x y"}, "which the shell would not keep as one word"},
		{"an expansion with a modifier", "FROM golang\nARG OUT\nWORKDIR /src/${OUT:-x}\n",
			map[string]string{"OUT": "x"}, "only $NAME and ${NAME} are substituted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseDockerfile(writeDockerfile(t, tt.dockerfile), tt.buildArgs)
			t.Log(err)
			assertRefused(t, err, tt.want)
		})
	}
}

// writeDockerfile writes text to a Dockerfile in a temporary directory and
// returns its path.
func writeDockerfile(t *testing.T, text string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}
