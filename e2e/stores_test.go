package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	dapr "github.com/dapr/go-sdk/client"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
	"github.com/example/order-saga/platform/statestore/storetest"
)

// The state stores swap by their component files alone (dapr/stores/):
// the saga's cases, its poison and dead-letter cases and the store probes
// of the security suite run here on PostgreSQL as the other tests run them
// on Redis; the conservation test and the fault run take the store as a
// parameter.

// TestTheStoreContractHoldsOnRedis checks, through stock-svc's sidecar,
// that state.redis keeps the contract the services' store needs of it.
func TestTheStoreContractHoldsOnRedis(t *testing.T) {
	t.Parallel()
	storetest.Conformance(t, sidecarClient(t, shared, contracts.AppStock), contracts.StockStore, "conformance-"+uid())
}

// TestTheSagaRunsTheSameOnPostgreSQL runs beside the tests of the shared
// stack, on a stack of its own.
func TestTheSagaRunsTheSameOnPostgreSQL(t *testing.T) {
	t.Parallel()
	s := ownStack(t, stack.Options{State: "postgres"})
	t.Run("the store contract holds on state.postgresql", func(t *testing.T) {
		storetest.Conformance(t, sidecarClient(t, s, contracts.AppStock), contracts.StockStore, "conformance-"+uid())
	})
	runSagaCases(t, s, sagaCases)
	runSagaCases(t, s, []sagaCase{
		{"a message that can never succeed is dead-lettered and its order still ends", aMessageThatCanNeverSucceedIsDeadLetteredAndItsOrderStillEnds},
		{"an event given up on is kept, listed and sent again once", anEventGivenUpOnIsKeptListedAndSentAgainOnce},
		{"security: sidecars serve only the allowed APIs within their scopes", sidecarsServeOnlyTheAllowedAPIsWithinTheirScopes},
		{"security: PostgreSQL refuses whoever is not the store's own role", postgresRefusesWhoeverIsNotTheStoresRole},
		{"security: nothing of the stack listens beyond loopback", nothingOfTheStackListensBeyondLoopback},
	})
}

// sidecarClient is a Dapr client of an instance's sidecar, with its API
// token.
func sidecarClient(t *testing.T, s *stack.Stack, inst string) dapr.Client {
	t.Helper()
	c, err := dapr.NewClientWithAddress(net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Ports[inst].DaprGRPC)))
	if err != nil {
		t.Fatal(err)
	}
	c.WithAuthToken(s.Tokens.DaprAPI)
	t.Cleanup(c.Close)
	return c
}

// Writes behind the sidecars' back, as a bug or an operator could make
// them, on whichever store the stack keeps its state. A key is stored as
// Dapr keeps it: the app id, "||", the key.

// putRaw stores value, as it is, at an app's key.
func putRaw(t *testing.T, s *stack.Stack, app, key, value string) {
	t.Helper()
	if s.Postgres == nil {
		c := s.Redis.Client()
		defer c.Close()
		if err := c.HSet(context.Background(), app+"||"+key, "data", value, "version", "1").Err(); err != nil {
			t.Fatal(err)
		}
		return
	}
	execAsStore(t, s, app, `INSERT INTO %s.state (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = $2, etag = gen_random_uuid(), updated_at = now(), expires_at = NULL`,
		app+"||"+key, []byte(value))
}

// getRaw reads the value at an app's key, as it is.
func getRaw(t *testing.T, s *stack.Stack, app, key string) (string, bool) {
	t.Helper()
	return readRaw(t, s, app, key, false)
}

// rawETag is the ETag of an app's key as its store keeps it.
func rawETag(t *testing.T, s *stack.Stack, app, key string) string {
	t.Helper()
	etag, found := readRaw(t, s, app, key, true)
	if !found {
		t.Fatalf("%s's %s is not stored", app, key)
	}
	return etag
}

// readRaw reads the value at an app's key, or with etag its ETag.
func readRaw(t *testing.T, s *stack.Stack, app, key string, etag bool) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s.Postgres == nil {
		field := "data"
		if etag {
			field = "version"
		}
		c := s.Redis.Client()
		defer c.Close()
		v, err := c.HGet(ctx, app+"||"+key, field).Result()
		if errors.Is(err, redis.Nil) {
			return "", false
		}
		if err != nil {
			t.Fatal(err)
		}
		return v, true
	}
	column := "value"
	if etag {
		column = "etag::text::bytea"
	}
	var v []byte
	err := storeConn(t, s, app).QueryRow(ctx, fmt.Sprintf("SELECT %s FROM %s.state WHERE key = $1", column, stack.StoreRoles[app]), app+"||"+key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(v), true
}

