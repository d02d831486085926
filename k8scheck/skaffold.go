package k8scheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/example/order-saga/contracts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// SkaffoldAPIVersion is the schema of skaffold.yaml: the newest that
// skaffold v2.16.1 reads, so `skaffold fix` has nothing to migrate.
const SkaffoldAPIVersion = "skaffold/v4beta13"

// SkaffoldBuildScript is the custom builder of the profile that builds for
// the project's own cluster, which has no Docker: it builds one service's
// image (arguments SERVICE PORT) and imports it into the cluster's containerd.
const SkaffoldBuildScript = "scripts/skaffold-build-image.sh"

// Skaffold holds the fields of a skaffold/v4beta13 Config that this
// project uses. It is decoded strictly, so a field outside this subset (or
// a misspelt one) is refused and must be added here deliberately.
type Skaffold struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Build     SkaffoldBuild     `json:"build"`
	Manifests SkaffoldManifests `json:"manifests"`
	Deploy    struct {
		Kubectl *struct{} `json:"kubectl"`
	} `json:"deploy"`
	PortForward []SkaffoldPortForward `json:"portForward"`
	Profiles    []SkaffoldProfile     `json:"profiles"`
}

// SkaffoldBuild is how skaffold builds and tags the images.
type SkaffoldBuild struct {
	// TagPolicy nil is skaffold's default, the git commit.
	TagPolicy *SkaffoldTagPolicy `json:"tagPolicy,omitempty"`
	Local     *struct {
		Push        *bool `json:"push"`
		UseBuildkit *bool `json:"useBuildkit,omitempty"`
	} `json:"local,omitempty"`
	Artifacts []SkaffoldArtifact `json:"artifacts,omitempty"`
}

// SkaffoldTagPolicy: the one policy used here tags each image with a
// digest of its dependencies, computed offline from the files.
type SkaffoldTagPolicy struct {
	InputDigest *struct{} `json:"inputDigest"`
}

// SkaffoldProfile is a named variant of the pipeline (skaffold -p NAME).
type SkaffoldProfile struct {
	Name string `json:"name"`
	// Build, when set, overrides the top-level build field by field: see
	// ProfileBuild.
	Build     *SkaffoldBuild    `json:"build,omitempty"`
	Manifests SkaffoldManifests `json:"manifests"`
}

// ProfileBuild is the build that skaffold runs with profile p (nil: none).
// Skaffold overlays a profile on the config field by field: a list or a
// one-of (the tag policy, the local builder) that the profile sets replaces
// the top-level one, and one it leaves out is kept.
func (s *Skaffold) ProfileBuild(p *SkaffoldProfile) SkaffoldBuild {
	b := s.Build
	if p == nil || p.Build == nil {
		return b
	}
	if len(p.Build.Artifacts) > 0 {
		b.Artifacts = p.Build.Artifacts
	}
	if p.Build.TagPolicy != nil {
		b.TagPolicy = p.Build.TagPolicy
	}
	if p.Build.Local != nil {
		b.Local = p.Build.Local
	}
	return b
}

// SkaffoldArtifact is one image that skaffold builds, with Docker from a
// Dockerfile or with a custom command.
type SkaffoldArtifact struct {
	Image   string `json:"image"`
	Context string `json:"context"`
	Docker  *struct {
		Dockerfile string `json:"dockerfile"`
		// BuildArgs are passed as --build-arg NAME=value.
		BuildArgs map[string]string `json:"buildArgs"`
	} `json:"docker,omitempty"`
	Custom *SkaffoldCustom `json:"custom,omitempty"`
}

// SkaffoldCustom is a custom builder: skaffold runs BuildCommand with sh
// from the artifact's context, with IMAGE set to the name:tag to build,
// and rebuilds when a file under Dependencies.Paths changes.
type SkaffoldCustom struct {
	BuildCommand string `json:"buildCommand"`
	Dependencies struct {
		Paths []string `json:"paths"`
	} `json:"dependencies"`
}

// ParseDockerfile reads the artifact's Dockerfile as skaffold builds it,
// with the artifact's build arguments.
func (a SkaffoldArtifact) ParseDockerfile(root string) (*Dockerfile, error) {
	if a.Docker == nil {
		return nil, fmt.Errorf("artifact %s is not built with Docker", a.Image)
	}
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

// CheckSkaffold checks that skaffold.yaml, and each of its profiles, builds
// every service image the manifests run, without pushing it: with Docker
// from a Dockerfile that exists and, read with the artifact's build
// arguments, copies only what exists, with the service's name and default
// port as build arguments SERVICE and PORT; or with SkaffoldBuildScript,
// given the same two values, rebuilt when anything that Dockerfile copies
// changes, and tagged by content. It also checks that skaffold runs
// SecretsScript before every render, renders overlays that exist, and
// forwards a port of a Service that the manifests define. The overlays
// are rendered from staged, a copy of root made by StageManifests, which
// is what the render hook leaves on a clean clone.
func CheckSkaffold(root, staged string, s *Skaffold) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.APIVersion != SkaffoldAPIVersion || s.Kind != "Config" {
		fail("skaffold.yaml is %s %s, want %s Config", s.APIVersion, s.Kind, SkaffoldAPIVersion)
	}
	if s.Deploy.Kubectl == nil {
		fail("deploy.kubectl is not set")
	}
	images := map[string][]string{} // built with each profile; "" is none
	images[""], errs = buildProblems(root, s, "build", s.Build, errs)
	for i := range s.Profiles {
		prof := &s.Profiles[i]
		if prof.Build != nil {
			images[prof.Name], errs = buildProblems(root, s, "profile "+prof.Name+": build", s.ProfileBuild(prof), errs)
		} else {
			images[prof.Name] = images[""]
		}
	}

	errs = append(errs, renderHookProblems(root, s)...)
	// Each overlay is checked against the images of each profile that
	// renders it.
	type target struct{ path, profile string }
	var targets []target
	for _, p := range s.Manifests.Kustomize.Paths {
		targets = append(targets, target{p, ""})
	}
	for _, prof := range s.Profiles {
		if len(prof.Manifests.Kustomize.Paths) == 0 {
			fail("profile %s renders nothing", prof.Name)
		}
		if prof.Manifests.Hooks != nil {
			fail("profile %s sets manifests.hooks, replacing the one that runs %s", prof.Name, SecretsScript)
		}
		for _, p := range prof.Manifests.Kustomize.Paths {
			targets = append(targets, target{p, prof.Name})
		}
	}
	renders := map[string][]*unstructured.Unstructured{}
	for _, t := range targets {
		objs, done := renders[t.path]
		if !done {
			var err error
			if objs, err = Render(staged, t.path); err != nil {
				fail("kustomize path %s: %v", t.path, err)
			}
			renders[t.path] = objs
		}
		if objs != nil {
			errs = append(errs, skaffoldTargetProblems(s, t.path, images[t.profile], objs)...)
		}
	}
	return errors.Join(errs...)
}

