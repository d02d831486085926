package k8scheck

import (
	"testing"

	"github.com/example/order-saga/contracts"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestEveryOverlayFollowsTheProjectsPolicies(t *testing.T) {
	t.Parallel()
	_, ref, _ := fixtures(t)
	for _, name := range Overlays {
		if err := CheckPolicies(overlay(t, name), ref); err != nil {
			t.Errorf("%s:\n%v", name, err)
		}
	}
}

// The ports that the docs, skaffold.yaml's port-forward and the local
// runner name are the defaults that contracts gives each service.
func TestEachServicesDefaultPortIsTheDocumentedOne(t *testing.T) {
	t.Parallel()
	want := map[string]int{"order-svc": 8081, "stock-svc": 8082, "payment-svc": 8083}
	for _, svc := range Services {
		if got := contracts.DefaultPort(svc); got != want[svc] {
			t.Errorf("%s: default port %d, want %d", svc, got, want[svc])
		}
	}
}

func TestPoliciesRefuseBrokenManifests(t *testing.T) {
	t.Parallel()
	const app = "spec.template.spec.containers.0"
	tests := []struct {
		name   string
		object string
		mutate func(t *testing.T, obj *unstructured.Unstructured)
		want   string
	}{
		{"a readiness probe on the wrong path", "Deployment/order-svc",
			setTo(app+".readinessProbe.httpGet.path", "/healthz"), `readinessProbe path is "/healthz", want "/readyz"`},
		{"a liveness probe on the wrong port", "Deployment/stock-svc",
			setTo(app+".livenessProbe.httpGet.port", int64(9090)), "livenessProbe port 9090 is not the app port 8082"},
		{"a missing memory limit", "Deployment/payment-svc",
			remove(app + ".resources.limits.memory"), "no memory limit"},
		{"a missing limit on Redis", "StatefulSet/redis",
			remove(app + ".resources.limits.cpu"), "no cpu limit"},
		{"a request above its limit", "Deployment/order-svc",
			setTo(app+".resources.requests.memory", "1Gi"), "memory request 1Gi is above its limit"},
		{"a wrong app id", "Deployment/order-svc",
			setTo("spec.template.metadata.annotations.dapr\x00io/app-id", "orders"), `dapr.io/app-id "orders" is not one of the app ids`},
		{"an app id that another service owns", "Deployment/order-svc",
			setTo("spec.template.metadata.annotations.dapr\x00io/app-id", "stock-svc"), `named "order-svc" but its dapr.io/app-id is "stock-svc"`},
		{"an app port that is not the container port", "Deployment/stock-svc",
			setTo("spec.template.metadata.annotations.dapr\x00io/app-port", "8081"), `dapr.io/app-port is "8081", want 8082`},
		{"a PORT that is not the container port", "Deployment/payment-svc",
			setTo(app+".env.0.value", "8080"), `env PORT is "8080", want 8083`},
		{"a container port that is not the service's default", "Deployment/order-svc",
			setTo(app+".ports.0.containerPort", int64(8080)), "differs from order-svc's default port 8081"},
		{"root allowed", "Deployment/order-svc",
			setTo(app+".securityContext.runAsNonRoot", false), "runAsNonRoot is not true"},
		{"a writable root filesystem", "StatefulSet/redis",
			setTo(app+".securityContext.readOnlyRootFilesystem", false), "readOnlyRootFilesystem is not true"},
		{"sidecar metrics on another port", "Deployment/stock-svc",
			setTo("spec.template.metadata.annotations.dapr\x00io/metrics-port", "9091"), `dapr.io/metrics-port is "9091", want "9090"`},
		{"app health checks off", "Deployment/payment-svc",
			setTo("spec.template.metadata.annotations.dapr\x00io/enable-app-health-check", "false"), "dapr.io/enable-app-health-check"},
		{"a Service that misses its pods", "Service/stock-svc",
			setTo("spec.selector.app\x00kubernetes\x00io/name", "stock"), "Service stock-svc does not select its pods"},
		{"a component scoped to the wrong app", "Component/orderstore",
			setTo("scopes", []any{"stock-svc"}), "Dapr resources scoped to order-svc are"},
		{"a component name that the code does not use", "Component/stockstore",
			setTo("metadata.name", "stock-store"), "contracts/names.go names"},
		{"a Redis address written in clear", "Component/pubsub",
			setTo("spec.metadata.0", map[string]any{"name": "redisHost", "value": "redis:6379"}), "metadata redisHost must come from a secretKeyRef"},
		{"a secretKeyRef to a key the Secret lacks", "Component/paymentstore",
			setTo("spec.metadata.1.secretKeyRef.key", "password"), "refers to key password"},
		{"a Redis address that is no Service", "Secret/redis-auth",
			setTo("data.redis-host", "cmVkaXMtbWFzdGVyOjYzNzk="), `redisHost "redis-master:6379" is not a Service port`},
		{"a store of the same type on another version", "Component/orderstore",
			setTo("spec.version", "v2"), `spec.version is "v2", dapr/components has "v1"`},
		{"a swapped broker whose password is written in clear", "Component/pubsub",
			setTo("spec", map[string]any{"type": "pubsub.kafka", "version": "v1", "metadata": []any{
				map[string]any{"name": "brokers", "value": "kafka:9092"},
				map[string]any{"name": "redisPassword", "value": "x"},
			}}), "metadata redisPassword must come from a secretKeyRef"},
		{"pub/sub settings that drift from dapr/components", "Component/pubsub",
			setTo("spec.metadata.2.value", "64"), "metadata concurrency is 64"},
		{"retries that drift from dapr/components", "Resiliency/saga-resiliency",
			setTo("spec.policies.retries.deliver.maxRetries", int64(3)), "spec differs from dapr/components/resiliency.yaml"},
		{"a sampling rate that is not a fraction", "Configuration/saga-config",
			setTo("spec.tracing.samplingRate", "10%"), `spec.tracing.samplingRate "10%" is not a number from 0 to 1`},
		{"metrics turned off", "Configuration/saga-config",
			setTo("spec.metric.enabled", false), "spec.metric.enabled is false"},
		{"a network policy on a misspelt label", "NetworkPolicy/allow-order-api",
			setTo("spec.podSelector.matchLabels.app\x00kubernetes\x00io/name", "order"), "its podSelector matches no pod"},
		{"Redis open to other namespaces", "NetworkPolicy/allow-redis-from-services",
			setTo("spec.ingress.0.from.0.namespaceSelector", map[string]any{}), "reach Redis"},
		{"no default deny", "NetworkPolicy/default-deny-ingress",
			setTo("spec.podSelector", map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": "redis"}}), "denies all ingress by default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, ref, _ := fixtures(t)
			objs := overlay(t, Overlays[0])
			tt.mutate(t, find(t, objs, tt.object))
			err := CheckPolicies(objs, ref)
			t.Log(err)
			assertRefused(t, err, tt.want)
		})
	}
}

func TestABrokerSwappedInTheClusterAloneIsAccepted(t *testing.T) {
	t.Parallel()
	_, ref, schemas := fixtures(t)
	objs := overlay(t, Overlays[0])
	set(t, find(t, objs, "Component/pubsub"), "spec", map[string]any{
		"type":    "pubsub.kafka",
		"version": "v1",
		"metadata": []any{
			map[string]any{"name": "brokers", "value": "kafka.kafka.svc.cluster.local:9092"},
			map[string]any{"name": "authType", "value": "none"},
		},
	})
	if err := CheckPolicies(objs, ref); err != nil {
		t.Fatal(err)
	}
	if err := schemas.ValidateAll(objs); err != nil {
		t.Fatal(err)
	}
}

// setTo and remove build mutations; in a path, NUL stands for a dot inside
// a key (annotation and label names).
func setTo(path string, value any) func(*testing.T, *unstructured.Unstructured) {
	return func(t *testing.T, obj *unstructured.Unstructured) { set(t, obj, path, value) }
}

func remove(path string) func(*testing.T, *unstructured.Unstructured) {
	return func(t *testing.T, obj *unstructured.Unstructured) { del(t, obj, path) }
}
