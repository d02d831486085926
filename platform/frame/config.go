package frame

import (
	"fmt"
	"os"
	"strconv"
)

// Config is what every service reads from its environment.
type Config struct {
	Name         string // app id
	Port         int    // PORT
	DaprGRPCPort int    // DAPR_GRPC_PORT, set by the sidecar injector or the local runner
	LogLevel     string // LOG_LEVEL
	PprofAddr    string // PPROF_ADDR: where to serve the Go profiler; off when empty
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
	return Config{Name: name, Port: port, DaprGRPCPort: grpcPort, LogLevel: os.Getenv("LOG_LEVEL"), PprofAddr: os.Getenv("PPROF_ADDR")}, nil
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
