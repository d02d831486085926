package k8se2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/example/order-saga/devcluster"
)

// The saga on the PostgreSQL state stores of k8s/components/postgres:
// the switch of the running cluster to k8s/overlays/kind-postgres, and what
// the tests read of the database.

// postgresPod is the one pod of the PostgreSQL StatefulSet.
const postgresPod = "postgres-0"

// stores are the state stores on PostgreSQL: each a role, a schema and a
// Secret <store>-postgres of that name.
var stores = []string{"orderstore", "stockstore", "paymentstore"}

// switchToPostgres applies the kind overlay with the state stores on
// PostgreSQL to the running saga, as a user would apply it over kind, and
// waits until PostgreSQL is Ready and each service runs only pods started
// since: the Deployments roll out, since their init container now waits
// for PostgreSQL too, and a sidecar reads its Components when it starts
// (hot reload is off), so no pod ever serves on both stores. The logs of
// the pods replaced are followed until they end. A product put before the
// switch, in Redis, must then be unknown. It returns the replicas of each
// service.
func (s *saga) switchToPostgres(t *testing.T) map[string]int {
	t.Helper()
	ctx := t.Context()
	replicas := map[string]int{}
	old := map[string]bool{}
	for _, svc := range devcluster.Services {
		replicas[svc.Name] = s.replicas(t, svc.Name)
		pods, err := s.servicePods(ctx, svc.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pods {
			if err := s.follow(ctx, p.name()); err != nil {
				t.Fatal(err)
			}
			old[p.name()] = true
		}
	}
	inRedis := "p-" + uid()
	s.api.putProduct(t, inRedis, 100, 1)

	start := time.Now()
	if err := s.c.Apply(ctx, devcluster.OverlayPostgres); err != nil {
		t.Fatal(err)
	}
	if err := s.c.WaitRolledOut(ctx, 4*time.Minute); err != nil {
		diagnose(ctx, s.c)
		t.Fatal(err)
	}
	for _, svc := range devcluster.Services {
		pods, err := s.serving(ctx, svc.Name, replicas[svc.Name], 2*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pods {
			if old[p.name()] {
				t.Fatalf("%s: pod %s, from before the switch, still runs", svc.Name, p.name())
			}
		}
	}
	pg, err := s.pods(ctx, devcluster.Namespace, "app.kubernetes.io/name=postgres")
	if err != nil || len(pg) != 1 || !pg[0].ready() {
		t.Fatalf("want one Ready pod of PostgreSQL, have %d (%v)", len(pg), err)
	}
	ready, _ := pg[0].readySince()
	t.Logf("applied %s: %s Ready %.1fs after the apply, every service on new pods %.1fs after it",
		devcluster.OverlayPostgres, pg[0].name(), ready.Sub(start).Seconds(), time.Since(start).Seconds())

	r, _, err := s.api.callUntil(ctx, 30*time.Second, http.MethodGet, serviceURL(stockSvc)+"/products/"+inRedis, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusNotFound {
		t.Errorf("product %s, put in Redis before the switch: %d %s, want 404 from the stores on PostgreSQL", inRedis, r.status, r.body)
	}
	return replicas
}

// psql runs one SQL command in the PostgreSQL pod, over TCP as a store
// would, as role with password, given on psql's standard input (never on
// a command line), and returns what it printed, unaligned, and whether it
// ran.
func (s *saga) psql(ctx context.Context, role, password, command string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	script := `IFS= read -r PGPASSWORD && export PGPASSWORD && exec psql --no-psqlrc --no-align --tuples-only --field-separator=' ' --host=127.0.0.1 --dbname=saga --username="$1" --command="$2"`
	out, errOut, err := s.kubectl(ctx, []byte(password+"\n"), "exec", "-i", "-n", devcluster.Namespace, postgresPod, "-c", "postgres", "--",
		"sh", "-c", script, "psql", role, command)
	if err != nil {
		return strings.TrimSpace(string(out) + string(errOut)), err
	}
	return strings.TrimSpace(string(out)), nil
}

// checkStoresInTheirSchemas reads the database: each store's role finds
// its rows in the table its Component made in its schema; and, as the
// superuser sees it, each schema is its role's and usable by no other role
// that can log in, and the database saga is the only one they may connect
// to. (A refused read or a wrong password would be logged as an error, which
// the last test counts: the image's own test shows those refusals, in
// devcluster/images.)
func (s *saga) checkStoresInTheirSchemas(t *testing.T) {
	ctx := t.Context()
	for _, store := range stores {
		password, err := devSecret(s.repo, store+"-postgres", "password")
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.psql(ctx, store, password, fmt.Sprintf("SELECT count(*) FROM %s.state", store))
		if err != nil {
			t.Fatalf("%s reading its own schema: %v", store, err)
		}
		if n, err := strconv.Atoi(out); err != nil || n == 0 {
			t.Errorf("%s.state holds %q rows, want the saga's state", store, out)
		} else {
			t.Logf("%s.state: %d rows, read by the role %s", store, n, store)
		}
	}
	superuser, err := devSecret(s.repo, "postgres-auth", "password")
	if err != nil {
		t.Fatal(err)
	}
	// One line per schema and per database: who owns it, which roles that
	// may log in (the superuser aside) may use it or connect to it, and a
	// schema's tables.
	out, err := s.psql(ctx, "postgres", superuser, `
WITH logins AS (SELECT oid, rolname FROM pg_roles WHERE rolcanlogin AND NOT rolsuper)
SELECT 'schema ' || n.nspname || ' of ' || pg_get_userbyid(n.nspowner)
    || ', used by ' || coalesce((SELECT string_agg(rolname, ',' ORDER BY rolname) FROM logins WHERE has_schema_privilege(logins.oid, n.oid, 'USAGE')), 'none')
    || ', tables ' || coalesce((SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = n.oid AND relkind = 'r'), 'none')
  FROM pg_namespace n WHERE n.nspname IN ('orderstore', 'stockstore', 'paymentstore', 'public')
UNION ALL
SELECT 'database ' || d.datname
    || ', connected to by ' || coalesce((SELECT string_agg(rolname, ',' ORDER BY rolname) FROM logins WHERE has_database_privilege(logins.oid, d.oid, 'CONNECT')), 'none')
  FROM pg_database d WHERE d.datallowconn
ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out, "\n")
	want := []string{
		"database postgres, connected to by none",
		"database saga, connected to by orderstore,paymentstore,stockstore",
		"database template1, connected to by none",
		"schema public of pg_database_owner, used by none, tables none",
	}
	for _, store := range stores {
		want = append(want, "schema "+store+" of "+store+", used by "+store+", tables dapr_metadata,state")
	}
	slices.Sort(want)
	if !slices.Equal(lines, want) {
		t.Errorf("the database, as the superuser reads it:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
	t.Logf("the database, as the superuser reads it:\n%s", out)
}

// sslRequest is the first message a PostgreSQL client may send (8 bytes:
// length 8, code 80877103), as printf %b escapes; the server answers one
// byte, "N" when it does no TLS, and then waits for the startup message.
const sslRequest = `\0\0\0\0010\0004\0322\0026\0057`

// checkPostgresPolicy: a pod with the services' label reaches PostgreSQL,
// and one without it is refused by the network policy.
func (s *saga) checkPostgresPolicy(t *testing.T) {
	ns := devcluster.Namespace
	plain := s.startProbe(t, ns, "probe-pg-plain", map[string]string{"app.kubernetes.io/name": "policy-probe"})
	service := s.startProbe(t, ns, "probe-pg-service", map[string]string{"app.kubernetes.io/name": "policy-probe", "app.kubernetes.io/component": "service"})
	pods, err := s.pods(t.Context(), ns, "app.kubernetes.io/name=postgres")
	if err != nil || len(pods) != 1 {
		t.Fatalf("want one pod of PostgreSQL, have %d (%v)", len(pods), err)
	}
	pg := pods[0]
	// Reached first, so that the refusal after it is the policy's.
	service.reaches(t, pg.Status.PodIP, 5432, sslRequest, "N")
	t.Logf("%s/%s -> %s %s:5432: answered the SSLRequest", service.ns, service.name, pg.name(), pg.Status.PodIP)
	if plain.refused(t, pg, 5432) {
		t.Logf("%s/%s -> %s %s:5432: refused by its REJECT rule", plain.ns, plain.name, pg.name(), pg.Status.PodIP)
	}
}
