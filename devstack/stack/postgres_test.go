package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestAPostgreSQLStartedAgainKeepsItsDataAndTakesTheNewPasswords starts a
// server as `make run STATE=postgres` does, twice on one folder: the
// second start finds the data of the first, and preparing the stores
// again sets the passwords of this run, the old ones refused.
func TestAPostgreSQLStartedAgainKeepsItsDataAndTakesTheNewPasswords(t *testing.T) {
	dir := t.TempDir()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first := map[string]string{"order-svc": "o1", "stock-svc": "s1", "payment-svc": "p1"}
	second := map[string]string{"order-svc": "o2", "stock-svc": "s2", "payment-svc": "p2"}

	pg, err := StartPostgres(ctx, addr, "admin-1", dir, true, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := pg.PrepareStores(ctx, first); err != nil {
		pg.Stop()
		t.Fatal(err)
	}
	c, err := pg.Connect(ctx, "stockstore", "s1")
	if err != nil {
		pg.Stop()
		t.Fatal(err)
	}
	_, err = c.Exec(ctx, "CREATE TABLE stockstore.kept (v text); INSERT INTO stockstore.kept VALUES ('from the first run')")
	c.Close(ctx)
	pg.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if cmdline := pg.args; strings.Contains(strings.Join(cmdline, " "), "admin-1") {
		t.Fatalf("the server's command line holds its password: %v", cmdline)
	}
	if _, err := os.Stat(filepath.Join(dir, "initdb-password")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the password file given to initdb is still there: %v", err)
	}

	// The superuser's password is the one of the first start: initdb
	// set it, and a later start does not change it.
	pg, err = StartPostgres(ctx, addr, "admin-1", dir, true, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Stop()
	if err := pg.PrepareStores(ctx, second); err != nil {
		t.Fatal(err)
	}
	if _, err := pg.Connect(ctx, "stockstore", "s1"); !refused(err, "28P01") {
		t.Fatalf("the first run's password: %v, want a refusal", err)
	}
	c, err = pg.Connect(ctx, "stockstore", "s2")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var v string
	if err := c.QueryRow(ctx, "SELECT v FROM stockstore.kept").Scan(&v); err != nil || v != "from the first run" {
		t.Fatalf("the first run's row: %q, %v", v, err)
	}
	if _, err := c.Exec(ctx, "SELECT 1 FROM orderstore.state"); !refused(err, "42501") {
		t.Fatalf("stockstore reads orderstore's schema: %v", err)
	}
}

func refused(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}
