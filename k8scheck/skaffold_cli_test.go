package k8scheck

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// These tests run the real skaffold on the repository, offline: no
// network, no Docker, no cluster (KUBECONFIG is an empty file).

// skaffoldModule and skaffoldVersion are the skaffold that reads
// SkaffoldAPIVersion as its newest schema.
const (
	skaffoldModule  = "github.com/GoogleContainerTools/skaffold/v2"
	skaffoldVersion = "v2.16.1"
)

// skaffold runs the binary that make k8s-check passes in SKAFFOLD.
type skaffold struct {
	bin, root string
	env       []string
}

func newSkaffold(t *testing.T) *skaffold {
	t.Helper()
	bin := os.Getenv("SKAFFOLD")
	if bin == "" {
		t.Fatalf("SKAFFOLD is not set: run make k8s-check, which sets it to the skaffold %s of scripts/ensure-tool.sh skaffold, or set it to such a binary", skaffoldVersion)
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatalf("SKAFFOLD=%s: %v", bin, err)
	}
	mods := append([]*debug.Module{&info.Main}, info.Deps...)
	if !slices.ContainsFunc(mods, func(m *debug.Module) bool { return m.Path == skaffoldModule && m.Version == skaffoldVersion }) {
		t.Fatalf("SKAFFOLD=%s is not built from %s %s", bin, skaffoldModule, skaffoldVersion)
	}
	// skaffold renders kustomize with a kustomize on PATH, else with
	// kubectl kustomize.
	kubectl := os.Getenv("KUBECTL")
	if kubectl == "" {
		t.Fatal("KUBECTL is not set: skaffold renders the overlays with kubectl kustomize; make k8s-check sets it to the kubectl of scripts/ensure-tool.sh kubectl")
	}
	if found, err := exec.LookPath("kustomize"); err == nil {
		t.Logf("skaffold renders with %s, found on PATH, not with kubectl kustomize", found)
	}
	root, _, _ := fixtures(t)
	dir := t.TempDir()
	// An empty kubeconfig (no cluster), the project's kubectl, and a
	// global config of skaffold's own that sends nothing and asks nothing.
	files := map[string]string{
		"kubeconfig":            "",
		"home/.skaffold/config": "global:\n  collect-metrics: false\n  update-check: false\n  survey:\n    disable-prompt: true\nkubeContexts: []\n",
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(kubectl, filepath.Join(dir, "bin", "kubectl")); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); {
		case name == "HOME", name == "PATH", name == "KUBECONFIG", strings.HasPrefix(name, "SKAFFOLD_"), strings.HasPrefix(name, "DOCKER_"):
		default:
			env = append(env, kv)
		}
	}
	env = append(env,
		"HOME="+filepath.Join(dir, "home"),
		"PATH="+filepath.Join(dir, "bin")+string(filepath.ListSeparator)+os.Getenv("PATH"),
		"KUBECONFIG="+filepath.Join(dir, "kubeconfig"),
		"SKAFFOLD_UPDATE_CHECK=false",
		"SKAFFOLD_INTERACTIVE=false",
	)
	return &skaffold{bin: bin, root: root, env: env}
}

