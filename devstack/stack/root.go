package stack

import (
	"errors"
	"os"
	"path/filepath"
)

// RepoRoot finds the repository root: the nearest folder at or above the
// working directory that holds go.work.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work found above the working directory: run this inside the repository")
		}
		dir = parent
	}
}
