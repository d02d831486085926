package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// staticELF writes a minimal static x86-64 ELF executable.
func staticELF(t *testing.T) string {
	t.Helper()
	hdr := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Ehsize: 64, Phentsize: 56, Shentsize: 64,
	}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	hdr.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	var buf bytes.Buffer
	_ = binary.Write(&buf, binary.LittleEndian, hdr)
	p := filepath.Join(t.TempDir(), "daprd")
	if err := os.WriteFile(p, buf.Bytes(), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// repoTags reads the names in the manifest of a docker-archive tarball.
func repoTags(t *testing.T, path string) []string {
	t.Helper()
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) })
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 {
		t.Fatalf("%d images in %s, want 1", len(m), path)
	}
	return m[0].RepoTags
}

func TestABinaryImageIsWrittenUnderTheRefItPrints(t *testing.T) {
	t.Parallel()
	bin := staticELF(t)
	cases := []struct {
		name string
		args []string
		want *regexp.Regexp
	}{
		{"a name without a tag gets the content tag", []string{"-name", "localhost/dapr/daprd"},
			regexp.MustCompile(`^localhost/dapr/daprd:[0-9a-f]{12}$`)},
		{"a name with a tag keeps it", []string{"-name", "localhost/dapr/daprd:1.18.1"},
			regexp.MustCompile(`^localhost/dapr/daprd:1\.18\.1$`)},
		{"no name is localhost/dapr/NAME", nil,
			regexp.MustCompile(`^localhost/dapr/daprd:[0-9a-f]{12}$`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "daprd.tar")
			var stdout, stderr bytes.Buffer
			args := append(append([]string{"-o", out}, c.args...), "binary", bin, "daprd")
			if err := run(t.Context(), args, &stdout, &stderr); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			ref := strings.TrimSpace(stdout.String())
			if !c.want.MatchString(ref) {
				t.Errorf("printed %q, want %s", stdout.String(), c.want)
			}
			if tags := repoTags(t, out); !slices.Equal(tags, []string{ref}) {
				t.Errorf("archive names %q, printed %q", tags, ref)
			}
		})
	}
}

func TestFlagsMayFollowTheArguments(t *testing.T) {
	t.Parallel()
	o, pos, err := parse([]string{"-name", "order-svc:dev", "-o", "x.tar",
		"service", "order-svc", "8081", "-import", "-address", "/run/c.sock", "-ctr", "/usr/bin/ctr"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := options{out: "x.tar", name: "order-svc:dev", user: "65532:65532", address: "/run/c.sock",
		ctr: "/usr/bin/ctr", doImport: true}
	if o != want || !slices.Equal(pos, []string{"service", "order-svc", "8081"}) {
		t.Errorf("parsed %+v %q, want %+v [service order-svc 8081]", o, pos, want)
	}
}

func TestBadCommandLinesAreRefused(t *testing.T) {
	t.Parallel()
	bin := staticELF(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no output and no import", []string{"redis"}, "-o is required"},
		{"an import with no socket", []string{"-import", "redis"}, "-address"},
		{"no kind", []string{"-o", "x.tar"}, "want one of"},
		{"an unknown kind", []string{"-o", "x.tar", "docker"}, "want one of"},
		{"a service without its port", []string{"-o", "x.tar", "service", "order-svc"}, "takes 2 arguments"},
		{"a port that is not a number", []string{"-o", "x.tar", "service", "order-svc", "http"}, "port"},
		{"a binary without its name", []string{"-o", "x.tar", "binary", bin}, "takes 2 arguments"},
		{"a digest for a name", []string{"-o", "x.tar", "-name", "daprd@sha256:00", "binary", bin, "daprd"}, "digest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := run(t.Context(), c.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one that says %q", err, c.want)
			}
		})
	}
}

func TestTheRepositoryIsWhereGoWorkIs(t *testing.T) {
	t.Parallel()
	root, err := repoRoot("")
	if err != nil {
		t.Fatal(err)
	}
	want, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if root != want {
		t.Errorf("repository %s, want %s", root, want)
	}
	if root, _ := repoRoot("/src"); root != "/src" {
		t.Errorf("-root /src gives %s", root)
	}
}
