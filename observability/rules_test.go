package observability_test

import (
	"os/exec"
	"testing"

	"github.com/example/order-saga/devstack/stack"
)

func TestTheAlertRulesAreValidAndEachAlertIsUnitTested(t *testing.T) {
	t.Parallel()
	promtool, err := stack.Installed("promtool", "prometheus", testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", "rules", "prometheus/rules.yml"}, {"test", "rules", "prometheus/rules_test.yml"}} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("promtool %v: %v\n%s", args, err, out)
		}
		t.Logf("promtool %v:\n%s", args, out)
	}
}

func TestEveryAlertHasAFiringAndAQuietCase(t *testing.T) {
	t.Parallel()
	alerts := alertNames(t)
	firing, quiet := alertTestCases(t)
	for _, a := range alerts {
		if firing[a] == 0 || quiet[a] == 0 {
			t.Errorf("alert %s: %d firing and %d quiet cases in rules_test.yml, want at least one of each", a, firing[a], quiet[a])
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
