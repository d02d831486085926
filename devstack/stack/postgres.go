package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/example/order-saga/contracts"
)

// Postgres is the PostgreSQL the state stores use under STATE=postgres,
// and its server process when the stack started it.
type Postgres struct {
	Addr     string // host:port
	Database string // the database of the stores' schemas
	admin    *url.URL

	bin  string   // postgres, when this stack started it
	args []string // its flags, the same at every start
	cred *syscall.Credential
	log  io.Writer

	mu   sync.Mutex
	proc *Proc
}

// StoreDatabase is the database the stack's server keeps the stores in.
const StoreDatabase = "saga"

// adminUser is the superuser of a server the stack starts.
const adminUser = "postgres"

// StoreRoles are the roles of the three state stores, one per app, each
// the only user of the schema of its name: a sidecar logs in as its app's
// store and cannot read another's.
var StoreRoles = map[string]string{
	contracts.AppOrder:   contracts.OrderStore,
	contracts.AppStock:   contracts.StockStore,
	contracts.AppPayment: contracts.PaymentStore,
}

// Started reports whether this stack started the server (and so stops it).
func (p *Postgres) Started() bool { return p.process() != nil }

func (p *Postgres) process() *Proc {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proc
}

// Stop stops the server if this stack started it.
func (p *Postgres) Stop() {
	if proc := p.process(); proc != nil {
		proc.Stop(10 * time.Second)
	}
}

// launch starts the server with the flags of its first start, on the same
// data folder.
func (p *Postgres) launch() (*Proc, error) {
	proc, err := startProcAs("postgres", p.bin, p.args, nil, p.log, p.cred)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.proc = proc
	p.mu.Unlock()
	return proc, nil
}

// Ping reports whether the server takes the administrator's login.
func (p *Postgres) Ping(ctx context.Context) error {
	c, err := pgx.Connect(ctx, p.admin.String())
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	return c.Ping(ctx)
}

// Connect logs in to the stores' database as role with password.
func (p *Postgres) Connect(ctx context.Context, role, password string) (*pgx.Conn, error) {
	u := *p.admin
	u.User = url.UserPassword(role, password)
	u.Path = "/" + p.Database
	return pgx.Connect(ctx, u.String())
}

// UseOrStartPostgres uses the PostgreSQL of adminURL when it is set (an
// administrator's URL: its database holds the stores' schemas); otherwise
// it starts a server of its own on addr (see StartPostgres).
func UseOrStartPostgres(ctx context.Context, adminURL, addr, password, dir string, persist bool, log io.Writer) (*Postgres, error) {
	if adminURL == "" {
		if listening(addr) {
			return nil, fmt.Errorf("something listens on %s already: set POSTGRES_URL to an administrator's URL of that PostgreSQL, or POSTGRES_ADDR to a free address for one of this run", addr)
		}
		return StartPostgres(ctx, addr, password, dir, persist, log)
	}
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, errors.New("POSTGRES_URL: want postgres://user:password@host:port/database")
	}
	p := &Postgres{Addr: u.Host, Database: StoreDatabase, admin: u}
	if db := u.Path; len(db) > 1 {
		p.Database = db[1:]
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := p.Ping(pingCtx); err != nil {
		return nil, fmt.Errorf("the PostgreSQL of POSTGRES_URL: %w", err)
	}
	return p, nil
}

// StartPostgres starts a PostgreSQL server of its own (Debian's, installed
// when it can be) on addr, with its data in dir, created by initdb on its
// first start. Its only superuser logs in with password, which initdb
// reads from a file, never from the command line; every login, on TCP
// only (no Unix socket), needs a password (scram-sha-256). Run by root,
// the server runs as the postgres user, which owns dir.
//
// Without persist the server does not fsync: what it committed survives
// the kill of any of its processes, since the kernel holds its writes,
// and only a crash of the machine loses the last of them.
func StartPostgres(ctx context.Context, addr, password, dir string, persist bool, log io.Writer) (*Postgres, error) {
	bins, err := postgresBin(log)
	if err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("POSTGRES_ADDR %q: %w", addr, err)
	}
	if password == "" {
		return nil, errors.New("a PostgreSQL of the stack needs a password")
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := initPostgres(bins, data, password, persist, cred, log); err != nil {
		return nil, err
	}
	// Logins over TCP with a password, and nothing else.
	hba := "# TYPE DATABASE USER ADDRESS METHOD\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n"
	if err := writeOwned(filepath.Join(data, "pg_hba.conf"), hba, cred); err != nil {
		return nil, err
	}
	fsync := "on"
	if !persist {
		fsync = "off"
	}
	p := &Postgres{
		Addr: addr, Database: StoreDatabase,
		admin: &url.URL{Scheme: "postgres", User: url.UserPassword(adminUser, password), Host: addr, Path: "/postgres", RawQuery: "sslmode=disable&connect_timeout=2"},
		bin:   filepath.Join(bins, "postgres"), cred: cred, log: log,
		args: []string{"-D", data, "-c", "listen_addresses=" + host, "-c", "port=" + port,
			"-c", "unix_socket_directories=", "-c", "fsync=" + fsync, "-c", "max_connections=200",
			"-c", "log_min_messages=warning", "-c", "log_connections=off", "-c", "password_encryption=scram-sha-256"},
	}
	proc, err := p.launch()
	if err != nil {
		return nil, err
	}
	if err := waitFor(ctx, 30*time.Second, func(ctx context.Context) error {
		if proc.Exited() {
			return stopWaiting{fmt.Errorf("postgres exited with code %d", proc.ExitCode())}
		}
		return p.Ping(ctx)
	}); err != nil {
		p.Stop()
		return nil, fmt.Errorf("postgres at %s: %w", addr, err)
	}
	return p, nil
}

