package images

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// writeELF writes a minimal x86-64 ELF executable, dynamically linked
// when interp is set, followed by payload so that two differ.
func writeELF(t *testing.T, interp, payload string) string {
	t.Helper()
	var buf bytes.Buffer
	hdr := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Ehsize: 64, Phentsize: 56, Shentsize: 64,
	}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	hdr.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	if interp != "" {
		hdr.Phoff, hdr.Phnum = 64, 1
	}
	_ = binary.Write(&buf, binary.LittleEndian, hdr)
	if interp != "" {
		s := uint64(len(interp) + 1)
		_ = binary.Write(&buf, binary.LittleEndian, elf.Prog64{
			Type: uint32(elf.PT_INTERP), Flags: uint32(elf.PF_R), Off: 64 + 56, Filesz: s, Memsz: s, Align: 1,
		})
		buf.WriteString(interp + "\x00")
	}
	buf.WriteString(payload)
	p := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(p, buf.Bytes(), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// layerFile is one entry of an image's layer.
type layerFile struct {
	hdr  *tar.Header
	data []byte
}

// imageFiles reads the one layer of img, keyed by absolute path, checking
// that its entries come sorted.
func imageFiles(t *testing.T, img v1.Image) map[string]layerFile {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("image has %d layers, want 1", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]layerFile{}
	var names []string
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		p := "/" + strings.TrimSuffix(hdr.Name, "/")
		names = append(names, p)
		files[p] = layerFile{hdr: hdr, data: data}
	}
	if !slices.IsSorted(names) {
		t.Errorf("layer entries are not sorted: %q", names)
	}
	return files
}

// lookup resolves p in the layer as the kernel would in the container,
// following every symbolic link, and fails the test unless it exists.
func lookup(t *testing.T, files map[string]layerFile, p string) (string, layerFile) {
	t.Helper()
	f, ok := follow(files, p)
	if !ok {
		t.Fatalf("%s is not in the image", p)
	}
	return "/" + strings.TrimSuffix(f.hdr.Name, "/"), f
}

// follow resolves p in the layer, following every symbolic link.
func follow(files map[string]layerFile, p string) (layerFile, bool) {
	resolved, rest := "/", strings.Split(strings.TrimPrefix(p, "/"), "/")
	for hops := 0; len(rest) > 0; {
		next := path.Join(resolved, rest[0])
		rest = rest[1:]
		f, ok := files[next]
		if !ok {
			return layerFile{}, false
		}
		if f.hdr.Typeflag != tar.TypeSymlink {
			resolved = next
			continue
		}
		if hops++; hops > 40 {
			return layerFile{}, false
		}
		target := f.hdr.Linkname
		if !path.IsAbs(target) {
			target = path.Join(resolved, target)
		}
		resolved, rest = "/", append(strings.Split(strings.TrimPrefix(target, "/"), "/"), rest...)
	}
	f, ok := files[resolved]
	return f, ok
}

func configOf(t *testing.T, img v1.Image) *v1.ConfigFile {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return cf
}

func digestOf(t *testing.T, img v1.Image, err error) v1.Hash {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestALayerFollowsItsOwnLinks(t *testing.T) {
	t.Parallel()
	tr := newTree()
	steps := []error{
		tr.symlink("/bin", "usr/bin"),
		tr.file("/usr/bin/busybox", []byte("bb"), 0o755, 0, 0),
		tr.symlink("/bin/sh", "busybox"),
		tr.dir("/tmp", 0o755, 0, 0),
		tr.dir("/tmp", 0o1777, 0, 0),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if e := tr.entries["/usr/bin/sh"]; e == nil || e.link != "busybox" {
		t.Errorf("/bin/sh through the /bin link is %+v, want /usr/bin/sh -> busybox", e)
	}
	if _, ok := tr.entries["/bin/sh"]; ok {
		t.Error("/bin/sh is stored beside the /bin link")
	}
	if e := tr.entries["/tmp"]; e.mode != 0o1777 {
		t.Errorf("/tmp mode %o, want the last one given, 1777", e.mode)
	}
	if err := tr.file("/usr/bin/busybox", []byte("other"), 0o755, 0, 0); err == nil {
		t.Error("a path added twice with different content is accepted")
	}
	if err := tr.file("/usr/bin/busybox/x", nil, 0o644, 0, 0); err == nil {
		t.Error("a file under a file is accepted")
	}
	if got, err := tr.resolve("/bin/sh", true); err != nil || got != "/usr/bin/busybox" {
		t.Errorf("resolve(/bin/sh) = %q, %v; want /usr/bin/busybox", got, err)
	}
}
