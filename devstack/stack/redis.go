package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is the Redis the stack uses, and the process when the stack
// started it.
type Redis struct {
	Addr     string
	Password string

	bin  string   // redis-server, when this stack started it
	args []string // its flags, the same at every start
	log  io.Writer

	mu   sync.Mutex
	proc *Proc // the running server, when this stack started it
}

// Started reports whether this stack started the server (and so stops it).
func (r *Redis) Started() bool { return r.process() != nil }

// Stop stops the server if this stack started it; a Redis that was
// already running is left alone.
func (r *Redis) Stop() {
	if p := r.process(); p != nil {
		p.Stop(5 * time.Second)
	}
}

func (r *Redis) process() *Proc {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.proc
}

// launch starts redis-server with the flags of its first start, so that
// a server started again serves the same data from the same folder.
func (r *Redis) launch() (*Proc, error) {
	p, err := startProc("redis", r.bin, r.args, nil, r.log)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.proc = p
	r.mu.Unlock()
	return p, nil
}

// Client is a client of the server, with its password.
func (r *Redis) Client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: r.Addr, Password: r.Password})
}

// quietRedis keeps go-redis from logging the refused dials of a probe.
var quietRedis sync.Once

type nopLogger struct{}

func (nopLogger) Printf(context.Context, string, ...interface{}) {}

// Ping reports whether a Redis answers at addr to password.
func Ping(ctx context.Context, addr, password string) error {
	quietRedis.Do(func() { redis.SetLogger(nopLogger{}) })
	c := redis.NewClient(&redis.Options{Addr: addr, Password: password, DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	return c.Ping(ctx).Err()
}

// UseOrStartRedis uses the Redis at addr when one answers to password;
// otherwise, when nothing listens there, it starts redis-server on addr's
// port with its data in dir. persist keeps the data in dir (see
// StartRedis); tests run without.
func UseOrStartRedis(ctx context.Context, addr, password, dir string, persist bool, log io.Writer) (*Redis, error) {
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	err := Ping(pingCtx, addr, password)
	cancel()
	if err == nil {
		return &Redis{Addr: addr, Password: password}, nil
	}
	if listening(addr) {
		return nil, fmt.Errorf("the Redis at %s does not take REDIS_PASSWORD (%v): set REDIS_PASSWORD to its password, or stop it so that a Redis of this run starts there", addr, err)
	}
	return StartRedis(ctx, addr, password, dir, persist, log)
}

// StartRedis starts a redis-server of its own on addr, in protected mode,
// with password as its only password. The password is in a configuration
// file only its owner reads, not on the command line, which any user of
// the machine can list.
//
// persist makes the server durable in dir with an append-only file,
// written before each reply and synced every second: a server that is
// killed and started again reloads what it acknowledged, since the kernel
// holds what it wrote; only a crash of the machine (or a disk stalled for
// seconds) loses up to about the last second. It keeps no RDB snapshots
// besides (--save ""): with AOF on, Redis loads the AOF and never a
// dump.rdb, and the AOF's base is in RDB form anyway, so a snapshot would
// be a second copy nobody reads, written in a fork every minute. The
// dump.rdb of an earlier run without AOF is turned into the AOF once
// (see convertSnapshot).
func StartRedis(ctx context.Context, addr, password, dir string, persist bool, log io.Writer) (*Redis, error) {
	bin, err := redisServer(log)
	if err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("REDIS_ADDR %q: %w", addr, err)
	}
	if password == "" {
		return nil, errors.New("a Redis of the stack needs a password")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "redis.conf")
	quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(password)
	if err := writePrivate(conf, "requirepass \""+quoted+"\"\n"); err != nil {
		return nil, err
	}
	base := []string{conf, "--bind", host, "--port", port, "--dir", dir, "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning", "--save", ""}
	r := &Redis{Addr: addr, Password: password, bin: bin, log: log}
	if persist {
		r.args = slices.Concat(base, []string{"--appendonly", "yes", "--appendfsync", "everysec"})
		if err := convertSnapshot(ctx, r, base, dir); err != nil {
			return nil, err
		}
	} else {
		r.args = slices.Concat(base, []string{"--appendonly", "no"})
	}
	if err := r.startAndWait(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// startAndWait launches the server and waits until it answers.
func (r *Redis) startAndWait(ctx context.Context) error {
	p, err := r.launch()
	if err != nil {
		return err
	}
	if err := waitFor(ctx, 10*time.Second, func(ctx context.Context) error {
		if p.Exited() {
			return stopWaiting{fmt.Errorf("redis-server exited with code %d", p.ExitCode())}
		}
		return Ping(ctx, r.Addr, r.Password)
	}); err != nil {
		r.Stop()
		return fmt.Errorf("redis at %s: %w", r.Addr, err)
	}
	return nil
}

// convertSnapshot turns the dump.rdb of a run that kept snapshots only
// into an append-only file, which a server with AOF on would otherwise
// start without, empty. It runs a server on that snapshot, has it write
// its AOF and shuts it down.
func convertSnapshot(ctx context.Context, r *Redis, base []string, dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err != nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "appendonlydir")); err == nil {
		return nil
	}
	once := &Redis{Addr: r.Addr, Password: r.Password, bin: r.bin, log: r.log, args: slices.Concat(base, []string{"--appendonly", "no"})}
	if err := once.startAndWait(ctx); err != nil {
		return err
	}
	defer once.Stop()
	c := once.Client()
	defer c.Close()
	if err := c.ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
		return fmt.Errorf("turn the snapshot of %s into an AOF: %w", dir, err)
	}
	return waitFor(ctx, time.Minute, func(ctx context.Context) error {
		info, err := c.Info(ctx, "persistence").Result()
		if err != nil {
			return err
		}
		for _, done := range []string{"aof_enabled:1", "aof_rewrite_in_progress:0", "aof_rewrite_scheduled:0", "aof_last_bgrewrite_status:ok"} {
			if !strings.Contains(info, done+"\r\n") {
				return fmt.Errorf("the AOF of %s is not written yet", dir)
			}
		}
		return nil
	})
}

// redisServer finds redis-server, installing it when it can.
func redisServer(log io.Writer) (string, error) {
	bin, err := Installed("redis-server", "redis-server", log)
	if err != nil {
		return "", fmt.Errorf("%w (or set REDIS_ADDR to a running Redis)", err)
	}
	return bin, nil
}

// stopWaiting ends waitFor early with its error.
type stopWaiting struct{ error }

// waitFor polls check until it succeeds, returns stopWaiting, or the
// deadline passes.
func waitFor(ctx context.Context, limit time.Duration, check func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		callCtx, callCancel := context.WithTimeout(ctx, time.Second)
		last = check(callCtx)
		callCancel()
		if last == nil {
			return nil
		}
		var stop stopWaiting
		if errors.As(last, &stop) {
			return stop.error
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %w", limit, last)
		case <-tick.C:
		}
	}
}

// absDir makes dir absolute relative to root.
func absDir(root, dir string) string {
	if filepath.IsAbs(dir) {
		return dir
	}
	return filepath.Join(root, dir)
}
