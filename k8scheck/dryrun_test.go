package k8scheck

import (
	"testing"
	"time"

	"github.com/example/order-saga/k8scheck/localapi"
)

// TestServerSideDryRunAcceptsEveryObject sends every rendered object of
// every overlay to a real kube-apiserver (1.36, with Dapr's CRDs installed)
// as a server-side apply with dry-run and strict field validation: the API
// server's own validation, defaulting and admission (PodSecurity included)
// run, and nothing is stored. It then shows that the same path refuses
// broken objects.
func TestServerSideDryRunAcceptsEveryObject(t *testing.T) {
	bins, ok := localapi.BinariesFromEnv()
	if !ok {
		t.Fatal("KUBE_APISERVER and ETCD are unset; `make k8s-check` sets them (scripts/ensure-kube-apiserver.sh builds both once)")
	}
	_, _, schemas := fixtures(t)
	ctx := t.Context()
	started := time.Now()
	srv, err := localapi.Start(ctx, bins, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	if err := srv.InstallCRDs(ctx, schemas.CRDs); err != nil {
		t.Fatal(err)
	}
	applier, err := srv.NewApplier()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-apiserver and etcd ready with Dapr's CRDs in %s", time.Since(started).Round(time.Millisecond))

	for _, name := range Overlays {
		objs := overlay(t, name)
		// Namespaced objects can be dry-run only in a namespace that exists,
		// with its Pod Security labels in force: create it for real.
		for _, obj := range objs {
			if obj.GetKind() != "Namespace" {
				continue
			}
			if warnings, err := applier.Apply(ctx, obj, false); err != nil || len(warnings) > 0 {
				t.Fatalf("%s: %s: %v %v", name, ID(obj), err, warnings)
			}
		}
		for _, obj := range objs {
			if obj.GetKind() == "Namespace" {
				continue
			}
			warnings, err := applier.Apply(ctx, obj, true)
			if err != nil {
				t.Errorf("%s: %s: %v", name, ID(obj), err)
			}
			for _, w := range warnings {
				t.Errorf("%s: %s: warning: %s", name, ID(obj), w)
			}
		}
	}

	broken := []struct {
		name, object, path string
		value              any
		want               string
	}{
		{"an unknown field in a Deployment", "Deployment/order-svc", "spec.template.spec.containers.0.imagePullPolicyy", "IfNotPresent", `.spec.template.spec.containers[name="order-svc"].imagePullPolicyy: field not declared in schema`},
		{"a misspelt Dapr field", "Resiliency/saga-resiliency", "spec.policies.retries.deliver.maxRetry", int64(3), ".spec.policies.retries.deliver.maxRetry: field not declared in schema"},
		{"a misspelt secretKeyRef", "Component/pubsub", "spec.metadata.0.secretKeyref", map[string]any{"name": "redis-auth"}, ".spec.metadata[0].secretKeyref: field not declared in schema"},
		{"a negative replica count", "Deployment/stock-svc", "spec.replicas", int64(-1), "spec.replicas: Invalid value: -1"},
		{"a probe port out of range", "Deployment/payment-svc", "spec.template.spec.containers.0.readinessProbe.httpGet.port", int64(70000), "readinessProbe.httpGet.port: Invalid value: 70000"},
		{"a PDB with no rule", "PodDisruptionBudget/order-svc", "spec.maxUnavailable", "lots", "spec.maxUnavailable: Invalid value"},
	}
	for _, tt := range broken {
		t.Run(tt.name, func(t *testing.T) {
			obj := find(t, overlay(t, Overlays[0]), tt.object)
			set(t, obj, tt.path, tt.value)
			_, err := applier.Apply(ctx, obj, true)
			t.Log(err)
			assertRefused(t, err, tt.want)
		})
	}

	t.Run("a container allowed to run as root is flagged by PodSecurity", func(t *testing.T) {
		obj := find(t, overlay(t, Overlays[0]), "Deployment/order-svc")
		set(t, obj, "spec.template.spec.securityContext.runAsNonRoot", false)
		set(t, obj, "spec.template.spec.containers.0.securityContext.runAsNonRoot", false)
		warnings, err := applier.Apply(ctx, obj, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(warnings)
		if len(warnings) == 0 {
			t.Fatal("no PodSecurity warning for a pod that may run as root")
		}
		assertRefused(t, errorsFromWarnings(warnings), "runAsNonRoot != true")
	})
}

type warningsError []string

func (w warningsError) Error() string {
	s := ""
	for _, m := range w {
		s += m + "\n"
	}
	return s
}

func errorsFromWarnings(w []string) error { return warningsError(w) }
