package images

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Service is the image of one service of the repository at repoRoot, the
// same as the Dockerfile's: its static binary at /service, built exactly
// as the Dockerfile builds it, on a base like distroless/static:nonroot,
// run as 65532:65532 with PORT set and exposed.
func Service(ctx context.Context, repoRoot, service string, port int) (v1.Image, error) {
	if service == "" || strings.ContainsAny(service, `/\`) || strings.HasPrefix(service, ".") {
		return nil, fmt.Errorf("service %q: want the name of a directory of the repository", service)
	}
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("service %s: port %d is out of range", service, port)
	}
	dir, err := os.MkdirTemp("", "saga-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, service)
	if err := goBuild(ctx, filepath.Join(repoRoot, service), bin); err != nil {
		return nil, err
	}
	return serviceImage(bin, service, port)
}

// serviceImage is the image of a service whose binary is at bin.
func serviceImage(bin, service string, port int) (v1.Image, error) {
	if err := checkStatic(bin); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	t := newTree()
	if err := base(t); err != nil {
		return nil, err
	}
	if err := t.file("/service", data, 0o755, 0, 0); err != nil {
		return nil, err
	}
	p := strconv.Itoa(port)
	return assemble(t, v1.Config{
		Entrypoint:   []string{"/service"},
		Env:          []string{staticPath, "PORT=" + p},
		User:         NonRoot,
		ExposedPorts: map[string]struct{}{p + "/tcp": {}},
		WorkingDir:   "/",
	}, "service "+service+" "+p)
}

// Pause is the pod sandbox image: the program of devcluster/cmd/pause in
// the repository at repoRoot, at /pause, run as 65535 like Kubernetes' own.
func Pause(ctx context.Context, repoRoot string) (v1.Image, error) {
	dir, err := os.MkdirTemp("", "saga-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "pause")
	if err := goBuild(ctx, filepath.Join(repoRoot, "devcluster", "cmd", "pause"), bin); err != nil {
		return nil, err
	}
	return staticImage(bin, "pause", PauseUser, "pause")
}

// goBuild builds the main package in dir into the static binary out.
func goBuild(ctx context.Context, dir, out string) error {
	cmd := buildCommand(ctx, dir, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build in %s: %w\n%s", dir, err, b)
	}
	return nil
}

// buildCommand is the Dockerfile's build command, with GOOS and GOARCH of
// the images: CGO_ENABLED=0 GOWORK=off go build -trimpath -ldflags="-s -w".
// GOWORK=off builds the module on its own, as in the Docker build context.
func buildCommand(ctx context.Context, dir, out string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	return cmd
}
