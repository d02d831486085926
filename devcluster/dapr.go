package devcluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// DaprVersion is the Dapr control plane and sidecar the cluster runs.
const DaprVersion = "1.18.1"

// DaprNamespace is where the Dapr control plane runs.
const DaprNamespace = "dapr-system"

// daprRegistry is the registry part of the Dapr images built here; the
// chart's global.registry points at it and nothing is pulled.
const daprRegistry = "localhost/dapr"

// daprImages maps each image of the chart (its image.name values) to the
// tool that is its binary.
var daprImages = map[string]string{
	"daprd":     "daprd",
	"operator":  "dapr-operator",
	"sentry":    "dapr-sentry",
	"injector":  "dapr-injector",
	"scheduler": "dapr-scheduler",
}

// daprValues and daprPostRenderer, in the repository, are the Helm values
// and post-renderer that users install Dapr with too (scripts/k8s-up.sh,
// docs/kubernetes.md): the cluster adds only where its images are.
const (
	daprValues       = "k8s/dapr-system/values.yaml"
	daprPostRenderer = "k8s/dapr-system/post-render.sh"
)

// schedulerClaim is the claim of the one scheduler's etcd (the
// StatefulSet's volumeClaimTemplate dapr-scheduler-data-dir), of the size
// that daprValues asks for, owned by the user of the Dapr images
// (images.NonRoot): a hostPath volume gets no fsGroup.
var schedulerClaim = Claim{Namespace: DaprNamespace, Name: "dapr-scheduler-data-dir-dapr-scheduler-server-0", Size: "1Gi", UID: 65532, GID: 65532}

// installDapr installs the Dapr chart of the dapr module (no chart
// repository is needed) with Helm, with the values and post-renderer that
// users install it with, then waits until the sidecar injector really
// injects: Helm's --wait can return before the injector serves, and its
// webhook fails open, so pods applied then start without a sidecar. The
// scheduler's volume is made first: Helm waits for the scheduler Ready.
func (c *Cluster) installDapr(ctx context.Context) error {
	chart, err := daprChart(ctx)
	if err != nil {
		return err
	}
	if err := c.Volumes(ctx, []Claim{schedulerClaim}); err != nil {
		return err
	}
	helmHome := c.path("helm")
	cmd := exec.CommandContext(ctx, c.tools["helm"], "install", "dapr", chart,
		"--kubeconfig", c.Kubeconfig,
		"--namespace", DaprNamespace, "--create-namespace",
		"-f", filepath.Join(c.repo, daprValues),
		"--post-renderer", filepath.Join(c.repo, daprPostRenderer),
		"--set", "global.registry="+daprRegistry,
		"--set", "global.tag="+DaprVersion,
		"--set", "global.imagePullPolicy=Never",
		"--set", "dapr_sidecar_injector.sidecarImagePullPolicy=Never",
		"--wait", "--timeout", "4m")
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+helmHome+"/cache", "HELM_CONFIG_HOME="+helmHome+"/config", "HELM_DATA_HOME="+helmHome+"/data",
		// The post-renderer's kubectl kustomize.
		"KUBECTL="+c.tools["kubectl"])
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("helm install: %w: %s", err, strings.TrimSpace(out.String()))
	}
	return c.waitForInjector(ctx, 90*time.Second)
}

// daprChart is charts/dapr inside the dapr module in the Go module cache.
func daprChart(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", "github.com/dapr/dapr@v"+DaprVersion)
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	cmd.Dir = os.TempDir()
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download github.com/dapr/dapr@v%s: %w", DaprVersion, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil {
		return "", err
	}
	chart := filepath.Join(mod.Dir, "charts", "dapr")
	if _, err := os.Stat(filepath.Join(chart, "Chart.yaml")); err != nil {
		return "", fmt.Errorf("no Dapr chart in the dapr module: %w", err)
	}
	return chart, nil
}

const injectorProbePod = `apiVersion: v1
kind: Pod
metadata:
  name: dapr-injector-probe
  namespace: default
  annotations:
    dapr.io/enabled: "true"
    dapr.io/app-id: injector-probe
spec:
  containers:
    - name: app
      image: localhost/order-saga/pause:3.10
`

func (c *Cluster) waitForInjector(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		out, err := c.kubectlIn(ctx, []byte(injectorProbePod), "create", "--dry-run=server", "-o", "json", "-f", "-")
		if err == nil {
			var pod struct {
				Spec struct {
					Containers     []struct{ Name string } `json:"containers"`
					InitContainers []struct{ Name string } `json:"initContainers"`
				} `json:"spec"`
			}
			if json.Unmarshal(out, &pod) == nil {
				for _, ct := range append(pod.Spec.Containers, pod.Spec.InitContainers...) {
					if ct.Name == "daprd" {
						return nil
					}
				}
			}
			err = fmt.Errorf("a dry-run pod came back without a daprd container")
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sidecar injector not serving: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
