package devcluster

import (
	"context"
	"encoding/json"
	"errors"
	"os"
)

// state is what a later teardown needs when the program that brought the
// cluster up died: the host's settings from before.
type state struct {
	Sysctls  map[string]string   `json:"sysctls"`
	IPTables map[string][]string `json:"iptables"`
	Repo     string              `json:"repo"`
}

func stateFile(dir string) string { return dir + "-state.json" }

func (c *Cluster) saveState() error {
	b, err := json.Marshal(state{Sysctls: c.sysctls, IPTables: c.iptables, Repo: c.repo})
	if err != nil {
		return err
	}
	return os.WriteFile(stateFile(c.Dir), b, 0o600)
}

// Clean tears down what is left of a cluster in dir whose program died:
// its host processes died with it, but the pods' processes, shims,
// mounts, cgroups, network and settings are still there.
func Clean(ctx context.Context, dir string) error {
	if dir == "" {
		dir = DefaultDir
	}
	b, err := os.ReadFile(stateFile(dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	c := &Cluster{Dir: dir, sysctls: s.Sysctls, iptables: s.IPTables, repo: s.Repo}
	return c.Down(ctx)
}
