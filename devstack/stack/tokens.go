package stack

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/example/order-saga/contracts"
)

// Tokens are the shared secrets of a stack: what a sidecar and its app
// show each other, the bearer token of the admin routes, the password of
// Redis, and under STATE=postgres those of PostgreSQL's superuser and of
// each store's role. Each is read by its process from the variable of its
// name.
type Tokens struct {
	Admin         string // ADMIN_TOKEN: the services' admin routes
	AppAPI        string // APP_API_TOKEN: what a sidecar sends its app
	DaprAPI       string // DAPR_API_TOKEN: what an app sends its sidecar
	RedisPassword string // REDIS_PASSWORD
	// POSTGRES_PASSWORD: the superuser of a PostgreSQL the stack starts,
	// whom only the runner logs in as.
	PostgresPassword string
	// ORDERSTORE_PASSWORD, STOCKSTORE_PASSWORD, PAYMENTSTORE_PASSWORD: the
	// role of each app's store; only that app's sidecar is given it.
	OrderStore, StockStore, PaymentStore string
}

// TokensFile is where `make run` keeps its tokens, relative to the
// repository root: `source .dev/run/tokens.env` exports them.
const TokensFile = ".dev/run/tokens.env"

func (t *Tokens) byName() []struct {
	name  string
	value *string
} {
	return []struct {
		name  string
		value *string
	}{
		{"ADMIN_TOKEN", &t.Admin},
		{"APP_API_TOKEN", &t.AppAPI},
		{"DAPR_API_TOKEN", &t.DaprAPI},
		{"REDIS_PASSWORD", &t.RedisPassword},
		{"POSTGRES_PASSWORD", &t.PostgresPassword},
		{"ORDERSTORE_PASSWORD", &t.OrderStore},
		{"STOCKSTORE_PASSWORD", &t.StockStore},
		{"PAYMENTSTORE_PASSWORD", &t.PaymentStore},
	}
}

// StorePasswords are the passwords of the stores' roles, by app.
func (t Tokens) StorePasswords() map[string]string {
	return map[string]string{contracts.AppOrder: t.OrderStore, contracts.AppStock: t.StockStore, contracts.AppPayment: t.PaymentStore}
}

// storePasswordVar is the variable of the password of app's store.
func storePasswordVar(app string) string {
	return strings.ToUpper(StoreRoles[app]) + "_PASSWORD"
}

// fill gives every empty token a fresh random value.
func (t *Tokens) fill() error {
	for _, v := range t.byName() {
		if *v.value != "" {
			continue
		}
		s, err := randomToken()
		if err != nil {
			return err
		}
		*v.value = s
	}
	return nil
}

// randomToken is 32 random bytes in hex: safe in a shell, a header and a
// URL as it is.
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// LoadTokens reads the tokens of a tokens file (none when it does not
// exist), each overridden by its variable when the environment sets it.
func LoadTokens(path string) (Tokens, error) {
	var t Tokens
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return t, err
	}
	saved := map[string]string{}
	lines := bufio.NewScanner(bytes.NewReader(b))
	for lines.Scan() {
		name, value, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(lines.Text()), "export "), "=")
		if ok {
			saved[name] = value
		}
	}
	for _, v := range t.byName() {
		*v.value = saved[v.name]
		if env := os.Getenv(v.name); env != "" {
			*v.value = env
		}
	}
	return t, nil
}

// RunTokens are the tokens of `make run`: each from the environment, else
// from the tokens file at path, else new; the file is then written with
// them, readable by its owner only.
func RunTokens(path string) (Tokens, error) {
	t, err := LoadTokens(path)
	if err != nil {
		return t, err
	}
	if err := t.fill(); err != nil {
		return t, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return t, err
	}
	var b strings.Builder
	b.WriteString("# The tokens of `make run`; `source` this file to use them in a shell.\n")
	for _, v := range t.byName() {
		fmt.Fprintf(&b, "export %s=%s\n", v.name, *v.value)
	}
	return t, writePrivate(path, b.String())
}

// writePrivate writes a file that only its owner may read, whatever the
// mode of the file it replaces.
func writePrivate(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return err
	}
	// WriteFile keeps the mode of a file that exists already.
	return os.Chmod(path, 0o600)
}

// sidecarEnv is what the sidecar of app is given: the tokens it checks
// and sends, and the secrets its local secret store serves: Redis's
// password, and the password of its app's store (no other).
func (t Tokens) sidecarEnv(app string) []string {
	env := []string{"APP_API_TOKEN=" + t.AppAPI, "DAPR_API_TOKEN=" + t.DaprAPI, "REDIS_PASSWORD=" + t.RedisPassword}
	if password := t.StorePasswords()[app]; password != "" {
		env = append(env, storePasswordVar(app)+"="+password)
	}
	return env
}

// appEnv is what an app is given: the tokens it checks and sends, and the
// admin token of its admin routes (each service keeps its dead letters).
func (t Tokens) appEnv(app string) []string {
	env := []string{"APP_API_TOKEN=" + t.AppAPI, "DAPR_API_TOKEN=" + t.DaprAPI}
	if contracts.DefaultPort(app) != 0 {
		env = append(env, "ADMIN_TOKEN="+t.Admin)
	}
	return env
}
