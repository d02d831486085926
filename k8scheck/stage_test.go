package k8scheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Every secret in the rendered overlays comes from the files that the
// script writes: two stagings, each with its own random values, agree on
// nothing secret. A value written in a committed file (a generator
// literal, a Secret manifest) would be the same in both.
func TestNoSecretValueIsCommitted(t *testing.T) {
	t.Parallel()
	other := freshStage(t)
	for _, name := range Overlays {
		first, second := manifestOf(t, staged, name), manifestOf(t, other, name)
		secretKeys := 0
		for secret, s := range first.Secrets {
			for key, value := range secretData(s) {
				if !secretLike.MatchString(key) {
					continue
				}
				secretKeys++
				if again := second.Secrets[secret]; again != nil && secretData(again)[key] == value {
					t.Errorf("%s: Secret %s key %s is the same in two stagings: its value is committed", name, secret, key)
				}
			}
		}
		if secretKeys < 2+2*len(Services) {
			t.Errorf("%s: only %d secret values rendered, want Redis's password, the admin token and two tokens per service", name, secretKeys)
		}
	}
}

// What the script writes can never be committed, and only its owner can
// read it.
func TestTheGeneratedSecretsAreGitIgnoredAndPrivate(t *testing.T) {
	t.Parallel()
	root, _, _ := fixtures(t)
	files, err := filepath.Glob(filepath.Join(staged, DevSecretsDir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the script wrote nothing in %s: %v", DevSecretsDir, err)
	}
	checkMode(t, filepath.Join(staged, DevSecretsDir), 0o700)
	for _, f := range files {
		checkMode(t, f, 0o600)
		rel := filepath.Join(DevSecretsDir, filepath.Base(f))
		cmd := exec.Command("git", "check-ignore", "--quiet", "--no-index", rel)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s is not ignored by git: %v %s", rel, err, out)
		}
	}
}

// The script keeps what exists: a second run changes nothing, and a value
// written by hand (docs/kubernetes.md) stays and reaches the Secret.
func TestTheSecretsScriptKeepsExistingValues(t *testing.T) {
	t.Parallel()
	dir := freshStage(t)
	own := filepath.Join(dir, DevSecretsDir, "admin-token.env")
	if err := os.WriteFile(own, []byte("token=my-own-admin-token-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, DevSecretsDir, "redis-auth.env")
	before, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(dir, SecretsScript))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", SecretsScript, err, out)
	}
	if after, _ := os.ReadFile(other); string(after) != string(before) {
		t.Errorf("a second run replaced redis-auth.env")
	}
	m := manifestOf(t, dir, Overlays[0])
	if string(m.Secrets["admin-token"].Data["token"]) != "my-own-admin-token-value" {
		t.Error("Secret admin-token does not hold the value written by hand")
	}
	if !strings.HasPrefix(string(before), "redis-password=") || len(before) < len("redis-password=")+minSecretLen {
		t.Errorf("redis-auth.env holds %d bytes, not a generated password", len(before))
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Error(err)
		return
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
	}
}

// freshStage stages the repository's manifests in a new directory, with
// secret values of its own.
func freshStage(t *testing.T) string {
	t.Helper()
	root, _, _ := fixtures(t)
	dir := t.TempDir()
	if err := StageManifests(root, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// manifestOf renders the overlay name of the staged directory dir.
func manifestOf(t *testing.T, dir, name string) *Manifest {
	t.Helper()
	objs, err := Render(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewManifest(objs)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
