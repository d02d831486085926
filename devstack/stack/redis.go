package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
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
	proc     *Proc
}

// Started reports whether this stack started the server (and so stops it).
func (r *Redis) Started() bool { return r.proc != nil }

// Stop stops the server if this stack started it; a Redis that was
// already running is left alone.
func (r *Redis) Stop() {
	if r.proc != nil {
		r.proc.Stop(5 * time.Second)
	}
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
// port with its data in dir. persist keeps RDB snapshots in dir; tests
// run without.
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
	args := []string{conf, "--bind", host, "--port", port, "--dir", dir, "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"}
	if persist {
		args = append(args, "--save", "60 1000", "--dbfilename", "dump.rdb", "--appendonly", "no")
	} else {
		args = append(args, "--save", "", "--appendonly", "no")
	}
	p, err := startProc("redis", bin, args, nil, log)
	if err != nil {
		return nil, err
	}
	r := &Redis{Addr: addr, Password: password, proc: p}
	if err := waitFor(ctx, 10*time.Second, func(ctx context.Context) error {
		if p.Exited() {
			return stopWaiting{fmt.Errorf("redis-server exited with code %d", p.ExitCode())}
		}
		return Ping(ctx, addr, password)
	}); err != nil {
		r.Stop()
		return nil, fmt.Errorf("redis at %s: %w", addr, err)
	}
	return r, nil
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
