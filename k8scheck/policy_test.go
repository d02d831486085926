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
	const annotation = "spec.template.metadata.annotations."
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
		{"no wait for Redis before the sidecar starts", "Deployment/order-svc",
			remove("spec.template.spec.initContainers"), "has 0 init containers, want one that waits for Redis"},
		{"a wait for Redis in another image", "Deployment/stock-svc",
			setTo("spec.template.spec.initContainers.0.image", "busybox"), `init container wait-for-redis runs image "busybox"`},
		{"a wait for another address than the components use", "Deployment/payment-svc",
			setTo("spec.template.spec.initContainers.0.args", []any{"wait-for", "redis:6380"}), "want args [wait-for $(REDIS_HOST)]"},
		{"an unbounded wait for Redis", "Deployment/order-svc",
			remove("spec.template.spec.initContainers.0.resources.limits.cpu"), "init container wait-for-redis: no cpu limit"},
		{"a wait for Redis that may become root", "Deployment/stock-svc",
			setTo("spec.template.spec.initContainers.0.securityContext.allowPrivilegeEscalation", true), "init container wait-for-redis: allowPrivilegeEscalation is not false"},
		{"an app that stops before its sidecar has finished", "Deployment/order-svc",
			remove(app + ".lifecycle"), "has no preStop sleep"},
		{"a preStop sleep shorter than the sidecar's block", "Deployment/stock-svc",
			setTo(app+".lifecycle.preStop.sleep.seconds", int64(3)), "preStop sleep 3s is not longer than dapr.io/block-shutdown-duration 5s"},
		{"a grace period too short for the shutdown", "Deployment/payment-svc",
			setTo("spec.template.spec.terminationGracePeriodSeconds", int64(12)), "terminationGracePeriodSeconds 12 does not cover"},
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

		{"a service whose sidecar has no app token", "Deployment/order-svc",
			remove(annotation + "dapr\x00io/app-token-secret"), "annotation dapr.io/app-token-secret is not set"},
		{"an API token Secret that does not exist", "Deployment/stock-svc",
			setTo(annotation+"dapr\x00io/api-token-secret", "dapr-api-token"), "names Secret dapr-api-token, which the manifests do not have"},
		{"an app reading another token than its sidecar gets", "Deployment/payment-svc",
			envTo("APP_API_TOKEN", secretEnv("APP_API_TOKEN", "payment-svc-dapr-api-token", "token")), "env APP_API_TOKEN must come from Secret payment-svc-app-api-token key token"},
		{"one Secret for both tokens", "Deployment/order-svc",
			setTo(annotation+"dapr\x00io/api-token-secret", "order-svc-app-api-token"), "both token annotations name Secret order-svc-app-api-token"},
		{"two services sharing a token", "Deployment/stock-svc",
			setTo(annotation+"dapr\x00io/app-token-secret", "order-svc-app-api-token"), "Secret order-svc-app-api-token holds the token of [order-svc stock-svc]"},
		{"a token written in clear", "Deployment/order-svc",
			envTo("DAPR_API_TOKEN", map[string]any{"name": "DAPR_API_TOKEN", "value": "4f1c0d6e9b8a7f3e2d1c0b9a8f7e6d5c"}), "env DAPR_API_TOKEN must come from a Secret"},
		{"stock-svc without its admin token", "Deployment/stock-svc",
			envTo("ADMIN_TOKEN", nil), "no env ADMIN_TOKEN: stock-svc refuses to start without it"},
		{"order-svc without its admin token", "Deployment/order-svc",
			envTo("ADMIN_TOKEN", nil), "no env ADMIN_TOKEN: order-svc refuses to start without it"},
		{"an admin token from a key the Secret lacks", "Deployment/payment-svc",
			envTo("ADMIN_TOKEN", secretEnv("ADMIN_TOKEN", "admin-token", "value")), "env ADMIN_TOKEN refers to Secret admin-token key value, which the manifests do not have"},
		{"a service listening on localhost alone", "Deployment/stock-svc",
			envTo("BIND_ADDRESS", map[string]any{"name": "BIND_ADDRESS", "value": "127.0.0.1"}), `env BIND_ADDRESS is "127.0.0.1", want 0.0.0.0`},
		{"a service that starts every trace sampled while its sidecar samples 1 in 100", "Deployment/order-svc",
			envTo("TRACE_SAMPLING_RATE", map[string]any{"name": "TRACE_SAMPLING_RATE", "value": "0.01"}), `env TRACE_SAMPLING_RATE is "0.01", want "1", the samplingRate of Configuration saga-config`},
		{"a secret too short to be one", "Secret/admin-token",
			setTo("data.token", "c2hvcnQ="), "Secret/admin-token: key token is shorter than 16 bytes"},

		{"Redis without a password", "StatefulSet/redis",
			setTo(app+".args", []any{"redis-server", "--appendonly", "yes", "--protected-mode", "yes"}), "runs without --requirepass $(REDIS_PASSWORD)"},
		{"Redis with protected mode off", "StatefulSet/redis",
			setTo(app+".args", []any{"redis-server", "--protected-mode", "no", "--requirepass", "$(REDIS_PASSWORD)"}), "runs without --protected-mode yes"},
		{"Redis keeping only snapshots", "StatefulSet/redis",
			setTo(app+".args", []any{"redis-server", "--appendonly", "no", "--appendfsync", "everysec", "--dir", "/data", "--protected-mode", "yes", "--requirepass", "$(REDIS_PASSWORD)"}), "runs without --appendonly yes"},
		{"Redis flushing its file when the kernel likes", "StatefulSet/redis",
			setTo(app+".args", []any{"redis-server", "--appendonly", "yes", "--appendfsync", "no", "--dir", "/data", "--protected-mode", "yes", "--requirepass", "$(REDIS_PASSWORD)"}), "runs without --appendfsync everysec"},
		{"Redis keeping its files off its volume", "StatefulSet/redis",
			setTo(app+".args", []any{"redis-server", "--appendonly", "yes", "--appendfsync", "everysec", "--dir", "/tmp", "--protected-mode", "yes", "--requirepass", "$(REDIS_PASSWORD)"}), "runs without --dir /data"},
		{"a Redis password written in clear", "StatefulSet/redis",
			envTo("REDIS_PASSWORD", map[string]any{"name": "REDIS_PASSWORD", "value": "4f1c0d6e9b8a7f3e2d1c0b9a8f7e6d5c"}), "env REDIS_PASSWORD must come from a Secret"},
		{"a store presenting another password than Redis requires", "Component/stockstore",
			metadataTo("redisPassword", map[string]any{"name": "redisPassword", "secretKeyRef": map[string]any{"name": "admin-token", "key": "token"}}),
			"redisPassword comes from Secret admin-token key token, but Redis requires Secret redis-auth key redis-password"},
		{"a broker password of another name written in clear", "Component/pubsub",
			metadataTo("redisPassword", map[string]any{"name": "saslPassword", "value": "4f1c0d6e9b8a7f3e2d1c0b9a8f7e6d5c"}), "metadata saslPassword must come from a secretKeyRef"},

		{"service invocation allowed", "Configuration/saga-config",
			setTo("spec.api.allowed.0", map[string]any{"name": "invoke", "version": "v1", "protocol": "grpc"}), "spec.api.allowed is [grpc/invoke/v1 grpc/publish/v1 http/healthz/v1]"},
		{"no HTTP rule, which leaves every HTTP API open", "Configuration/saga-config",
			setTo("spec.api.allowed.2", map[string]any{"name": "state", "version": "v1", "protocol": "grpc"}), "spec.api.allowed is"},
		{"a gRPC rule with the HTTP version, which allows nothing", "Configuration/saga-config",
			setTo("spec.api.allowed.1.version", "v1.0"), "grpc/publish/v1.0"},
		{"invocation allowed by default", "Configuration/saga-config",
			setTo("spec.accessControl.defaultAction", "allow"), `spec.accessControl.defaultAction is "allow", want deny`},
		{"an invocation policy", "Configuration/saga-config",
			setTo("spec.accessControl.policies", []any{map[string]any{"appId": "stock-svc", "defaultAction": "allow"}}), "spec.accessControl has policies"},
		{"another trust domain", "Configuration/saga-config",
			setTo("spec.accessControl.trustDomain", "cluster.local"), `spec.accessControl.trustDomain is "cluster.local", want "public"`},

		{"a service allowed to publish another's topic", "Component/pubsub",
			metadataTo("publishingScopes", scopeValue("publishingScopes", "order-svc=orders,stock,deadletters;stock-svc=stock,deadletters;payment-svc=payments,deadletters")),
			"metadata publishingScopes gives order-svc [deadletters orders stock], want [deadletters orders]"},
		{"a subscriber whose sidecar may not dead-letter", "Component/pubsub",
			metadataTo("publishingScopes", scopeValue("publishingScopes", "order-svc=orders,deadletters;stock-svc=stock;payment-svc=payments,deadletters")),
			"metadata publishingScopes gives stock-svc [stock], want [deadletters stock]"},
		{"a service left out of the subscription scopes, so allowed every topic", "Component/pubsub",
			metadataTo("subscriptionScopes", scopeValue("subscriptionScopes", "order-svc=stock,payments,deadletters;stock-svc=orders,payments,deadletters")),
			"metadata subscriptionScopes gives payment-svc [], want [deadletters stock]"},
		{"a scope entry that Dapr would skip", "Component/pubsub",
			metadataTo("subscriptionScopes", scopeValue("subscriptionScopes", "order-svc=stock,payments,deadletters;stock-svc;payment-svc=stock,deadletters")),
			`metadata subscriptionScopes: entry "stock-svc" is not app=topic`},
		{"a topic outside the saga", "Component/pubsub",
			metadataTo("allowedTopics", scopeValue("allowedTopics", "orders,stock,payments,deadletters,audit")),
			"metadata allowedTopics is [audit deadletters orders payments stock]"},
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