// buildProblems checks one build (the top-level one, or what a profile
// makes of it) and returns the images it builds.
func buildProblems(root string, s *Skaffold, where string, b SkaffoldBuild, errs []error) ([]string, []error) {
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(where+": "+format, args...)) }
	if b.Local == nil || b.Local.Push == nil || *b.Local.Push {
		fail("local.push must be false: images go to the local cluster, not a registry")
	}
	var images []string
	custom := false
	for _, a := range b.Artifacts {
		images = append(images, a.Image)
		if a.Context != "." {
			fail("artifact %s: context %q, want the repository root", a.Image, a.Context)
		}
		switch {
		case (a.Docker == nil) == (a.Custom == nil):
			fail("artifact %s: set one builder, docker or custom", a.Image)
		case a.Docker != nil:
			for _, err := range dockerArtifactProblems(root, a) {
				fail("%v", err)
			}
		default:
			custom = true
			for _, err := range customArtifactProblems(root, s, a) {
				fail("%v", err)
			}
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(images)), slices.Sorted(slices.Values(Services))) {
		fail("artifacts build %v, want one image per service %v", images, Services)
	}
	// The pods run the images with IfNotPresent: a tag that does not
	// change with the content (a git commit with uncommitted changes)
	// would leave the old image running.
	if custom && (b.TagPolicy == nil || b.TagPolicy.InputDigest == nil) {
		fail("tagPolicy must be inputDigest: the custom builder imports into the cluster, which runs a tag it has without looking further")
	}
	return images, errs
}

// dockerArtifactProblems: the Dockerfile exists, copies only what exists
// and gets the service and its default port as SERVICE and PORT.
func dockerArtifactProblems(root string, a SkaffoldArtifact) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
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
	return errs
}

// customArtifactProblems: the command is SkaffoldBuildScript with the
// service and its default port, the script is executable, and every
// dependency path exists and together they hold the script and every file
// that the top-level Docker artifact of the same image copies, so that
// skaffold rebuilds (and retags) on any change that changes the image.
func customArtifactProblems(root string, s *Skaffold, a SkaffoldArtifact) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	port := strconv.Itoa(contracts.DefaultPort(a.Image))
	want := []string{SkaffoldBuildScript, a.Image, port}
	if got := strings.Fields(a.Custom.BuildCommand); !slices.Equal(got, want) {
		fail("artifact %s: buildCommand %q, want %q (the service and its default port, contracts.DefaultPort)", a.Image, a.Custom.BuildCommand, strings.Join(want, " "))
	}
	if err := executableProblem(root, SkaffoldBuildScript); err != nil {
		fail("artifact %s: buildCommand runs %v", a.Image, err)
	}

	watched := map[string]bool{}
	for _, p := range a.Custom.Dependencies.Paths {
		files, err := contextFiles(root, a.Context, p)
		if err != nil || len(files) == 0 {
			fail("artifact %s: dependency %s matches no file", a.Image, p)
		}
		for _, f := range files {
			watched[f] = true
		}
	}
	needed := []string{SkaffoldBuildScript}
	i := slices.IndexFunc(s.Build.Artifacts, func(d SkaffoldArtifact) bool { return d.Image == a.Image && d.Docker != nil })
	if i < 0 {
		fail("artifact %s: no top-level Docker artifact of the same image says what its image is built from", a.Image)
	} else if d, err := s.Build.Artifacts[i].ParseDockerfile(root); err == nil {
		needed = append(needed, d.ContextSources()...)
	}
	for _, src := range needed {
		files, _ := contextFiles(root, a.Context, src)
		for _, f := range files {
			if !watched[f] {
				fail("artifact %s: dependencies.paths do not hold %s, so a change there would not rebuild the image", a.Image, f)
				break
			}
		}
	}
	return errs
}

// contextFiles lists the files (relative to the build context) that a path
// or glob pattern names, walking the directories it matches, as skaffold
// does for dependencies.paths and Docker for COPY.
func contextFiles(root, context, pattern string) ([]string, error) {
	dir := filepath.Join(root, context)
	matches, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return nil, err
	}
	var files []string
	for _, m := range matches {
		err := filepath.WalkDir(m, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(dir, path)
			files = append(files, rel)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// executableProblem: rel (under root) is a file that can be run.
func executableProblem(root, rel string) error {
	if info, err := os.Stat(filepath.Join(root, rel)); err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s, which is not an executable file", rel)
	}
	return nil
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
	if err := executableProblem(root, SecretsScript); err != nil {
		errs = append(errs, fmt.Errorf("the render hook runs %w", err))
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
