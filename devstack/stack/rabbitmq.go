package stack

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// RabbitMQ is a RabbitMQ server of its own, for running the saga on
// another broker than Redis.
type RabbitMQ struct {
	Addr string // host:port of its AMQP listener
	bin  string
	env  []string // node name, ports, config and data folder: the same at every start
	dir  string
	log  io.Writer
	// stopEpmd is set when no Erlang port mapper ran before, so the one
	// RabbitMQ started is stopped with it.
	stopEpmd bool

	mu   sync.Mutex // one Restart or Stop at a time
	proc *Proc
}

// StartRabbitMQ starts Debian's rabbitmq-server (installing it when it can)
// on free loopback ports with its data in a folder of its own, and waits
// until it takes connections. Its only user is BrokerUser, with password;
// there is no guest.
func StartRabbitMQ(ctx context.Context, password string, log io.Writer) (*RabbitMQ, error) {
	bin, err := Installed("rabbitmq-server", "rabbitmq-server", log)
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	// The server runs as the rabbitmq user, which must own its folders.
	dir, err := os.MkdirTemp("", "saga-rabbitmq-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, err
	}
	// The user of a first boot, in place of guest/guest.
	conf := filepath.Join(dir, "rabbitmq.conf")
	if err := writePrivate(conf, "default_user = "+BrokerUser+"\ndefault_pass = "+password+"\n"); err != nil {
		return nil, err
	}
	if err := chownToRabbitMQ(dir); err != nil {
		return nil, err
	}
	epmdRan := listening("127.0.0.1:4369")
	amqp := strconv.Itoa(ports[0])
	env := []string{
		"RABBITMQ_NODENAME=saga" + amqp + "@localhost",
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_CONFIG_FILE=" + conf,
		// Erlang distribution on loopback too, and the port mapper if
		// this start runs one.
		"ERL_EPMD_ADDRESS=127.0.0.1",
		"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}",
		"RABBITMQ_NODE_PORT=" + amqp,
		"RABBITMQ_DIST_PORT=" + strconv.Itoa(ports[1]),
		"RABBITMQ_MNESIA_BASE=" + filepath.Join(dir, "mnesia"),
		"RABBITMQ_LOG_BASE=" + filepath.Join(dir, "log"),
		"RABBITMQ_ENABLED_PLUGINS_FILE=" + filepath.Join(dir, "enabled_plugins"),
		"RABBITMQ_PID_FILE=" + filepath.Join(dir, "pid"),
		"RABBITMQ_LOGS=-",
	}
	r := &RabbitMQ{Addr: "127.0.0.1:" + amqp, bin: bin, env: env, dir: dir, log: log, stopEpmd: !epmdRan}
	if err := r.launch(ctx); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

// launch starts the server and waits until it takes connections.
func (r *RabbitMQ) launch(ctx context.Context) error {
	p, err := startProc("rabbitmq", r.bin, nil, r.env, r.log)
	if err != nil {
		return err
	}
	r.proc = p
	return waitFor(ctx, 60*time.Second, func(context.Context) error {
		if p.Exited() {
			return stopWaiting{fmt.Errorf("rabbitmq-server exited with code %d", p.ExitCode())}
		}
		if !listening(r.Addr) {
			return fmt.Errorf("nothing listens on %s yet", r.Addr)
		}
		return nil
	})
}

// Restart stops the server gracefully and starts it again on the same
// ports, node name, configuration and data folder, so that its durable
// queues and persistent messages survive, and returns once it takes
// connections again.
func (r *RabbitMQ) Restart(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.halt()
	if err := r.launch(ctx); err != nil {
		return fmt.Errorf("restart RabbitMQ: %w", err)
	}
	return nil
}

// Stop stops the server, and the Erlang port mapper if it started it, and
// removes its data.
func (r *RabbitMQ) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.halt()
	if r.stopEpmd {
		_ = exec.Command("epmd", "-kill").Run()
	}
	os.RemoveAll(r.dir)
}

// halt stops the server gracefully and waits until it has ended. The
// Erlang VM runs in a session of its own, under the rabbitmq user, so it
// is stopped by the process id it wrote, SIGTERM first.
func (r *RabbitMQ) halt() {
	if b, err := os.ReadFile(filepath.Join(r.dir, "pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			stopPid(pid, 20*time.Second)
		}
	}
	if r.proc != nil {
		r.proc.Stop(20 * time.Second)
	}
}

func listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func chownToRabbitMQ(dir string) error {
	u, err := user.Lookup("rabbitmq")
	if err != nil {
		return fmt.Errorf("the rabbitmq user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(path, uid, gid)
	})
}

// stopPid asks a process to end and kills it after grace.
func stopPid(pid int, grace time.Duration) {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return
		}
		<-time.After(50 * time.Millisecond)
	}
}
