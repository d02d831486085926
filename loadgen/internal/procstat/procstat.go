// Package procstat reads what a process has consumed from Linux's /proc:
// CPU time (user and system, every thread, children not included) and
// resident memory, current and peak.
package procstat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the CPU times in /proc/<pid>/stat. Linux fixes
// USER_HZ at 100 on every architecture Go supports.
const clockTick = 10 * time.Millisecond

// Usage is what one process has consumed since it started.
type Usage struct {
	CPU     time.Duration // user + system time of all its threads
	RSS     uint64        // resident memory now, in bytes
	PeakRSS uint64        // highest resident memory so far (VmHWM), in bytes
}

// Read returns the usage of process pid.
func Read(pid int) (Usage, error) {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	b, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return Usage{}, err
	}
	st, err := parseStat(b)
	if err != nil {
		return Usage{}, fmt.Errorf("pid %d: %w", pid, err)
	}
	u := Usage{CPU: time.Duration(st.utime+st.stime) * clockTick}
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return Usage{}, err
	}
	u.RSS, u.PeakRSS = parseStatus(status)
	return u, nil
}

// stat holds the fields of /proc/<pid>/stat that are used here.
type stat struct {
	comm         string
	ppid         int
	utime, stime uint64
}

// parseStat reads a /proc/<pid>/stat line. The command name sits in
// parentheses and may itself hold spaces and parentheses, so the fields
// are counted from the last ')'.
func parseStat(b []byte) (stat, error) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return stat{}, errors.New("malformed stat")
	}
	// After the name: state(3) ppid(4) ... utime(14) stime(15).
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 13 {
		return stat{}, errors.New("short stat")
	}
	ppid, err1 := strconv.Atoi(f[1])
	utime, err2 := strconv.ParseUint(f[11], 10, 64)
	stime, err3 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return stat{}, fmt.Errorf("malformed stat: %w", err)
	}
	return stat{comm: string(b[open+1 : end]), ppid: ppid, utime: utime, stime: stime}, nil
}

// parseStatus returns VmRSS and VmHWM of a /proc/<pid>/status, in bytes.
func parseStatus(b []byte) (rss, peak uint64) {
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		name, value, ok := strings.Cut(s.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(value)
		if len(f) == 0 {
			continue
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			continue
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak
}

// MachineBusy is the CPU time all CPUs of the machine have spent on any
// work since boot: everything in /proc/stat but idle and I/O wait.
func MachineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseMachineBusy(b)
}

func parseMachineBusy(b []byte) (time.Duration, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 8 || f[0] != "cpu" {
		return 0, errors.New("malformed /proc/stat")
	}
	var busy uint64
	// user nice system idle iowait irq softirq steal...; guest time is
	// already counted in user.
	for i, v := range f[1:min(len(f), 9)] {
		if i == 3 || i == 4 {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed /proc/stat: %w", err)
		}
		busy += n
	}
	return time.Duration(busy) * clockTick, nil
}
