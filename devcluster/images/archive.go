package images

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Namespace is the containerd namespace of the Kubernetes CRI plugin, the
// one kubelet finds its images in.
const Namespace = "k8s.io"

// Write writes img as a docker-archive tarball at path whose manifest names
// it ref (as given: "order-svc:0123456789ab" is imported as
// docker.io/library/order-svc:0123456789ab, the name kubelet looks up for
// the pod image "order-svc:0123456789ab"). The file appears whole or not at
// all.
func Write(path, ref string, img v1.Image) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("image reference %q: %w", ref, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := tarball.WriteToFile(tmp.Name(), tag, img); err != nil {
		return fmt.Errorf("writing %s: %w", ref, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Import loads the tarball into the k8s.io namespace of the containerd at
// address with its ctr command (ctrPath), and unpacks it into the default
// snapshotter, overlayfs, where kubelet creates containers from it: an
// image that is only in the content store cannot be run.
func Import(ctx context.Context, ctrPath, address, tarball string) error {
	cmd := exec.CommandContext(ctx, ctrPath, "--address", address, "-n", Namespace,
		"images", "import", "--no-unpack=false", tarball)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ctr images import %s: %w\n%s", tarball, err, out)
	}
	return nil
}
