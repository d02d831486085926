package devcluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Namespace is the saga's namespace in the manifests.
const Namespace = "order-saga"

// Overlay is the overlay that the cluster runs: the one users apply to
// kind. OverlayPostgres is the same with the state stores on PostgreSQL
// (k8s/components/postgres).
const (
	Overlay         = "k8s/overlays/kind"
	OverlayPostgres = "k8s/overlays/kind-postgres"
)

// The claims of the StatefulSets, each for the user and group its pod runs
// as: a hostPath volume gets no fsGroup.
var (
	redisClaim    = Claim{Namespace: Namespace, Name: "data-redis-0", Size: "1Gi", UID: 999, GID: 1000}
	postgresClaim = Claim{Namespace: Namespace, Name: "data-postgres-0", Size: "1Gi", UID: 999, GID: 999}
)

// overlayClaims are the overlays the cluster can run, with the claims of
// their StatefulSets.
var overlayClaims = map[string][]Claim{
	Overlay:         {redisClaim},
	OverlayPostgres: {redisClaim, postgresClaim},
}

// Deploy applies an overlay (Overlay, the kind overlay, or
// OverlayPostgres) as it is, with only the image references swapped (by a
// kustomize component) for the images built here, and waits until every
// workload is rolled out. It returns the time from the apply to the last
// pod Ready.
func (c *Cluster) Deploy(ctx context.Context, overlay string) (time.Duration, error) {
	start := time.Now()
	if err := c.Apply(ctx, overlay); err != nil {
		return 0, err
	}
	if err := c.WaitRolledOut(ctx, 3*time.Minute); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// Apply applies an overlay of overlayClaims (relative to the repository)
// as it is, with only the image references swapped for the images built
// here, once the development secrets are written and its claims have their
// volumes. It waits for nothing: on a running saga, what changed rolls out
// afterwards.
func (c *Cluster) Apply(ctx context.Context, overlayDir string) error {
	claims, ok := overlayClaims[overlayDir]
	if !ok {
		return fmt.Errorf("overlay %s: the cluster runs %s or %s", overlayDir, Overlay, OverlayPostgres)
	}
	secrets := exec.CommandContext(ctx, filepath.Join(c.repo, "scripts", "k8s-secrets.sh"))
	if out, err := secrets.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/k8s-secrets.sh: %w: %s", err, out)
	}
	dir := c.path("deploy")
	if err := os.MkdirAll(filepath.Join(dir, "images"), 0o755); err != nil {
		return err
	}
	// kustomize takes no absolute path as a resource, and a relative one
	// may leave the kustomization's directory.
	overlay, err := filepath.Rel(dir, filepath.Join(c.repo, overlayDir))
	if err != nil {
		return err
	}
	kustomization := fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - %s
components:
  - images
`, overlay)
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "images", "kustomization.yaml"), []byte(c.imagesComponent()), 0o644); err != nil {
		return err
	}
	if err := c.Volumes(ctx, claims); err != nil {
		return err
	}
	_, err = c.Kubectl(ctx, "apply", "-k", dir)
	return err
}

// imagesComponent swaps the image of each service, of Redis and of
// PostgreSQL for the one built here (an overlay without PostgreSQL has no
// image to swap, which kustomize allows).
func (c *Cluster) imagesComponent() string {
	var b strings.Builder
	b.WriteString("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nimages:\n")
	entry := func(name, ref string) {
		newName, tag := ref, ""
		if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
			newName, tag = ref[:i], ref[i+1:]
		}
		fmt.Fprintf(&b, "  - name: %s\n    newName: %s\n    newTag: %q\n", name, newName, tag)
	}
	for _, s := range Services {
		entry(s.Name, c.Images[s.Name])
	}
	entry("redis", c.Images[RedisImage])
	entry("postgres", c.Images[PostgresImage])
	return b.String()
}

// WaitRolledOut waits until every Deployment and StatefulSet of the saga's
// namespace has all its pods updated and Ready.
func (c *Cluster) WaitRolledOut(ctx context.Context, timeout time.Duration) error {
	out, err := c.Kubectl(ctx, "get", "deployments,statefulsets", "-n", Namespace, "-o", "name")
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for _, w := range strings.Fields(string(out)) {
		left := time.Until(deadline)
		if left <= 0 {
			left = time.Second
		}
		if _, err := c.Kubectl(ctx, "rollout", "status", "-n", Namespace, w, fmt.Sprintf("--timeout=%ds", int(left.Seconds())+1)); err != nil {
			return err
		}
	}
	return nil
}