// deleteRaw removes an app's key.
func deleteRaw(t *testing.T, s *stack.Stack, app, key string) {
	t.Helper()
	if s.Postgres == nil {
		c := s.Redis.Client()
		defer c.Close()
		if err := c.Del(context.Background(), app+"||"+key).Err(); err != nil {
			t.Fatal(err)
		}
		return
	}
	execAsStore(t, s, app, `DELETE FROM %s.state WHERE key = $1`, app+"||"+key)
}

// execAsStore runs a statement, whose %s is the store's schema, as the
// role of app's store.
func execAsStore(t *testing.T, s *stack.Stack, app, stmt string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := storeConn(t, s, app).Exec(ctx, fmt.Sprintf(stmt, stack.StoreRoles[app]), args...); err != nil {
		t.Fatal(err)
	}
}

// storeConn logs in to PostgreSQL as the role of app's store.
func storeConn(t *testing.T, s *stack.Stack, app string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := s.Postgres.Connect(ctx, stack.StoreRoles[app], s.Tokens.StorePasswords()[app])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// postgresRefusesWhoeverIsNotTheStoresRole tries the database the way an
// attacker on the machine, or a compromised sidecar, would.
func postgresRefusesWhoeverIsNotTheStoresRole(t *testing.T, s *stack.Stack) {
	passwords := s.Tokens.StorePasswords()
	login := func(user, password, database string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable&connect_timeout=3", user, s.Postgres.Addr, database))
		if err != nil {
			return err
		}
		cfg.Password = password
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return err
		}
		return c.Close(ctx)
	}
	refusals := []struct {
		name, user, password, database, code string
	}{
		{"the superuser without a password", "postgres", "", s.Postgres.Database, "28P01"},
		{"the superuser with the API token for a password", "postgres", s.Tokens.DaprAPI, "postgres", "28P01"},
		{"stock-svc's role with payment-svc's password", contracts.StockStore, passwords[contracts.AppPayment], s.Postgres.Database, "28P01"},
		{"order-svc's role with a wrong password", contracts.OrderStore, "wrong", s.Postgres.Database, "28P01"},
		{"stock-svc's role on the server's own database", contracts.StockStore, passwords[contracts.AppStock], "postgres", "42501"},
	}
	for _, r := range refusals {
		t.Run("a login as "+r.name+" is refused", func(t *testing.T) {
			err := login(r.user, r.password, r.database)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != r.code {
				t.Fatalf("login: %v, want the server's refusal %s", err, r.code)
			}
		})
	}
	reads := []struct{ name, stmt string }{
		{"stock-svc's role reads payment-svc's wallets", "SELECT count(*) FROM paymentstore.state"},
		{"stock-svc's role writes a wallet into payment-svc's store", "INSERT INTO paymentstore.state (key, value) VALUES ('payment-svc||wallet-x', '{}')"},
		{"stock-svc's role reads order-svc's orders", "SELECT count(*) FROM orderstore.state"},
		{"stock-svc's role makes a table in the public schema", "CREATE TABLE public.stolen (v text)"},
	}
	conn := storeConn(t, s, contracts.AppStock)
	for _, r := range reads {
		t.Run(r.name+": permission denied", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := conn.Exec(ctx, r.stmt)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
				t.Fatalf("%s: %v, want permission denied (42501)", r.stmt, err)
			}
		})
	}
	t.Run("no sidecar holds another store's password or the superuser's, and no command line holds a password", func(t *testing.T) {
		secrets := map[string]string{"POSTGRES_PASSWORD": s.Tokens.PostgresPassword}
		for app, p := range passwords {
			secrets[strings.ToUpper(stack.StoreRoles[app])+"_PASSWORD"] = p
		}
		for name, pid := range s.Pids() {
			environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
			if err != nil {
				t.Fatal(err)
			}
			cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if err != nil {
				t.Fatal(err)
			}
			for secret, value := range secrets {
				if strings.Contains(string(cmdline), value) {
					t.Errorf("the command line of %s holds %s", name, secret)
				}
				app, _ := s.AppOf(strings.TrimSuffix(name, "/dapr"))
				own := strings.HasSuffix(name, "/dapr") && secret == strings.ToUpper(stack.StoreRoles[app])+"_PASSWORD"
				if !own && strings.Contains(string(environ), value) {
					t.Errorf("the environment of %s holds %s", name, secret)
				}
			}
		}
	})
}