// run runs skaffold with args in the repository root, stdin as its input,
// and returns its standard output.
func (s *skaffold) run(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Dir = s.root
	cmd.Env = s.env
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("skaffold %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// skaffoldProfiles is every profile of skaffold.yaml, and "" for none.
func skaffoldProfiles(t *testing.T, root string) (*Skaffold, []string) {
	t.Helper()
	s, err := LoadSkaffold(filepath.Join(root, "skaffold.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{""}
	for _, p := range s.Profiles {
		names = append(names, p.Name)
	}
	return s, names
}

func profileArgs(name string) []string {
	if name == "" {
		return nil
	}
	return []string{"--profile", name}
}

func profileTest(name string) string {
	if name == "" {
		return "no profile"
	}
	return "profile " + name
}

// The configuration that skaffold reads is the one k8scheck checks:
// skaffold diagnose prints, for each profile, the artifacts with their
// builders, the tag policy and the overlays that ProfileBuild and the
// profile's manifests say.
func TestSkaffoldReadsEveryProfileAsChecked(t *testing.T) {
	sk := newSkaffold(t)
	s, names := skaffoldProfiles(t, sk.root)
	for _, name := range names {
		t.Run(profileTest(name), func(t *testing.T) {
			out := sk.run(t, nil, append([]string{"diagnose", "--yaml-only"}, profileArgs(name)...)...)
			var got struct {
				APIVersion string `json:"apiVersion"`
				Build      struct {
					TagPolicy map[string]any `json:"tagPolicy"`
					Local     struct {
						Push *bool `json:"push"`
					} `json:"local"`
					Artifacts []struct {
						Image  string `json:"image"`
						Docker *struct {
							Dockerfile string            `json:"dockerfile"`
							BuildArgs  map[string]string `json:"buildArgs"`
						} `json:"docker"`
						Custom *struct {
							BuildCommand string `json:"buildCommand"`
							Dependencies struct {
								Paths []string `json:"paths"`
							} `json:"dependencies"`
						} `json:"custom"`
					} `json:"artifacts"`
				} `json:"build"`
				Manifests struct {
					Kustomize struct {
						Paths []string `json:"paths"`
					} `json:"kustomize"`
				} `json:"manifests"`
			}
			if err := yaml.Unmarshal(out, &got); err != nil {
				t.Fatalf("skaffold diagnose: %v\n%s", err, out)
			}
			var prof *SkaffoldProfile
			paths := s.Manifests.Kustomize.Paths
			if i := slices.IndexFunc(s.Profiles, func(p SkaffoldProfile) bool { return p.Name == name }); i >= 0 {
				prof = &s.Profiles[i]
				paths = prof.Manifests.Kustomize.Paths
			}
			var absPaths []string // skaffold prints them from the root
			for _, p := range paths {
				absPaths = append(absPaths, filepath.Join(sk.root, p))
			}
			want := s.ProfileBuild(prof)
			if got.APIVersion != SkaffoldAPIVersion {
				t.Errorf("apiVersion %q, want %q", got.APIVersion, SkaffoldAPIVersion)
			}
			if got.Build.Local.Push == nil || *got.Build.Local.Push {
				t.Errorf("skaffold would push the images (local.push %v)", got.Build.Local.Push)
			}
			if want.TagPolicy != nil && want.TagPolicy.InputDigest != nil {
				if _, ok := got.Build.TagPolicy["inputDigest"]; !ok || len(got.Build.TagPolicy) != 1 {
					t.Errorf("tag policy %v, want inputDigest", got.Build.TagPolicy)
				}
			}
			if len(got.Build.Artifacts) != len(want.Artifacts) {
				t.Fatalf("skaffold builds %d artifacts, k8scheck checks %d", len(got.Build.Artifacts), len(want.Artifacts))
			}
			for i, a := range got.Build.Artifacts {
				w := want.Artifacts[i]
				switch {
				case a.Image != w.Image:
					t.Errorf("artifact %d is %s, k8scheck checks %s", i, a.Image, w.Image)
				case (a.Docker != nil) != (w.Docker != nil) || (a.Custom != nil) != (w.Custom != nil):
					t.Errorf("artifact %s: skaffold builds it with another builder than k8scheck checks", a.Image)
				case a.Docker != nil && (a.Docker.Dockerfile != w.Docker.Dockerfile || !reflect.DeepEqual(a.Docker.BuildArgs, w.Docker.BuildArgs)):
					t.Errorf("artifact %s: skaffold builds %s with %v, k8scheck checks %s with %v", a.Image, a.Docker.Dockerfile, a.Docker.BuildArgs, w.Docker.Dockerfile, w.Docker.BuildArgs)
				case a.Custom != nil && (a.Custom.BuildCommand != w.Custom.BuildCommand || !slices.Equal(a.Custom.Dependencies.Paths, w.Custom.Dependencies.Paths)):
					t.Errorf("artifact %s: skaffold runs %q on %v, k8scheck checks %q on %v", a.Image, a.Custom.BuildCommand, a.Custom.Dependencies.Paths, w.Custom.BuildCommand, w.Custom.Dependencies.Paths)
				}
			}
			if !slices.Equal(got.Manifests.Kustomize.Paths, absPaths) {
				t.Errorf("skaffold renders %v, k8scheck checks %v", got.Manifests.Kustomize.Paths, absPaths)
			}
		})
	}
}

// skaffold render, offline, gives for each profile the objects of its
// overlay (as k8scheck renders them), with the three Deployments running
// the images that the artifacts name; with --digest-source=tag, as skaffold
// dev deploys them, each of those images carries the tag that the profile's
// tag policy computes (offline too), and nothing else changes.
func TestSkaffoldRendersEveryProfileOffline(t *testing.T) {
	sk := newSkaffold(t)
	s, names := skaffoldProfiles(t, sk.root)
	digest := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, name := range names {
		t.Run(profileTest(name), func(t *testing.T) {
			paths := s.Manifests.Kustomize.Paths
			var prof *SkaffoldProfile
			if i := slices.IndexFunc(s.Profiles, func(p SkaffoldProfile) bool { return p.Name == name }); i >= 0 {
				prof = &s.Profiles[i]
				paths = prof.Manifests.Kustomize.Paths
			}
			build := s.ProfileBuild(prof)
			var want []*unstructured.Unstructured
			for _, p := range paths {
				objs, err := Render(staged, p)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, objs...)
			}
			render := func(digestSource string) *Manifest {
				t.Helper()
				// Its standard output also has messages: the manifests go to a file.
				out := filepath.Join(t.TempDir(), "manifests.yaml")
				args := append([]string{"render", "--digest-source=" + digestSource, "--offline=true", "--output", out}, profileArgs(name)...)
				sk.run(t, nil, args...)
				data, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				objs, err := decodeObjects(data)
				if err != nil {
					t.Fatalf("skaffold %s: %v", strings.Join(args, " "), err)
				}
				if g, w := objectIDs(objs), objectIDs(want); !slices.Equal(g, w) {
					t.Errorf("skaffold %s renders\n  %v\nk8scheck checks\n  %v", strings.Join(args, " "), g, w)
				}
				m, err := NewManifest(objs)
				if err != nil {
					t.Fatal(err)
				}
				return m
			}

			asIs, tagged := render("none"), render("tag")
			for _, a := range build.Artifacts {
				d := deployment(asIs, a.Image)
				if d == nil {
					t.Errorf("no Deployment order-saga/%s in what skaffold renders", a.Image)
					continue
				}
				if got := containerImages(d.Spec.Template.Spec.Containers); !slices.Equal(got, []string{a.Image}) {
					t.Errorf("Deployment %s runs %v, want [%s], the artifact's image", a.Image, got, a.Image)
				}
			}
			tags := map[string]bool{}
			for _, d := range asIs.Deployments {
				td := deployment(tagged, d.Name)
				if td == nil {
					continue // reported above
				}
				before := append(containerImages(d.Spec.Template.Spec.InitContainers), containerImages(d.Spec.Template.Spec.Containers)...)
				after := append(containerImages(td.Spec.Template.Spec.InitContainers), containerImages(td.Spec.Template.Spec.Containers)...)
				for i, image := range before {
					if !slices.ContainsFunc(build.Artifacts, func(a SkaffoldArtifact) bool { return a.Image == image }) {
						if after[i] != image {
							t.Errorf("Deployment %s: %s, which no artifact builds, became %s", d.Name, image, after[i])
						}
						continue
					}
					tag, ok := strings.CutPrefix(after[i], image+":")
					switch {
					case !ok || tag == "":
						t.Errorf("Deployment %s: skaffold deploys %s as %q, want %s:<tag>", d.Name, image, after[i], image)
					case build.TagPolicy != nil && build.TagPolicy.InputDigest != nil && !digest.MatchString(tag):
						t.Errorf("Deployment %s: tag %q of %s is not a digest of its inputs", d.Name, tag, image)
					}
					tags[after[i]] = true
				}
			}
			if len(tags) != len(build.Artifacts) {
				t.Errorf("skaffold tags the %d artifacts as %v, want one tag each", len(build.Artifacts), slices.Sorted(maps.Keys(tags)))
			}
		})
	}
}

// skaffold fix has nothing to migrate: the file is at the newest schema,
// and what fix makes of it from the schema before is the file itself.
func TestSkaffoldFixLeavesTheFileAsItIs(t *testing.T) {
	sk := newSkaffold(t)
	data, err := os.ReadFile(filepath.Join(sk.root, "skaffold.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if out := sk.run(t, nil, "fix"); strings.TrimSpace(string(out)) != "config is already version "+SkaffoldAPIVersion {
		t.Errorf("skaffold fix would change skaffold.yaml:\n%s", out)
	}
	previous := regexp.MustCompile(`(?m)^apiVersion: ` + regexp.QuoteMeta(SkaffoldAPIVersion) + `$`)
	if !previous.Match(data) {
		t.Fatalf("skaffold.yaml has no line apiVersion: %s", SkaffoldAPIVersion)
	}
	old := previous.ReplaceAll(data, []byte("apiVersion: skaffold/v4beta12"))
	fixed := sk.run(t, old, "fix", "--filename", "-")
	var got, want any
	if err := yaml.Unmarshal(fixed, &got); err != nil {
		t.Fatalf("skaffold fix: %v\n%s", err, fixed)
	}
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("skaffold fix from skaffold/v4beta12 gives another config:\n%s", fixed)
	}
}

// decodeObjects reads a stream of YAML documents.
func decodeObjects(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		obj := &unstructured.Unstructured{}
		if err := dec.Decode(&obj.Object); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, err
		}
		if len(obj.Object) > 0 {
			objs = append(objs, obj)
		}
	}
}

// objectIDs are the sorted kind/namespace/name of objs.
func objectIDs(objs []*unstructured.Unstructured) []string {
	var ids []string
	for _, o := range objs {
		ids = append(ids, fmt.Sprintf("%s/%s/%s", o.GetKind(), o.GetNamespace(), o.GetName()))
	}
	slices.Sort(ids)
	return ids
}

// deployment is the Deployment order-saga/name of m, or nil.
func deployment(m *Manifest, name string) *appsv1.Deployment {
	i := slices.IndexFunc(m.Deployments, func(d *appsv1.Deployment) bool { return d.Namespace == "order-saga" && d.Name == name })
	if i < 0 {
		return nil
	}
	return m.Deployments[i]
}

func containerImages(cs []corev1.Container) []string {
	var images []string
	for _, c := range cs {
		images = append(images, c.Image)
	}
	return images
}
