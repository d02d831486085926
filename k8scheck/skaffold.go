package k8scheck

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/example/order-saga/contracts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Skaffold holds the fields of a skaffold/v4beta11 Config that this
// project uses. It is decoded strictly, so a field outside this subset (or
// a misspelt one) is refused and must be added here deliberately.
type Skaffold struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Build struct {
		Local struct {
			Push        *bool `json:"push"`
			UseBuildkit *bool `json:"useBuildkit,omitempty"`
		} `json:"local"`
		Artifacts []SkaffoldArtifact `json:"artifacts"`
	} `json:"build"`
	Manifests SkaffoldManifests `json:"manifests"`
	Deploy    struct {
		Kubectl *struct{} `json:"kubectl"`
	} `json:"deploy"`
	PortForward []SkaffoldPortForward `json:"portForward"`
	Profiles    []struct {
		Name      string            `json:"name"`
		Manifests SkaffoldManifests `json:"manifests"`
	} `json:"profiles"`
}

// SkaffoldArtifact is one image that skaffold builds.
type SkaffoldArtifact struct {
	Image   string `json:"image"`
	Context string `json:"context"`
	Docker  struct {
		Dockerfile string `json:"dockerfile"`
		// BuildArgs are passed as --build-arg NAME=value.
		BuildArgs map[string]string `json:"buildArgs"`
	} `json:"docker"`
}

// ParseDockerfile reads the artifact's Dockerfile as skaffold builds it,
// with the artifact's build arguments.
func (a SkaffoldArtifact) ParseDockerfile(root string) (*Dockerfile, error) {
	return ParseDockerfile(filepath.Join(root, a.Context, a.Docker.Dockerfile), a.Docker.BuildArgs)
}

// SkaffoldManifests names the kustomize directories skaffold renders, and
// the commands it runs on the host before it renders them.
type SkaffoldManifests struct {
	Kustomize struct {
		Paths []string `json:"paths"`
	} `json:"kustomize"`
	Hooks *struct {
		Before []struct {
			Host *SkaffoldHostHook `json:"host"`
		} `json:"before"`
	} `json:"hooks,omitempty"`
}

// SkaffoldHostHook is a command that skaffold runs on the host.
type SkaffoldHostHook struct {
	Command []string `json:"command"`
	// Dir is relative to skaffold.yaml; empty is the caller's directory.
	Dir string   `json:"dir,omitempty"`
	OS  []string `json:"os,omitempty"`
}

// SkaffoldPortForward is one port that skaffold forwards to localhost.
type SkaffoldPortForward struct {
	ResourceType string `json:"resourceType"`
	ResourceName string `json:"resourceName"`
	Namespace    string `json:"namespace"`
	Port         int    `json:"port"`
	LocalPort    int    `json:"localPort"`
}

// LoadSkaffold reads skaffold.yaml strictly.
func LoadSkaffold(path string) (*Skaffold, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	jsonData, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Case-sensitive, unlike encoding/json: skaffold would ignore
	// "localport" where it wants "localPort".
	s := &Skaffold{}
	strictErrs, err := sigsjson.UnmarshalStrict(jsonData, s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(strictErrs) > 0 {
		return nil, fmt.Errorf("%s: %w", path, errors.Join(strictErrs...))
	}
	return s, nil
}

// CheckSkaffold checks that skaffold.yaml builds every service image the
// manifests run, each from a Dockerfile that exists and, read with the
// artifact's build arguments, copies only what exists, with the service's
// name and default port as build arguments SERVICE and PORT; that it runs
// SecretsScript before every render; that it renders overlays that exist;
// and that it forwards a port of a Service that the manifests define. The
// overlays are rendered from staged, a copy of root made by StageManifests, which
// is what the render hook leaves on a clean clone.
func CheckSkaffold(root, staged string, s *Skaffold) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.APIVersion != "skaffold/v4beta11" || s.Kind != "Config" {
		fail("skaffold.yaml is %s %s, want skaffold/v4beta11 Config", s.APIVersion, s.Kind)
	}
	if s.Build.Local.Push == nil || *s.Build.Local.Push {
		fail("build.local.push must be false: images go to the local cluster, not a registry")
	}
	if s.Deploy.Kubectl == nil {
		fail("deploy.kubectl is not set")
	}
	var images []string
	for _, a := range s.Build.Artifacts {
		images = append(images, a.Image)
		if a.Context != "." {
			fail("artifact %s: context %q, want the repository root", a.Image, a.Context)
		}
		if d, err := a.ParseDockerfile(root); err != nil {
			fail("artifact %s: dockerfile %q: %v", a.Image, a.Docker.Dockerfile, err)
		} else {
			for _, src := range d.ContextSources() {
				if found, _ := filepath.Glob(filepath.Join(root, a.Context, src)); len(found) == 0 {
					fail("artifact %s: %s copies %s, which does not exist", a.Image, a.Docker.Dockerfile, src)
				}
			}
		}
		if got := a.Docker.BuildArgs["SERVICE"]; got != a.Image {
			fail("artifact %s: build arg SERVICE %q, want the image's service %q", a.Image, got, a.Image)
		}
		if got, want := a.Docker.BuildArgs["PORT"], strconv.Itoa(contracts.DefaultPort(a.Image)); got != want {
			fail("artifact %s: build arg PORT %q, want %s (contracts.DefaultPort)", a.Image, got, want)
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(images)), slices.Sorted(slices.Values(Services))) {
		fail("artifacts build %v, want one image per service %v", images, Services)
	}

	errs = append(errs, renderHookProblems(root, s)...)
	paths := map[string]bool{}
	for _, p := range s.Manifests.Kustomize.Paths {
		paths[p] = true
	}
	for _, prof := range s.Profiles {
		if len(prof.Manifests.Kustomize.Paths) == 0 {
			fail("profile %s renders nothing", prof.Name)
		}
		if prof.Manifests.Hooks != nil {
			fail("profile %s sets manifests.hooks, replacing the one that runs %s", prof.Name, SecretsScript)
		}
		for _, p := range prof.Manifests.Kustomize.Paths {
			paths[p] = true
		}
	}
	for p := range paths {
		objs, err := Render(staged, p)
		if err != nil {
			fail("kustomize path %s: %v", p, err)
			continue
		}
		errs = append(errs, skaffoldTargetProblems(s, p, images, objs)...)
	}
	return errors.Join(errs...)
}

