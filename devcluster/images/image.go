// Package images builds the container images of the development cluster
// without a Docker engine or a registry: the three services, Redis, the
// pod sandbox (pause) and the Dapr control plane, each one layer on an
// empty image, written as docker-archive tarballs that containerd imports.
//
// Images are reproducible: every time stamp is the Unix epoch, or
// SOURCE_DATE_EPOCH when it is set, and layer entries are sorted, so the
// same input gives the same digest and Tag gives a reference that changes
// only when the content does.
package images

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

const (
	// NonRoot is the user of the service and Dapr images, distroless's
	// "nonroot": the Dapr control plane and daprd check that the user and
	// group they run as (65532) exist in /etc/passwd and /etc/group.
	NonRoot = "65532:65532"
	// PauseUser is the user of the sandbox image, as in Kubernetes' pause.
	PauseUser = "65535:65535"

	// staticPath is the PATH of every image but Redis, distroless's.
	staticPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// account is one line of /etc/passwd, with its group in /etc/group.
type account struct {
	name     string
	uid, gid int
	home     string
}

var (
	rootAccount    = account{name: "root", uid: 0, gid: 0, home: "/root"}
	nonrootAccount = account{name: "nonroot", uid: 65532, gid: 65532, home: "/home/nonroot"}
)

// base adds what every image starts from: /etc/passwd and /etc/group with
// root, nonroot and the given accounts, their home directories, and /tmp
// with mode 1777. Everything is root's but the homes.
func base(t *tree, extra ...account) error {
	accounts := append([]account{rootAccount, nonrootAccount}, extra...)
	var passwd, group strings.Builder
	for _, a := range accounts {
		fmt.Fprintf(&passwd, "%s:x:%d:%d:%s:%s:/sbin/nologin\n", a.name, a.uid, a.gid, a.name, a.home)
		fmt.Fprintf(&group, "%s:x:%d:\n", a.name, a.gid)
	}
	if err := t.file("/etc/passwd", []byte(passwd.String()), 0o644, 0, 0); err != nil {
		return err
	}
	if err := t.file("/etc/group", []byte(group.String()), 0o644, 0, 0); err != nil {
		return err
	}
	for _, a := range accounts {
		if err := t.dir(a.home, 0o700, a.uid, a.gid); err != nil {
			return err
		}
	}
	return t.dir("/tmp", 0o1777, 0, 0)
}

// assemble makes the image of one layer, tree, with the given runtime
// configuration. createdBy is the history line that says how it was made.
func assemble(t *tree, cfg v1.Config, createdBy string) (v1.Image, error) {
	when, err := buildTime()
	if err != nil {
		return nil, err
	}
	layer, err := t.layer(when)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: when}, CreatedBy: createdBy},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: when}
	cf.OS = "linux"
	cf.Architecture = runtime.GOARCH
	cf.Config = cfg
	return mutate.ConfigFile(img, cf)
}

// buildTime is the time stamp of every file and of the image itself:
// SOURCE_DATE_EPOCH when it is set, else the Unix epoch.
func buildTime() (time.Time, error) {
	s, ok := os.LookupEnv("SOURCE_DATE_EPOCH")
	if !ok || s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	secs, err := strconv.ParseInt(s, 10, 64)
	if err != nil || secs < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: not a number of seconds since the epoch", s)
	}
	return time.Unix(secs, 0).UTC(), nil
}

// Binary is the image of one static binary at /NAME, its entrypoint, run
// as user ("UID:GID"; NonRoot when empty) on the base layer. The Dapr
// images are made this way: /daprd, /operator, /sentry, /scheduler,
// /placement, /injector, which the Dapr chart starts by these paths.
func Binary(path, name, user string) (v1.Image, error) {
	if user == "" {
		user = NonRoot
	}
	return staticImage(path, name, user, "binary "+name)
}

// staticImage is the image of the static binary at path, copied to /name.
func staticImage(path, name, user, createdBy string) (v1.Image, error) {
	if name == "" || strings.ContainsAny(name, "/") || name == "." || name == ".." {
		return nil, fmt.Errorf("binary name %q: want a file name", name)
	}
	if err := checkStatic(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t := newTree()
	if err := base(t); err != nil {
		return nil, err
	}
	if err := t.file("/"+name, data, 0o755, 0, 0); err != nil {
		return nil, err
	}
	return assemble(t, v1.Config{
		Entrypoint: []string{"/" + name},
		Env:        []string{staticPath},
		User:       user,
		WorkingDir: "/",
	}, createdBy)
}

// checkStatic fails unless path is an ELF executable with no program
// interpreter: the images have no C library for a dynamic one.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: not an ELF executable: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: build it with CGO_ENABLED=0", path)
		}
	}
	return nil
}

// Tag is the content tag of img: the first 12 hexadecimal digits of its
// digest, so a rebuilt image with other content gets another reference.
func Tag(img v1.Image) (string, error) {
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.Hex[:12], nil
}

// Ref is the reference to write img under: name itself when it has a tag
// ("order-svc:dev", what skaffold passes), else name with the content tag
// ("order-svc" becomes "order-svc:0123456789ab").
func Ref(name string, img v1.Image) (string, error) {
	if strings.Contains(name, "@") {
		return "", fmt.Errorf("image name %q: a digest cannot name an imported image", name)
	}
	if name == "" {
		return "", errors.New("image name is empty")
	}
	if strings.Contains(name[strings.LastIndex(name, "/")+1:], ":") {
		return name, nil
	}
	tag, err := Tag(img)
	if err != nil {
		return "", err
	}
	return name + ":" + tag, nil
}
