// Command saga-image builds one image of the development cluster without
// Docker, writes it as a docker-archive tarball and can import it into the
// cluster's containerd. It prints the reference it wrote, with its tag.
//
//	saga-image [flags] service SERVICE PORT   the Dockerfile's image of a service
//	saga-image [flags] redis                  Redis from Debian's redis-server
//	saga-image [flags] postgres               PostgreSQL 15 from Debian's postgresql-15
//	saga-image [flags] pause                  the pod sandbox
//	saga-image [flags] binary PATH NAME       a static binary at /NAME (Dapr)
//
// Flags may come before or after the arguments:
//
//	-o OUT.tar       the tarball to write (a temporary one with -import)
//	-name REF        the image name, tagged with the content tag unless it
//	                 has a tag (skaffold's $IMAGE has one); the default is
//	                 SERVICE, localhost/order-saga/redis,
//	                 localhost/order-saga/postgres,
//	                 localhost/order-saga/pause:3.10 or localhost/dapr/NAME
//	-root DIR        the repository (default: the nearest directory above
//	                 the working directory that holds go.work)
//	-user UID:GID    the user of a binary image (default 65532:65532)
//	-import          import the tarball with ctr into the k8s.io namespace
//	-address SOCK    containerd's socket, for -import
//	-ctr PATH        the ctr command (default ctr)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/example/order-saga/devcluster/images"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "saga-image:", err)
		os.Exit(1)
	}
}

// options are the flags of one run.
type options struct {
	out, name, root, user, address, ctr string
	doImport                            bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, pos, err := parse(args, stderr)
	if err != nil {
		return err
	}
	img, defaultName, err := build(ctx, opts, pos)
	if err != nil {
		return err
	}
	if opts.name == "" {
		opts.name = defaultName
	}
	ref, err := images.Ref(opts.name, img)
	if err != nil {
		return err
	}
	out := opts.out
	if out == "" {
		dir, err := os.MkdirTemp("", "saga-image-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		out = filepath.Join(dir, "image.tar")
	}
	if err := images.Write(out, ref, img); err != nil {
		return err
	}
	if opts.doImport {
		if err := images.Import(ctx, opts.ctr, opts.address, out); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintln(stdout, ref)
	return err
}

// parse reads the flags, wherever they are among the arguments, and
// returns the arguments left.
func parse(args []string, stderr io.Writer) (options, []string, error) {
	var o options
	fs := flag.NewFlagSet("saga-image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.out, "o", "", "the docker-archive tarball to write")
	fs.StringVar(&o.name, "name", "", "the image name, with or without a tag")
	fs.StringVar(&o.root, "root", "", "the repository root (default: where go.work is)")
	fs.StringVar(&o.user, "user", images.NonRoot, "the user of a binary image")
	fs.BoolVar(&o.doImport, "import", false, "import the tarball into containerd's k8s.io namespace")
	fs.StringVar(&o.address, "address", "", "containerd's socket, for -import")
	fs.StringVar(&o.ctr, "ctr", "ctr", "the ctr command, for -import")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: saga-image [flags] service SERVICE PORT | redis | postgres | pause | binary PATH NAME")
		fs.PrintDefaults()
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return o, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if o.out == "" && !o.doImport {
		return o, nil, errors.New("-o is required unless -import is given")
	}
	if o.doImport && o.address == "" {
		return o, nil, errors.New("-import needs -address, containerd's socket")
	}
	return o, pos, nil
}

// build builds the image that the arguments name, with its default name.
func build(ctx context.Context, o options, pos []string) (v1.Image, string, error) {
	want := map[string]int{"service": 3, "redis": 1, "postgres": 1, "pause": 1, "binary": 3}
	if len(pos) == 0 || want[pos[0]] == 0 {
		return nil, "", errors.New("want one of: service SERVICE PORT, redis, postgres, pause, binary PATH NAME")
	}
	if len(pos) != want[pos[0]] {
		return nil, "", fmt.Errorf("%s takes %d arguments, got %q", pos[0], want[pos[0]]-1, pos[1:])
	}
	switch pos[0] {
	case "service":
		port, err := strconv.Atoi(pos[2])
		if err != nil {
			return nil, "", fmt.Errorf("port %q: %w", pos[2], err)
		}
		root, err := repoRoot(o.root)
		if err != nil {
			return nil, "", err
		}
		img, err := images.Service(ctx, root, pos[1], port)
		return img, pos[1], err
	case "redis":
		img, err := images.Redis()
		return img, "localhost/order-saga/redis", err
	case "postgres":
		img, err := images.Postgres()
		return img, "localhost/order-saga/postgres", err
	case "pause":
		root, err := repoRoot(o.root)
		if err != nil {
			return nil, "", err
		}
		img, err := images.Pause(ctx, root)
		return img, "localhost/order-saga/pause:3.10", err
	default:
		img, err := images.Binary(pos[1], pos[2], o.user)
		return img, "localhost/dapr/" + pos[2], err
	}
}

// repoRoot is root, or else the nearest directory at or above the working
// directory that holds go.work.
func repoRoot(root string) (string, error) {
	if root != "" {
		return root, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.work at or above %s: give the repository with -root", dir)
		}
	}
}