// renderHookProblems: the overlays read the files that SecretsScript
// writes, so skaffold runs it, and only it, on the host before it renders,
// on the systems the script runs on.
func renderHookProblems(root string, s *Skaffold) []error {
	var before []*SkaffoldHostHook
	if s.Manifests.Hooks != nil {
		for _, h := range s.Manifests.Hooks.Before {
			before = append(before, h.Host)
		}
	}
	if len(before) != 1 || before[0] == nil || !slices.Equal(before[0].Command, []string{SecretsScript}) || before[0].Dir != "." {
		return []error{fmt.Errorf("manifests.hooks.before must run [%s] on the host in dir \".\" (the repository root), and nothing else: the overlays read the secrets it writes", SecretsScript)}
	}
	var errs []error
	if systems := before[0].OS; len(systems) > 0 && !(slices.Contains(systems, "linux") && slices.Contains(systems, "darwin")) {
		errs = append(errs, fmt.Errorf("the render hook runs only on %v; the script runs on linux and darwin", systems))
	}
	if info, err := os.Stat(filepath.Join(root, SecretsScript)); err != nil || info.Mode().Perm()&0o111 == 0 {
		errs = append(errs, fmt.Errorf("the render hook runs %s, which is not an executable file", SecretsScript))
	}
	return errs
}

// skaffoldTargetProblems: in what path renders, every service image is one
// that skaffold builds (so it gets replaced by the built tag) and every
// port-forward lands on an existing Service port.
func skaffoldTargetProblems(s *Skaffold, path string, images []string, objs []*unstructured.Unstructured) []error {
	var errs []error
	m, err := NewManifest(objs)
	if err != nil {
		return []error{fmt.Errorf("kustomize path %s: %w", path, err)}
	}
	for _, d := range m.Deployments {
		for _, c := range d.Spec.Template.Spec.Containers {
			if !slices.Contains(images, c.Image) {
				errs = append(errs, fmt.Errorf("kustomize path %s: Deployment/%s runs image %q, which no artifact builds", path, d.Name, c.Image))
			}
		}
	}
	for _, image := range images {
		if !m.Images()[image] {
			errs = append(errs, fmt.Errorf("kustomize path %s: no container runs artifact %s", path, image))
		}
	}
	for _, pf := range s.PortForward {
		svc := m.Services[pf.ResourceName]
		ok := pf.ResourceType == "service" && svc != nil && svc.Namespace == pf.Namespace &&
			slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return int(p.Port) == pf.Port })
		if !ok {
			errs = append(errs, fmt.Errorf("kustomize path %s: port-forward %s/%s %s:%d matches no Service port", path, pf.ResourceType, pf.ResourceName, pf.Namespace, pf.Port))
		}
		if pf.LocalPort == 0 {
			errs = append(errs, fmt.Errorf("port-forward %s: no localPort", pf.ResourceName))
		}
	}
	return errs
}