// initPostgres makes the data folder of a new server, unless it holds one.
func initPostgres(bins, data, password string, persist bool, cred *syscall.Credential, log io.Writer) error {
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err == nil {
		return nil
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	if err := chownTo(data, cred); err != nil {
		return err
	}
	if err := reachable(filepath.Dir(data)); err != nil {
		return err
	}
	pwfile := filepath.Join(filepath.Dir(data), "initdb-password")
	if err := writeOwned(pwfile, password, cred); err != nil {
		return err
	}
	defer os.Remove(pwfile)
	args := []string{"-D", data, "-U", adminUser, "--pwfile", pwfile, "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8"}
	if !persist {
		args = append(args, "--no-sync")
	}
	cmd := exec.Command(filepath.Join(bins, "initdb"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", data, err, out)
	}
	fmt.Fprintf(log, "postgres    | a new server's data in %s\n", data)
	return nil
}

// PrepareStores makes, in the stores' database, a schema for each store
// of StoreRoles owned by a login role of its name with its password
// (passwords by app), and takes from everyone else the right to connect
// to any database of the server or to use another's schema. It can be
// run again, and sets the passwords again.
func (p *Postgres) PrepareStores(ctx context.Context, passwords map[string]string) error {
	c, err := pgx.Connect(ctx, p.admin.String())
	if err != nil {
		return err
	}
	var exists bool
	if err := c.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", p.Database).Scan(&exists); err != nil {
		c.Close(ctx)
		return err
	}
	if !exists {
		if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{p.Database}.Sanitize()); err != nil {
			c.Close(ctx)
			return fmt.Errorf("create database %s: %w", p.Database, err)
		}
	}
	c.Close(ctx)

	u := *p.admin
	u.Path = "/" + p.Database
	if c, err = pgx.Connect(ctx, u.String()); err != nil {
		return err
	}
	defer c.Close(context.Background())
	db := pgx.Identifier{p.Database}.Sanitize()
	stmts := []string{
		"REVOKE ALL ON DATABASE " + db + " FROM PUBLIC",
		"REVOKE ALL ON SCHEMA public FROM PUBLIC",
	}
	if p.Started() {
		stmts = append(stmts, "REVOKE ALL ON DATABASE postgres FROM PUBLIC", "REVOKE ALL ON DATABASE template1 FROM PUBLIC")
	}
	for _, app := range slices.Sorted(maps.Keys(StoreRoles)) {
		role := pgx.Identifier{StoreRoles[app]}.Sanitize()
		password := passwords[app]
		if password == "" {
			return fmt.Errorf("no password for the store of %s", app)
		}
		var found bool
		if err := c.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", StoreRoles[app]).Scan(&found); err != nil {
			return err
		}
		if !found {
			stmts = append(stmts, "CREATE ROLE "+role+" LOGIN")
		}
		stmts = append(stmts,
			"ALTER ROLE "+role+" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD "+quoteLiteral(password),
			"GRANT CONNECT ON DATABASE "+db+" TO "+role,
			"CREATE SCHEMA IF NOT EXISTS "+role+" AUTHORIZATION "+role,
			"REVOKE ALL ON SCHEMA "+role+" FROM PUBLIC")
	}
	for _, stmt := range stmts {
		if _, err := c.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("prepare the stores' schemas: %w", err)
		}
	}
	return nil
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}

// postgresBin is the folder of Debian's PostgreSQL binaries, installing
// them when it can.
func postgresBin(log io.Writer) (string, error) {
	find := func() string {
		dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
		for _, d := range dirs {
			if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
				return d
			}
		}
		return ""
	}
	if d := find(); d != "" {
		return d, nil
	}
	if err := installPackage("postgresql", log); err != nil {
		return "", fmt.Errorf("PostgreSQL is not installed: %w (or set POSTGRES_URL to a running PostgreSQL)", err)
	}
	if d := find(); d != "" {
		return d, nil
	}
	return "", errors.New("the postgresql package installed no /usr/lib/postgresql/*/bin/postgres")
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// serverCredential is whom the server runs as: the postgres user when the
// stack runs as root (PostgreSQL refuses root), else nobody else.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL does not run as root, and there is no postgres user to run it as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// chownTo gives path to the server's user, when it runs as another.
func chownTo(path string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	return os.Chown(path, int(cred.Uid), int(cred.Gid))
}

// writeOwned writes a file only the server's user reads.
func writeOwned(path, content string, cred *syscall.Credential) error {
	if err := writePrivate(path, content); err != nil {
		return err
	}
	return chownTo(path, cred)
}

// reachable lets other users pass through dir and the folders above it
// (search only, no listing), so that a server running as another user
// reaches its data folder inside them.
func reachable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, fi.Mode().Perm()|0o011); err != nil {
				return fmt.Errorf("let the postgres user reach %s: %w", dir, err)
			}
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}
