package stack

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
)

// samplingRateLine is the samplingRate of a Configuration's tracing: its
// key, indented, then its value.
var samplingRateLine = regexp.MustCompile(`(?m)^(\s+samplingRate:)\s*"?([^"\s#]*)"?`)

// SamplingRate is the tracing samplingRate of the sidecars' Configuration
// file, which the services are given as TRACE_SAMPLING_RATE so that the
// traces they start are sampled at the same rate. A Configuration without
// one samples at daprd's default, 1 in 10,000.
func SamplingRate(configFile string) (string, error) {
	b, err := os.ReadFile(configFile)
	if err != nil {
		return "", err
	}
	m := samplingRateLine.FindSubmatch(b)
	if m == nil {
		return "0.0001", nil
	}
	rate := string(m[2])
	if v, err := strconv.ParseFloat(rate, 64); err != nil || v < 0 || v > 1 {
		return "", fmt.Errorf("%s: samplingRate %q is not a number from 0 to 1", configFile, rate)
	}
	return rate, nil
}

// WithSamplingRate writes to out a copy of the Configuration file with rate
// as its tracing samplingRate, and returns out.
func WithSamplingRate(configFile, rate, out string) (string, error) {
	b, err := os.ReadFile(configFile)
	if err != nil {
		return "", err
	}
	if !samplingRateLine.Match(b) {
		return "", fmt.Errorf("%s names no tracing samplingRate", configFile)
	}
	return out, os.WriteFile(out, samplingRateLine.ReplaceAll(b, []byte(`${1} "`+rate+`"`)), 0o644)
}
