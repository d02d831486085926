//go:build daprcli

package daprcli

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	portRange     = "/proc/sys/net/ipv4/ip_local_port_range"
	reservedPorts = "/proc/sys/net/ipv4/ip_local_reserved_ports"
)

// reserveFromEphemeral keeps the kernel from giving any of ports that lie
// in its ephemeral range (32768 and up) to an outgoing connection while
// the test runs: the run file's ports are fixed, and Dapr's own defaults
// (50001 and up) are in that range, so a sidecar's connection to Redis
// could otherwise take the gRPC port of the next app before the CLI
// starts it ("Port 50002 is not available"). The kernel's list is put back
// as it was at the end. A port that is reserved can still be listened on.
func reserveFromEphemeral(t *testing.T, ports []int) {
	t.Helper()
	low, high, err := ephemeralRange()
	if err != nil {
		t.Fatal(err)
	}
	var inRange []int
	for _, p := range ports {
		if p >= low && p <= high {
			inRange = append(inRange, p)
		}
	}
	if len(inRange) == 0 {
		return
	}
	before, err := os.ReadFile(reservedPorts)
	if err != nil {
		t.Fatal(err)
	}
	old := strings.TrimSpace(string(before))
	t.Cleanup(func() {
		if err := os.WriteFile(reservedPorts, []byte(old+"\n"), 0o644); err != nil {
			t.Errorf("put back %s (%q): %v", reservedPorts, old, err)
		}
	})
	list := reservedList(old, inRange)
	if err := os.WriteFile(reservedPorts, []byte(list+"\n"), 0o644); err != nil {
		t.Fatalf("reserve the run file's ports %v from the kernel's ephemeral range (%s, needs root): %v", inRange, reservedPorts, err)
	}
}

// reservedList is the kernel's list old ("" or "a,b-c,...") with ports
// added.
func reservedList(old string, ports []int) string {
	var parts []string
	if old != "" {
		parts = strings.Split(old, ",")
	}
	for _, p := range slices.Sorted(slices.Values(ports)) {
		parts = append(parts, strconv.Itoa(p))
	}
	return strings.Join(parts, ",")
}

func ephemeralRange() (low, high int, err error) {
	b, err := os.ReadFile(portRange)
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("%s: %q", portRange, b)
	}
	if low, err = strconv.Atoi(f[0]); err != nil {
		return 0, 0, err
	}
	high, err = strconv.Atoi(f[1])
	return low, high, err
}

func TestTheReservedListKeepsWhatTheKernelHadAndAddsThePorts(t *testing.T) {
	for _, c := range []struct {
		old  string
		want string
	}{
		{"", "50001,50002"},
		{"8080,60000-60010", "8080,60000-60010,50001,50002"},
	} {
		if got := reservedList(c.old, []int{50002, 50001}); got != c.want {
			t.Errorf("reservedList(%q) = %q, want %q", c.old, got, c.want)
		}
	}
}
