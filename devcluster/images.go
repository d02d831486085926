package devcluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devcluster/images"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// PauseImage is the sandbox image of every pod, built here: the usual one
// would have to be pulled.
const PauseImage = "localhost/order-saga/pause:3.10"

// RedisImage and PostgresImage are the names of the images built from
// Debian's redis-server and postgresql-15; their tags come from their
// content.
const (
	RedisImage    = "localhost/order-saga/redis"
	PostgresImage = "localhost/order-saga/postgres"
)

// Services are the saga's services with their ports.
var Services = []struct {
	Name string
	Port int
}{
	{contracts.AppOrder, contracts.PortOrder},
	{contracts.AppStock, contracts.PortStock},
	{contracts.AppPayment, contracts.PortPayment},
}

// loadImages builds every image the cluster runs and imports it into
// containerd: the sandbox, the Dapr control plane and sidecar, Redis,
// PostgreSQL and the three services. Images records the reference of each
// by name.
func (c *Cluster) loadImages(ctx context.Context) error {
	c.Images = map[string]string{}
	dir := c.path("images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	since := time.Now()
	load := func(name, ref string, img v1.Image, err error) error {
		defer func() { since = time.Now() }()
		built := time.Since(since)
		if err != nil {
			return fmt.Errorf("image %s: %w", name, err)
		}
		if ref == "" {
			if ref, err = images.Ref(name, img); err != nil {
				return err
			}
		}
		tar := filepath.Join(dir, filepath.Base(name)+".tar")
		if err := images.Write(tar, ref, img); err != nil {
			return err
		}
		if err := images.Import(ctx, "ctr", Socket(c.Dir), tar); err != nil {
			return err
		}
		c.Images[name] = ref
		c.detail("image %s: built in %.1fs, written and imported in %.1fs", ref, built.Seconds(), time.Since(since).Seconds()-built.Seconds())
		return os.Remove(tar)
	}
	img, err := images.Pause(ctx, c.repo)
	if err := load("pause", PauseImage, img, err); err != nil {
		return err
	}
	for name, tool := range daprImages {
		ref := daprRegistry + "/" + name + ":" + DaprVersion
		tar, err := cachedBinaryImage(c.tools[tool], name, ref)
		if err != nil {
			return fmt.Errorf("image %s: %w", ref, err)
		}
		if err := images.Import(ctx, "ctr", Socket(c.Dir), tar); err != nil {
			return err
		}
		c.Images[name] = ref
		c.detail("image %s: imported in %.1fs", ref, time.Since(since).Seconds())
		since = time.Now()
	}
	img, err = images.Redis()
	if err := load(RedisImage, "", img, err); err != nil {
		return err
	}
	img, err = images.Postgres()
	if err := load(PostgresImage, "", img, err); err != nil {
		return err
	}
	for _, s := range Services {
		img, err := images.Service(ctx, c.repo, s.Name, s.Port)
		if err := load(s.Name, "", img, err); err != nil {
			return err
		}
	}
	return nil
}

// cachedBinaryImage is the tarball of the image of one static binary (the
// Dapr images: over 100 MB each, a few seconds to compress), kept in the
// build cache beside the binaries and keyed by the binary's content.
func cachedBinaryImage(bin, name, ref string) (string, error) {
	sum, err := fileSum(bin)
	if err != nil {
		return "", err
	}
	dir, err := imageCacheDir()
	if err != nil {
		return "", err
	}
	tar := filepath.Join(dir, fmt.Sprintf("%s-%s.tar", name, sum[:16]))
	if _, err := os.Stat(tar); err == nil {
		return tar, nil
	}
	img, err := images.Binary(bin, name, images.NonRoot)
	if err != nil {
		return "", err
	}
	return tar, images.Write(tar, ref, img)
}

func imageCacheDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		base = filepath.Join(home, ".cache")
	}
	dir := filepath.Join(base, "order-saga", "images")
	return dir, os.MkdirAll(dir, 0o755)
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
