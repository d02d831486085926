package stack

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// EnsureDaprd returns a daprd 1.18.x, building it when none is found (see
// scripts/ensure-daprd.sh, which also says where it looks).
func EnsureDaprd(root string, log io.Writer) (string, error) {
	return pathFromScript(log, filepath.Join(root, "scripts", "ensure-daprd.sh"))
}

// EnsureTool returns the path of a tool of scripts/ensure-tool.sh
// (dapr-scheduler, say), building it once when it is missing.
func EnsureTool(root, name string, log io.Writer) (string, error) {
	return pathFromScript(log, filepath.Join(root, "scripts", "ensure-tool.sh"), name)
}

// pathFromScript runs a script that prints a path, its progress going to
// log.
func pathFromScript(log io.Writer, script string, args ...string) (string, error) {
	cmd := exec.Command(script, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w", filepath.Base(script), strings.Join(args, " "), err)
	}
	return strings.TrimSpace(out.String()), nil
}

// BuildServices builds the three services into dir.
func BuildServices(root, dir string, log io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	args := []string{"build", "-o", dir + "/"}
	for _, app := range Apps {
		args = append(args, "./"+app)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build services: %w", err)
	}
	return nil
}

// daprdArgs are the sidecar flags of one app, as `dapr run` would pass
// them, with every listener of the sidecar on bind: its HTTP and gRPC
// APIs, its internal gRPC (which daprd otherwise opens on every
// interface) and its metrics (0.0.0.0 by default).
func daprdArgs(app string, p Ports, resources, config, logLevel, bind string) []string {
	return []string{
		"--app-id", app,
		"--app-port", strconv.Itoa(p.App),
		"--app-protocol", "http",
		"--dapr-http-port", strconv.Itoa(p.DaprHTTP),
		"--dapr-grpc-port", strconv.Itoa(p.DaprGRPC),
		"--dapr-internal-grpc-port", strconv.Itoa(p.DaprInternal),
		"--metrics-port", strconv.Itoa(p.DaprMetrics),
		"--dapr-listen-addresses", bind,
		"--dapr-internal-grpc-listen-address", bind,
		"--metrics-listen-address", bind,
		"--resources-path", resources,
		"--config", config,
		"--log-level", logLevel,
		"--enable-app-health-check",
		"--app-health-check-path", "/healthz",
		"--app-health-probe-interval", "1",
	}
}

// RenderResources copies the component YAMLs of src into dst, each file
// of replace (by name: pubsub.yaml, say) taken from the path it gives
// instead, and every key of addrs replaced by its value; it returns dst.
func RenderResources(src, dst string, replace, addrs map[string]string) (string, error) {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return "", err
	}
	files := map[string]string{}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			files[e.Name()] = filepath.Join(src, e.Name())
		}
	}
	for name, from := range replace {
		files[name] = from
	}
	for name, from := range files {
		b, err := os.ReadFile(from)
		if err != nil {
			return "", err
		}
		for old, addr := range addrs {
			b = bytes.ReplaceAll(b, []byte(old), []byte(addr))
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			return "", err
		}
	}
	return dst, nil
}
