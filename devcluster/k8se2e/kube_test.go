package k8se2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/order-saga/devcluster"
)

// The cluster as kubectl shows it: pods and what the tests read of them.

type pod struct {
	Metadata struct {
		Name              string            `json:"name"`
		Namespace         string            `json:"namespace"`
		Labels            map[string]string `json:"labels"`
		Annotations       map[string]string `json:"annotations"`
		CreationTimestamp time.Time         `json:"creationTimestamp"`
		DeletionTimestamp *time.Time        `json:"deletionTimestamp"`
	} `json:"metadata"`
	Spec struct {
		InitContainers []container `json:"initContainers"`
		Containers     []container `json:"containers"`
	} `json:"spec"`
	Status struct {
		Phase                 string            `json:"phase"`
		PodIP                 string            `json:"podIP"`
		Conditions            []condition       `json:"conditions"`
		InitContainerStatuses []containerStatus `json:"initContainerStatuses"`
		ContainerStatuses     []containerStatus `json:"containerStatuses"`
	} `json:"status"`
}

type container struct {
	Name  string `json:"name"`
	Image string `json:"image"`
	Ports []struct {
		Name          string `json:"name"`
		ContainerPort int    `json:"containerPort"`
	} `json:"ports"`
}

type condition struct {
	Type               string    `json:"type"`
	Status             string    `json:"status"`
	LastTransitionTime time.Time `json:"lastTransitionTime"`
}

type containerStatus struct {
	Name         string `json:"name"`
	Ready        bool   `json:"ready"`
	RestartCount int    `json:"restartCount"`
	State        struct {
		Running    *struct{}                `json:"running"`
		Waiting    *struct{ Reason string } `json:"waiting"`
		Terminated *struct {
			ExitCode int    `json:"exitCode"`
			Reason   string `json:"reason"`
		} `json:"terminated"`
	} `json:"state"`
	LastState struct {
		Terminated *struct {
			ExitCode int    `json:"exitCode"`
			Reason   string `json:"reason"`
		} `json:"terminated"`
	} `json:"lastState"`
}

func (p pod) name() string { return p.Metadata.Name }

// app is the pod's app.kubernetes.io/name: a service, or redis.
func (p pod) app() string { return p.Metadata.Labels["app.kubernetes.io/name"] }

func (p pod) terminating() bool { return p.Metadata.DeletionTimestamp != nil }

// readySince is when the pod became Ready, and whether it is.
func (p pod) readySince() (time.Time, bool) {
	for _, c := range p.Status.Conditions {
		if c.Type == "Ready" {
			return c.LastTransitionTime, c.Status == "True"
		}
	}
	return time.Time{}, false
}

func (p pod) ready() bool {
	_, ok := p.readySince()
	return ok
}

// containerNames are the names of the pod's containers, without its init
// containers, in the order of its spec.
func (p pod) containerNames() []string {
	var names []string
	for _, c := range p.Spec.Containers {
		names = append(names, c.Name)
	}
	return names
}

// allContainers are its init containers, then its containers.
func (p pod) allContainers() []container {
	return append(slices.Clone(p.Spec.InitContainers), p.Spec.Containers...)
}

func (p pod) statuses() []containerStatus {
	return append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...)
}

// namedPort finds a port by name in any container of the pod, and the
// container that declares it.
func (p pod) namedPort(name string) (int, string, bool) {
	for _, c := range p.allContainers() {
		for _, port := range c.Ports {
			if port.Name == name {
				return port.ContainerPort, c.Name, true
			}
		}
	}
	return 0, "", false
}

// isService tells the saga's services from Redis.
func isService(app string) bool {
	for _, s := range devcluster.Services {
		if s.Name == app {
			return true
		}
	}
	return false
}

// probeLabel marks the pods the tests start themselves: they are no part
// of the saga.
const probeLabel = "order-saga.test/probe"

// kubectl runs kubectl on the cluster with stdin (when not nil) and
// returns its standard output and standard error.
func (s *saga) kubectl(ctx context.Context, stdin []byte, args ...string) (stdout, stderr []byte, err error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, s.c.KubectlPath(), append([]string{"--kubeconfig", s.c.Kubeconfig}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return out.Bytes(), errOut.Bytes(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(errOut.Bytes()))
	}
	return out.Bytes(), errOut.Bytes(), nil
}

// must runs kubectl and ends the test if it fails.
func (s *saga) must(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	out, _, err := s.kubectl(ctx, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// pods lists the pods of a namespace that match selector ("" for all).
func (s *saga) pods(ctx context.Context, ns, selector string) ([]pod, error) {
	args := []string{"get", "pods", "-n", ns, "-o", "json"}
	if selector != "" {
		args = append(args, "-l", selector)
	}
	out, _, err := s.kubectl(ctx, nil, args...)
	if err != nil {
		return nil, err
	}
	var list struct {
		Items []pod `json:"items"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, fmt.Errorf("decode pods: %w", err)
	}
	slices.SortFunc(list.Items, func(a, b pod) int { return strings.Compare(a.name(), b.name()) })
	return list.Items, nil
}

// sagaPods are the pods of the saga's namespace, without the tests' own.
func (s *saga) sagaPods(t *testing.T) []pod {
	t.Helper()
	pods, err := s.pods(t.Context(), devcluster.Namespace, "!"+probeLabel)
	if err != nil {
		t.Fatal(err)
	}
	return pods
}

// servicePods are the pods of one service that are not going away.
func (s *saga) servicePods(ctx context.Context, app string) ([]pod, error) {
	pods, err := s.pods(ctx, devcluster.Namespace, "app.kubernetes.io/name="+app)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(pods, pod.terminating), nil
}

// replicas is the number of pods each Deployment of the manifests asks for.
func (s *saga) replicas(t *testing.T, app string) int {
	t.Helper()
	var d struct {
		Spec struct {
			Replicas int `json:"replicas"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(s.must(t, "get", "deployment", app, "-n", devcluster.Namespace, "-o", "json"), &d); err != nil {
		t.Fatal(err)
	}
	return d.Spec.Replicas
}

// serving waits until the service has exactly n pods, every one Ready and
// none terminating, and returns them.
func (s *saga) serving(ctx context.Context, app string, n int, limit time.Duration) ([]pod, error) {
	deadline := time.Now().Add(limit)
	for {
		pods, err := s.pods(ctx, devcluster.Namespace, "app.kubernetes.io/name="+app)
		if err == nil {
			ready := 0
			for _, p := range pods {
				if p.ready() && !p.terminating() {
					ready++
				}
			}
			if ready == n && len(pods) == n {
				return pods, nil
			}
			err = fmt.Errorf("%d pods, %d of them Ready and not terminating, want %d", len(pods), ready, n)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s: waited %s: %w", app, limit, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// uid is a short unique suffix for the tests' data.
func uid() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
