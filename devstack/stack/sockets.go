package stack

import (
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// Listener is a listening TCP socket of this machine, as /proc/net/tcp and
// tcp6 show it: the tests check with it where a process listens.
type Listener struct {
	IP    net.IP
	Port  int
	Inode string // of the socket, as /proc/PID/fd links name it: socket:[Inode]
}

func (l Listener) String() string { return net.JoinHostPort(l.IP.String(), strconv.Itoa(l.Port)) }

// Listening reads every listening TCP socket, IPv4 and IPv6.
func Listening() ([]Listener, error) {
	var out []Listener
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" { // 0A is LISTEN
				continue
			}
			l, err := parseProcAddress(f[1])
			if err != nil {
				return nil, fmt.Errorf("%s: %v", file, err)
			}
			l.Inode = f[9]
			out = append(out, l)
		}
	}
	return out, nil
}

// ListenersOn reads the listening TCP sockets on port.
func ListenersOn(port int) ([]Listener, error) {
	all, err := Listening()
	var out []Listener
	for _, l := range all {
		if l.Port == port {
			out = append(out, l)
		}
	}
	return out, err
}

// ListenersOf reads the listening TCP sockets of the process pid: those
// among its open files.
func ListenersOf(pid int) ([]Listener, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	all, err := Listening()
	var out []Listener
	for _, l := range all {
		if inodes[l.Inode] {
			out = append(out, l)
		}
	}
	return out, err
}

// parseProcAddress decodes "HEXIP:HEXPORT" of /proc/net/tcp*, the IP as
// 32-bit words in host (little-endian) order.
func parseProcAddress(s string) (Listener, error) {
	hexIP, hexPort, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(hexIP)
	if !ok || err != nil || (len(raw) != 4 && len(raw) != 16) {
		return Listener{}, fmt.Errorf("address %q", s)
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return Listener{}, fmt.Errorf("address %q", s)
	}
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 {
		ip[i], ip[i+1], ip[i+2], ip[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	return Listener{IP: ip, Port: int(port)}, nil
}
