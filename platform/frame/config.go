package frame

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Config is what every service reads from its environment.
type Config struct {
	Name         string // app id
	BindAddress  string // BIND_ADDRESS: the address to listen on, 127.0.0.1 unless set
	Port         int    // PORT
	DaprGRPCPort int    // DAPR_GRPC_PORT, set by the sidecar injector or the local runner
	LogLevel     string // LOG_LEVEL
	PprofAddr    string // PPROF_ADDR: where to serve the Go profiler; off when empty
	// AppToken (APP_API_TOKEN) is what the sidecar sends with each call,
	// and the only proof that a delivery comes from it.
	AppToken string
	// DaprToken (DAPR_API_TOKEN) is what the sidecar asks of each call to
	// its API.
	DaprToken string
	// AdminToken (ADMIN_TOKEN) is the bearer token of the routes that change
	// the catalog or a wallet, in the services that have them.
	AdminToken string
	// TraceSamplingRate (TRACE_SAMPLING_RATE, 0 to 1, 1 when unset) is the
	// share of the traces the service starts that are sampled: the
	// samplingRate of the sidecars' Configuration, which it must match.
	TraceSamplingRate float64
	// BulkSubscribe (BULK_SUBSCRIBE, 0 when unset) is how many messages
	// the sidecar may deliver in one request; 0 delivers each alone (see
	// pubsub.Router.ReceiveInBulk).
	BulkSubscribe int
}

// LoadConfig reads the common settings, with defaultPort for PORT.
func LoadConfig(name string, defaultPort int) (Config, error) {
	port, err := EnvInt("PORT", defaultPort)
	if err != nil {
		return Config{}, err
	}
	grpcPort, err := EnvInt("DAPR_GRPC_PORT", 50001)
	if err != nil {
		return Config{}, err
	}
	rate, err := envRate("TRACE_SAMPLING_RATE", 1)
	if err != nil {
		return Config{}, err
	}
	bulk, err := EnvInt("BULK_SUBSCRIBE", 0)
	if err != nil || bulk < 0 {
		return Config{}, fmt.Errorf("BULK_SUBSCRIBE=%q: not a count of messages", os.Getenv("BULK_SUBSCRIBE"))
	}
	bind := os.Getenv("BIND_ADDRESS")
	if bind == "" {
		bind = "127.0.0.1"
	}
	return Config{
		Name: name, BindAddress: bind, Port: port, DaprGRPCPort: grpcPort,
		LogLevel: os.Getenv("LOG_LEVEL"), PprofAddr: os.Getenv("PPROF_ADDR"),
		AppToken: os.Getenv("APP_API_TOKEN"), DaprToken: os.Getenv("DAPR_API_TOKEN"), AdminToken: os.Getenv("ADMIN_TOKEN"),
		TraceSamplingRate: rate, BulkSubscribe: bulk,
	}, nil
}

// envRate reads a share from 0 to 1, def when unset.
func envRate(key string, def float64) (float64, error) {
	s := os.Getenv(key)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 1 {
		return 0, fmt.Errorf("%s=%q: not a number from 0 to 1", key, s)
	}
	return v, nil
}

// check refuses a configuration that would leave the service open: with no
// app token anyone could deliver events, with no API token anyone could
// call the sidecar.
func (c Config) check() error {
	switch {
	case c.AppToken == "":
		return errors.New("APP_API_TOKEN is not set: deliveries could not be told from forgeries")
	case c.DaprToken == "":
		return errors.New("DAPR_API_TOKEN is not set: the sidecar's API would be open to anyone")
	}
	return nil
}

// RequireAdminToken refuses to start a service whose admin routes would
// have no token, after the tokens every service needs (see check).
func (c Config) RequireAdminToken() error {
	if err := c.check(); err != nil {
		return err
	}
	if c.AdminToken == "" {
		return errors.New("ADMIN_TOKEN is not set: the admin routes would be open to anyone")
	}
	return nil
}

// EnvInt reads an integer variable, def when unset, failing on garbage.
func EnvInt(key string, def int) (int, error) {
	v, err := EnvInt64(key, int64(def))
	return int(v), err
}

// EnvInt64 reads a 64-bit integer variable, def when unset.
func EnvInt64(key string, def int64) (int64, error) {
	s := os.Getenv(key)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: not an integer", key, s)
	}
	return v, nil
}

// EnvDuration reads a duration variable ("90s", "2m"), def when unset.
func EnvDuration(key string, def time.Duration) (time.Duration, error) {
	s := os.Getenv(key)
	if s == "" {
		return def, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: not a duration", key, s)
	}
	return v, nil
}
