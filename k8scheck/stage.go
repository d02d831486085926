package k8scheck

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
)

// SecretsScript writes the development secrets that the overlays read
// (k8s/components/dev-secrets); `make k8s-up` and skaffold's render hook
// run it before kustomize.
const SecretsScript = "scripts/k8s-secrets.sh"

// DevSecretsDir holds the env files that SecretsScript writes. It is
// git-ignored, so a clean clone has none and no value is ever committed.
const DevSecretsDir = "k8s/components/dev-secrets/secrets"

// StageManifests prepares dir to render the overlays as a clean clone does once
// SecretsScript has run: it copies k8s/ and the script from root, leaving
// out any secrets already made in root, and runs the script in the copy.
// The checks render the copy, so they pass on a clean clone, never read a
// developer's own values, and prove that the script makes every file the
// overlays need.
func StageManifests(root, dir string) error {
	skip := filepath.Join(root, DevSecretsDir)
	src := filepath.Join(root, "k8s")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == skip {
			return filepath.SkipDir
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		return copyFile(path, filepath.Join(dir, rel))
	})
	if err != nil {
		return fmt.Errorf("stage k8s/: %w", err)
	}
	script := filepath.Join(dir, SecretsScript)
	if err := os.MkdirAll(filepath.Dir(script), 0o755); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(root, SecretsScript), script); err != nil {
		return err
	}
	cmd := exec.Command(script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", SecretsScript, err, out)
	}
	return nil
}

// copyFile copies a regular file with its permission bits (the script's
// execute bit included).
func copyFile(from, to string) error {
	info, err := os.Stat(from)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, info.Mode().Perm())
}
