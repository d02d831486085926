package images

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// maxSymlinks bounds the symbolic links followed while resolving one path,
// as the kernel does (ELOOP after 40).
const maxSymlinks = 40

// entry is one file of a layer: a directory, a regular file or a symbolic
// link. A regular file holds its bytes, or names the host file to read them
// from when the layer is written.
type entry struct {
	typ      byte
	mode     int64
	uid, gid int
	link     string
	data     []byte
	hostPath string
}

// tree is the file system of one layer, keyed by absolute, clean paths. It
// resolves the symbolic links it holds the way the kernel would inside the
// container: with /bin a link to usr/bin, adding /bin/sh stores /usr/bin/sh.
// Parent directories that were not added explicitly are root's, mode 0755.
type tree struct {
	entries map[string]*entry
}

func newTree() *tree { return &tree{entries: map[string]*entry{}} }

// dir adds a directory, or sets the mode and owner of one already there.
func (t *tree) dir(p string, mode int64, uid, gid int) error {
	return t.add(p, &entry{typ: tar.TypeDir, mode: mode, uid: uid, gid: gid})
}

// file adds a regular file with the given content.
func (t *tree) file(p string, data []byte, mode int64, uid, gid int) error {
	return t.add(p, &entry{typ: tar.TypeReg, mode: mode, uid: uid, gid: gid, data: data})
}

// hostFile adds a regular file owned by root whose content is read from
// the host file hostPath when the layer is written.
func (t *tree) hostFile(p, hostPath string, mode int64) error {
	return t.add(p, &entry{typ: tar.TypeReg, mode: mode, hostPath: hostPath})
}

// symlink adds a symbolic link owned by root.
func (t *tree) symlink(p, target string) error {
	return t.add(p, &entry{typ: tar.TypeSymlink, mode: 0o777, link: target})
}

func (t *tree) add(p string, e *entry) error {
	if !path.IsAbs(p) {
		return fmt.Errorf("layer path %q is not absolute", p)
	}
	parent, err := t.resolve(path.Dir(path.Clean(p)), true)
	if err != nil {
		return err
	}
	if err := t.mkdirAll(parent); err != nil {
		return err
	}
	p = path.Join(parent, path.Base(p))
	if p == "/" {
		return fmt.Errorf("layer path %q: the root is implicit", p)
	}
	old, ok := t.entries[p]
	switch {
	case !ok:
	case old.typ == tar.TypeDir && e.typ == tar.TypeDir:
	case old.typ == e.typ && old.link == e.link && old.hostPath == e.hostPath &&
		bytes.Equal(old.data, e.data) && old.mode == e.mode && old.uid == e.uid && old.gid == e.gid:
	default:
		return fmt.Errorf("layer path %s is added twice with different content", p)
	}
	t.entries[p] = e
	return nil
}

// mkdirAll creates the missing directories of the resolved path dir.
func (t *tree) mkdirAll(dir string) error {
	if dir == "/" {
		return nil
	}
	if err := t.mkdirAll(path.Dir(dir)); err != nil {
		return err
	}
	switch e, ok := t.entries[dir]; {
	case !ok:
		t.entries[dir] = &entry{typ: tar.TypeDir, mode: 0o755}
	case e.typ != tar.TypeDir:
		return fmt.Errorf("layer path %s is used as a directory but is not one", dir)
	}
	return nil
}

// resolve follows the symbolic links of the tree in every component of p,
// and in its last one too when followLast is set. Components that do not
// exist are kept as they are.
func (t *tree) resolve(p string, followLast bool) (string, error) {
	hops := 0
	resolved := "/"
	rest := strings.Split(strings.TrimPrefix(path.Clean(p), "/"), "/")
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		if name == "" {
			continue
		}
		next := path.Join(resolved, name)
		e, ok := t.entries[next]
		if !ok || e.typ != tar.TypeSymlink || (len(rest) == 0 && !followLast) {
			resolved = next
			continue
		}
		if hops++; hops > maxSymlinks {
			return "", fmt.Errorf("layer path %s: too many levels of symbolic links", p)
		}
		target := e.link
		if !path.IsAbs(target) {
			target = path.Join(resolved, target)
		}
		rest = append(strings.Split(strings.TrimPrefix(path.Clean(target), "/"), "/"), rest...)
		resolved = "/"
	}
	return resolved, nil
}

// copyHost adds the host path hostPath at the same path, reproducing each
// symbolic link met on the way, in a parent directory or at the end, so
// that every name the host resolves resolves the same way in the layer.
// The file at the end of the links must be a regular file; it keeps its
// permission bits and is owned by root.
func (t *tree) copyHost(hostPath string) error {
	hops := 0
	resolved := "/"
	rest := strings.Split(strings.TrimPrefix(path.Clean(hostPath), "/"), "/")
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		next := path.Join(resolved, name)
		fi, err := os.Lstat(next)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			if hops++; hops > maxSymlinks {
				return fmt.Errorf("%s: too many levels of symbolic links", hostPath)
			}
			target, err := os.Readlink(next)
			if err != nil {
				return err
			}
			if err := t.symlink(next, target); err != nil {
				return err
			}
			if !path.IsAbs(target) {
				target = path.Join(resolved, target)
			}
			rest = append(strings.Split(strings.TrimPrefix(path.Clean(target), "/"), "/"), rest...)
			resolved = "/"
		case fi.IsDir():
			if len(rest) == 0 {
				return fmt.Errorf("%s is a directory, not a file", hostPath)
			}
			resolved = next
		case fi.Mode().IsRegular() && len(rest) == 0:
			return t.hostFile(next, next, int64(fi.Mode().Perm()))
		default:
			return fmt.Errorf("%s: %s is neither a directory, a regular file nor a symbolic link", hostPath, next)
		}
	}
	return fmt.Errorf("%s resolves to the root directory", hostPath)
}

// layer writes the tree as an uncompressed tar stream: entries sorted by
// path (so a parent comes before its children), every time stamp set to
// mtime, no user or group names. The same tree gives the same bytes, and
// the same gzip stream (go-containerregistry's, at its BestSpeed level).
func (t *tree) layer(mtime time.Time) (v1.Layer, error) {
	names := make([]string, 0, len(t.entries))
	for p := range t.entries {
		names = append(names, p)
	}
	sort.Strings(names)

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range names {
		e := t.entries[p]
		hdr := &tar.Header{
			Typeflag: e.typ,
			Name:     strings.TrimPrefix(p, "/"),
			Linkname: e.link,
			Mode:     e.mode,
			Uid:      e.uid,
			Gid:      e.gid,
			ModTime:  mtime,
			Format:   tar.FormatPAX,
		}
		data := e.data
		switch e.typ {
		case tar.TypeDir:
			hdr.Name += "/"
		case tar.TypeReg:
			if e.hostPath != "" {
				var err error
				if data, err = os.ReadFile(e.hostPath); err != nil {
					return nil, err
				}
			}
			hdr.Size = int64(len(data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", p, err)
		}
		if _, err := tw.Write(data); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", p, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	raw := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(raw)), nil
	})
}
