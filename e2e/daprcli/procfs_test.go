//go:build daprcli

package daprcli

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/example/order-saga/devstack/stack"
)

var loopback = net.IPv4(127, 0, 0, 1)

// process is a live process, as /proc shows it.
type process struct {
	PID  int
	Name string
}

type processes []process

func (ps processes) String() string {
	var s []string
	for _, p := range ps {
		s = append(s, fmt.Sprintf("%s (%d)", p.Name, p.PID))
	}
	return strings.Join(s, ", ")
}

// alive are those of ps still running: the same pid with the same name,
// and not a zombie.
func (ps processes) alive() processes {
	var out processes
	for _, p := range ps {
		if q, ok := readProcess(p.PID); ok && q.Name == p.Name {
			out = append(out, p)
		}
	}
	return out
}

// processGroup lists the live processes of the process group pgid.
func processGroup(pgid int) (processes, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out processes
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProcess(pid); ok && p.group == pgid {
			out = append(out, p.process)
		}
	}
	return out, nil
}

type procStat struct {
	process
	group int
}

// readProcess reads /proc/PID/stat: "pid (comm) state ppid pgrp ...". A
// zombie has ended and counts as gone.
func readProcess(pid int) (procStat, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, false
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procStat{}, false
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
		return procStat{}, false
	}
	group, err := strconv.Atoi(f[2])
	if err != nil {
		return procStat{}, false
	}
	return procStat{process{PID: pid, Name: s[open+1 : end]}, group}, true
}

// listenersOn lists the listening TCP sockets on port, IPv4 and IPv6.
func listenersOn(port int) ([]stack.Listener, error) { return stack.ListenersOn(port) }

// logFolders are the app folders where the CLI writes its logs
// (<app>/.dapr/logs), as they were before the run.
type logFolders struct {
	root    string
	existed map[string]bool // app folder's .dapr
	before  map[string]bool // log files
}

// watchLogFolders notes what the app folders hold, and removes at the end
// of the test what the run added: each .dapr folder it created, or the
// log files it wrote into one that was there already.
func watchLogFolders(t *testing.T, root string) *logFolders {
	t.Helper()
	w := &logFolders{root: root, existed: map[string]bool{}, before: map[string]bool{}}
	for _, app := range stack.Apps {
		dir := filepath.Join(root, app, ".dapr")
		if _, err := os.Stat(dir); err == nil {
			w.existed[dir] = true
		}
	}
	for _, f := range w.files() {
		w.before[f] = true
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, f := range w.created() {
				b, _ := os.ReadFile(f)
				lines := strings.Split(strings.TrimSpace(string(b)), "\n")
				t.Logf("last lines of %s:\n%s", f, strings.Join(lines[max(0, len(lines)-15):], "\n"))
			}
		}
		for _, app := range stack.Apps {
			dir := filepath.Join(root, app, ".dapr")
			if !w.existed[dir] {
				if err := os.RemoveAll(dir); err != nil {
					t.Error(err)
				}
			}
		}
		for _, f := range w.created() {
			if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
				t.Error(err)
			}
		}
	})
	return w
}

func (w *logFolders) files() []string {
	var out []string
	for _, app := range stack.Apps {
		matches, _ := filepath.Glob(filepath.Join(w.root, app, ".dapr", "logs", "*.log"))
		out = append(out, matches...)
	}
	return out
}

// created are the log files written since watchLogFolders.
func (w *logFolders) created() []string {
	return slices.DeleteFunc(w.files(), func(f string) bool { return w.before[f] })
}
