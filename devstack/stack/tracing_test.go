package stack

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTheServicesAreGivenTheSamplingRateOfTheSidecarsConfiguration(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, yaml, want string
		fails            bool
	}{
		{"a quoted rate", "spec:\n  tracing:\n    samplingRate: \"0.01\"\n", "0.01", false},
		{"a bare rate", "spec:\n  tracing:\n    samplingRate: 1\n", "1", false},
		{"no rate: daprd's default", "spec:\n  metric:\n    enabled: true\n", "0.0001", false},
		{"a rate above 1", "spec:\n  tracing:\n    samplingRate: \"2\"\n", "", true},
		{"a rate that is no number", "spec:\n  tracing:\n    samplingRate: \"all\"\n", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(f, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := SamplingRate(f)
			if (err != nil) != tc.fails || got != tc.want {
				t.Fatalf("SamplingRate = %q, %v; want %q, failing %v", got, err, tc.want, tc.fails)
			}
		})
	}
}

func TestTheRepositorysConfigurationHasARate(t *testing.T) {
	t.Parallel()
	if rate, err := SamplingRate(filepath.Join("..", "..", "dapr", "config.yaml")); err != nil || rate == "" {
		t.Fatalf("dapr/config.yaml: %q %v", rate, err)
	}
}

func TestACopyOfTheConfigurationTakesAnotherRate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(in, []byte("spec:\n  tracing:\n    samplingRate: \"1\"\n  metric:\n    enabled: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := WithSamplingRate(in, "0.01", filepath.Join(dir, "sampled.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if rate, err := SamplingRate(out); err != nil || rate != "0.01" {
		t.Fatalf("the copy samples at %q (%v), want 0.01", rate, err)
	}
	if rate, _ := SamplingRate(in); rate != "1" {
		t.Fatalf("the original now samples at %q", rate)
	}
	if _, err := WithSamplingRate(filepath.Join("..", "..", "dapr", "config.yaml"), "0.01", filepath.Join(dir, "repo.yaml")); err != nil {
		t.Fatalf("dapr/config.yaml: %v", err)
	}
}
