package k8scheck

import (
	"testing"
)

func TestDaprCRDsCoverEveryDaprKindRendered(t *testing.T) {
	t.Parallel()
	_, _, schemas := fixtures(t)
	if len(schemas.CRDs) < 3 {
		t.Fatalf("read %d Dapr CRDs, want Component, Configuration and Resiliency at least", len(schemas.CRDs))
	}
	for _, obj := range overlay(t, Overlays[0]) {
		if obj.GroupVersionKind().Group == DaprGroup {
			if _, ok := schemas.versions[obj.GroupVersionKind()]; !ok {
				t.Errorf("%s: no CRD for %s", ID(obj), obj.GroupVersionKind())
			}
		}
	}
}

func TestEveryDaprResourceValidatesAgainstDaprsCRDs(t *testing.T) {
	t.Parallel()
	_, ref, schemas := fixtures(t)
	for _, name := range Overlays {
		if err := schemas.ValidateAll(overlay(t, name)); err != nil {
			t.Errorf("%s:\n%v", name, err)
		}
	}
	// The local resources follow the same schema; a namespace makes them
	// look as they do in a cluster.
	for key, obj := range ref.DaprResources {
		obj = obj.DeepCopy()
		obj.SetNamespace(Namespace)
		if err := schemas.Validate(obj); err != nil {
			t.Errorf("dapr/ %s: %v", key, err)
		}
	}
}

func TestDaprSchemasRefuseBrokenResources(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, object, path string
		value              any
		want               string
	}{
		{"a misspelt retry field", "Resiliency/saga-resiliency", "spec.policies.retries.deliver.maxRetry", int64(3), "spec.policies.retries.deliver.maxRetry"},
		{"a retry count given as a string", "Resiliency/saga-resiliency", "spec.policies.retries.deliver.maxRetries", "20", "spec.policies.retries.deliver.maxRetries"},
		{"a misspelt secretKeyRef", "Component/orderstore", "spec.metadata.0.secretKeyref", map[string]any{"name": "redis-auth"}, "spec.metadata[0].secretKeyref"},
		{"a component without a version", "Component/pubsub", "spec.version", nil, "spec.version"},
		{"an unknown top-level field", "Component/stockstore", "scope", []any{"stock-svc"}, "scope"},
		{"a sampling rate given as a number", "Configuration/saga-config", "spec.tracing.samplingRate", int64(1), "spec.tracing.samplingRate"},
		{"a misspelt zipkin address", "Configuration/saga-config", "spec.tracing.zipkin", map[string]any{"endpointAdress": "http://x"}, "spec.tracing.zipkin"},
		{"an unknown metadata field", "Component/pubsub", "metadata.label", map[string]any{"a": "b"}, "metadata.label"},
		{"an invalid name", "Component/pubsub", "metadata.name", "Pub_Sub", "metadata.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, schemas := fixtures(t)
			objs := overlay(t, Overlays[0])
			obj := find(t, objs, tt.object)
			if tt.value == nil {
				del(t, obj, tt.path)
			} else {
				set(t, obj, tt.path, tt.value)
			}
			err := schemas.ValidateAll(objs)
			t.Log(err)
			assertRefused(t, err, tt.want)
		})
	}
}