// As docs/kubernetes.md shows it: another type under the same name, with
// the same topic scopes.
func TestABrokerSwappedInTheClusterAloneIsAccepted(t *testing.T) {
	t.Parallel()
	_, ref, schemas := fixtures(t)
	objs := overlay(t, Overlays[0])
	pubsub := find(t, objs, "Component/pubsub")
	metadata := []any{
		map[string]any{"name": "brokers", "value": "kafka.kafka.svc.cluster.local:9092"},
		map[string]any{"name": "authType", "value": "none"},
	}
	for _, name := range []string{"publishingScopes", "subscriptionScopes", "allowedTopics"} {
		metadata = append(metadata, metadataItems(pubsub)[name])
	}
	set(t, pubsub, "spec", map[string]any{"type": "pubsub.kafka", "version": "v1", "metadata": metadata})
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

// A secret pasted anywhere but its Secret is found, whatever field holds it.
func TestPoliciesRefuseASecretValueWrittenInClear(t *testing.T) {
	t.Parallel()
	_, ref, _ := fixtures(t)
	objs := overlay(t, Overlays[0])
	m, err := NewManifest(objs)
	if err != nil {
		t.Fatal(err)
	}
	token := string(m.Secrets["stock-svc-dapr-api-token"].Data["token"])
	set(t, find(t, objs, "Deployment/stock-svc"), "spec.template.metadata.annotations.debug/token", token)
	err = CheckPolicies(objs, ref)
	t.Log(err)
	assertRefused(t, err, "Deployment/order-saga/stock-svc: holds the value of Secret stock-svc-dapr-api-token key token in clear")
}

// envTo replaces the env var name of the first container with entry, adds
// entry when there is no such variable, and removes it when entry is nil.
func envTo(name string, entry map[string]any) func(*testing.T, *unstructured.Unstructured) {
	return func(t *testing.T, obj *unstructured.Unstructured) {
		t.Helper()
		containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
		c := containers[0].(map[string]any)
		c["env"] = replaceNamed(t, c["env"], name, entry)
		set(t, obj, "spec.template.spec.containers", containers)
	}
}

// metadataTo does the same for the Component metadata item name.
func metadataTo(name string, entry map[string]any) func(*testing.T, *unstructured.Unstructured) {
	return func(t *testing.T, obj *unstructured.Unstructured) {
		t.Helper()
		items, _, _ := unstructured.NestedSlice(obj.Object, "spec", "metadata")
		set(t, obj, "spec.metadata", replaceNamed(t, items, name, entry))
	}
}

func replaceNamed(t *testing.T, list any, name string, entry map[string]any) []any {
	t.Helper()
	items, _ := list.([]any)
	var out []any
	found := false
	for _, item := range items {
		if item.(map[string]any)["name"] != name {
			out = append(out, item)
			continue
		}
		found = true
		if entry != nil {
			out = append(out, entry)
		}
	}
	switch {
	case !found && entry == nil:
		t.Fatalf("no item named %s to remove", name)
	case !found:
		out = append(out, entry)
	}
	return out
}

func secretEnv(name, secret, key string) map[string]any {
	return map[string]any{"name": name, "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": secret, "key": key}}}
}

func scopeValue(name, value string) map[string]any {
	return map[string]any{"name": name, "value": value}
}
