package stack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tests set the four variables, so they do not run in parallel.
var tokenVars = []string{"ADMIN_TOKEN", "APP_API_TOKEN", "DAPR_API_TOKEN", "REDIS_PASSWORD", "POSTGRES_PASSWORD", "ORDERSTORE_PASSWORD", "STOCKSTORE_PASSWORD", "PAYMENTSTORE_PASSWORD"}

func unsetTokenVars(t *testing.T) {
	t.Helper()
	for _, name := range tokenVars {
		t.Setenv(name, "")
	}
}

func TestAFirstRunDrawsEveryTokenAndWritesThemForTheOwnerOnly(t *testing.T) {
	unsetTokenVars(t)
	path := filepath.Join(t.TempDir(), "run", "tokens.env")

	tokens, err := RunTokens(path)
	if err != nil {
		t.Fatal(err)
	}

	seen := map[string]bool{}
	for _, v := range tokens.byName() {
		if len(*v.value) != 64 || seen[*v.value] {
			t.Errorf("%s is %q: want 64 hex digits, unlike the others", v.name, *v.value)
		}
		seen[*v.value] = true
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("the file has mode %o, want 600", mode)
	}
	b, _ := os.ReadFile(path)
	for _, v := range tokens.byName() {
		if line := "export " + v.name + "=" + *v.value + "\n"; !strings.Contains(string(b), line) {
			t.Errorf("the file lacks %q:\n%s", line, b)
		}
	}
}

func TestTheNextRunReusesTheFileExceptWhatTheEnvironmentSets(t *testing.T) {
	unsetTokenVars(t)
	path := filepath.Join(t.TempDir(), "tokens.env")
	first, err := RunTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	// A file another hand made more readable is made private again.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ADMIN_TOKEN", "from-the-environment")

	next, err := RunTokens(path)
	if err != nil {
		t.Fatal(err)
	}

	want := first
	want.Admin = "from-the-environment"
	if next != want {
		t.Fatalf("next run has %+v, want %+v", next, want)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("the file has mode %o, want 600", info.Mode().Perm())
	}
	// What the run used is what the file says.
	unsetTokenVars(t)
	if saved, err := LoadTokens(path); err != nil || saved != want {
		t.Fatalf("the file holds %+v (%v), want %+v", saved, err, want)
	}
}

func TestTokensComeFromTheEnvironmentWhenThereIsNoFile(t *testing.T) {
	unsetTokenVars(t)
	t.Setenv("ADMIN_TOKEN", "admin")

	got, err := LoadTokens(filepath.Join(t.TempDir(), "none.env"))

	if err != nil || got != (Tokens{Admin: "admin"}) {
		t.Fatalf("got %+v (%v), want only the admin token", got, err)
	}
}

func TestEachProcessIsGivenTheTokensItUses(t *testing.T) {
	t.Parallel()
	tokens := Tokens{Admin: "a", AppAPI: "b", DaprAPI: "c", RedisPassword: "d", PostgresPassword: "e", OrderStore: "f", StockStore: "g", PaymentStore: "h"}
	for _, tc := range []struct {
		name string
		env  []string
		want []string
	}{
		{"order-svc's sidecar", tokens.sidecarEnv("order-svc"), []string{"APP_API_TOKEN=b", "DAPR_API_TOKEN=c", "REDIS_PASSWORD=d", "ORDERSTORE_PASSWORD=f"}},
		{"stock-svc's sidecar", tokens.sidecarEnv("stock-svc"), []string{"APP_API_TOKEN=b", "DAPR_API_TOKEN=c", "REDIS_PASSWORD=d", "STOCKSTORE_PASSWORD=g"}},
		{"payment-svc's sidecar", tokens.sidecarEnv("payment-svc"), []string{"APP_API_TOKEN=b", "DAPR_API_TOKEN=c", "REDIS_PASSWORD=d", "PAYMENTSTORE_PASSWORD=h"}},
		{"a probe's sidecar", tokens.sidecarEnv("job-probe"), []string{"APP_API_TOKEN=b", "DAPR_API_TOKEN=c", "REDIS_PASSWORD=d"}},
		{"order-svc", tokens.appEnv("order-svc"), []string{"APP_API_TOKEN=b", "DAPR_API_TOKEN=c", "ADMIN_TOKEN=a"}},
		{"a probe", tokens.appEnv("job-probe"), []string{"APP_API_TOKEN=b", "DAPR_API_TOKEN=c"}},
		{"stock-svc", tokens.appEnv("stock-svc"), []string{"APP_API_TOKEN=b", "DAPR_API_TOKEN=c", "ADMIN_TOKEN=a"}},
		{"payment-svc", tokens.appEnv("payment-svc"), []string{"APP_API_TOKEN=b", "DAPR_API_TOKEN=c", "ADMIN_TOKEN=a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Join(tc.env, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("env %q, want %q", tc.env, tc.want)
			}
		})
	}
}
