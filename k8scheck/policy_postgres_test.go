package k8scheck

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The PostgreSQL of k8s/components/postgres is held to its rules in the
// overlay that has it: each broken manifest below is refused, saying why.
func TestPostgresPoliciesRefuseBrokenManifests(t *testing.T) {
	t.Parallel()
	const server = "spec.template.spec.containers.0"
	const init = "spec.template.spec.initContainers.0"
	tests := []struct {
		name   string
		object string
		mutate func(t *testing.T, obj *unstructured.Unstructured)
		want   string
	}{
		{"PostgreSQL open to other namespaces", "NetworkPolicy/allow-postgres-from-services",
			setTo("spec.ingress.0.from.0.namespaceSelector", map[string]any{}), "lets sources outside the saga's pods reach PostgreSQL"},
		{"PostgreSQL open to every pod of the namespace", "NetworkPolicy/allow-postgres-from-services",
			setTo("spec.ingress.0.from.0.podSelector", map[string]any{}), "lets every pod reach PostgreSQL"},
		{"PostgreSQL open to any source", "NetworkPolicy/allow-postgres-from-services",
			remove("spec.ingress.0.from"), "lets any source reach PostgreSQL"},
		{"PostgreSQL open to Redis", "NetworkPolicy/allow-postgres-from-services",
			setTo("spec.ingress.0.from.0.podSelector.matchLabels", map[string]any{"app.kubernetes.io/name": "redis"}), "lets StatefulSet/redis reach PostgreSQL"},
		{"an image pulled from a registry", "StatefulSet/postgres",
			setTo(server+".imagePullPolicy", "IfNotPresent"), `container postgres has imagePullPolicy "IfNotPresent", want Never`},
		{"an image from another registry", "StatefulSet/postgres",
			setTo(init+".image", "docker.io/library/postgres:15"), `container postgres-init runs image "docker.io/library/postgres:15"`},
		{"a server that reads the pg_hba.conf of its data directory", "StatefulSet/postgres",
			setTo(server+".args", []any{"postgres", "-c", "listen_addresses=*"}), "runs without -c hba_file="},
		{"a pg_hba.conf that is in no ConfigMap", "StatefulSet/postgres",
			setTo(server+".args", []any{"postgres", "-c", "hba_file=/var/lib/postgresql/data/pg_hba.conf"}), "is on no ConfigMap volume"},
		{"a trust line", "ConfigMap/postgres-config",
			hbaTo("host    all       all   0.0.0.0/0  scram-sha-256", "host    all       all   0.0.0.0/0  trust"), `authentication "trust", want scram-sha-256`},
		{"MD5 passwords", "ConfigMap/postgres-config",
			hbaTo("local   all       all              scram-sha-256", "local   all       all              md5"), `authentication "md5"`},
		{"no way in over IPv6", "ConfigMap/postgres-config",
			hbaTo("host    all       all   ::/0       scram-sha-256", ""), "no line host all all ::/0 scram-sha-256"},
		{"a server given a password", "StatefulSet/postgres",
			setTo(server+".env", []any{map[string]any{"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
				secretEnv("POSTGRES_PASSWORD", "postgres-auth", "password")}), "env POSTGRES_PASSWORD comes from Secret postgres-auth: the server needs no password"},
		{"a data directory off the volume", "StatefulSet/postgres",
			setTo(server+".env.0.value", "/tmp/pgdata"), `PGDATA is "/var/lib/postgresql/data/pgdata" in postgres-init and "/tmp/pgdata" in postgres`},
		{"two replicas of one server", "StatefulSet/postgres",
			setTo("spec.replicas", int64(2)), "want one replica"},
		{"a role given another password than its store presents", "StatefulSet/postgres",
			initEnvTo("STOCKSTORE_PASSWORD", secretEnv("STOCKSTORE_PASSWORD", "orderstore-postgres", "password")),
			"Component/order-saga/stockstore: connects as stockstore with the password of Secret stockstore-postgres key password, but the init container gives stockstore its STOCKSTORE_PASSWORD from Secret orderstore-postgres key password"},
		{"a superuser password written in clear", "StatefulSet/postgres",
			initEnvTo("POSTGRES_PASSWORD", map[string]any{"name": "POSTGRES_PASSWORD", "value": "4f1c0d6e9b8a7f3e2d1c0b9a8f7e6d5c"}), "env POSTGRES_PASSWORD must come from a Secret"},
		{"a password in the connection string", "Component/orderstore",
			metadataTo("connectionString", scopeValue("connectionString", "postgres://orderstore:hunter2hunter2hunter2@postgres:5432/saga?sslmode=disable&connect_timeout=5")),
			"metadata connectionString holds a password"},
		{"a connection string to no Service", "Component/paymentstore",
			metadataTo("connectionString", scopeValue("connectionString", "postgres://paymentstore@postgresql:5432/saga?sslmode=disable&connect_timeout=5")),
			"connects to postgresql:5432, which is not a Service port"},
		{"a connection string that is no URL", "Component/stockstore",
			metadataTo("connectionString", scopeValue("connectionString", "host=postgres user=stockstore dbname=saga")), "is not a postgres:// URL"},
		{"another database than the local store's", "Component/orderstore",
			metadataTo("connectionString", scopeValue("connectionString", "postgres://orderstore@postgres:5432/orders?sslmode=disable&connect_timeout=5")),
			"they may differ by their host alone"},
		{"a store setting that drifts from dapr/stores", "Component/stockstore",
			metadataTo("cleanupInterval", scopeValue("cleanupInterval", "1h")), "metadata cleanupInterval is 1h, dapr/stores has 10m"},
		{"a store of another version than dapr/stores", "Component/paymentstore",
			setTo("spec.version", "v1"), `spec.version is "v1", dapr/stores has "v2"`},
		{"a sidecar that may start before PostgreSQL answers", "Deployment/stock-svc",
			setTo(init+".args", []any{"wait-for", "$(REDIS_HOST)"}), "want args [wait-for $(REDIS_HOST) postgres:5432]"},
		{"stores on PostgreSQL without the server", "StatefulSet/postgres",
			setTo("metadata.name", "database"), "the stores [orderstore paymentstore stockstore] are on PostgreSQL, but the manifests have no StatefulSet postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, ref, _ := fixtures(t)
			objs := overlay(t, postgresOverlay)
			tt.mutate(t, findPrefixed(t, objs, tt.object))
			err := CheckPolicies(objs, ref)
			t.Log(err)
			assertRefused(t, err, tt.want)
		})
	}
}

// findPrefixed is find for an object whose name may end in kustomize's
// hash suffix (a generated ConfigMap's).
func findPrefixed(t *testing.T, objs []*unstructured.Unstructured, kindName string) *unstructured.Unstructured {
	t.Helper()
	for _, obj := range objs {
		if key := obj.GetKind() + "/" + obj.GetName(); key == kindName || strings.HasPrefix(key, kindName+"-") && obj.GetKind() == "ConfigMap" {
			return obj
		}
	}
	t.Fatalf("no %s in the rendered objects", kindName)
	return nil
}

// hbaTo replaces a line of the ConfigMap's pg_hba.conf.
func hbaTo(old, new string) func(*testing.T, *unstructured.Unstructured) {
	return func(t *testing.T, obj *unstructured.Unstructured) {
		t.Helper()
		hba, _, _ := unstructured.NestedString(obj.Object, "data", "pg_hba.conf")
		if !strings.Contains(hba, old+"\n") {
			t.Fatalf("pg_hba.conf has no line %q:\n%s", old, hba)
		}
		set(t, obj, "data.pg_hba\x00conf", strings.Replace(hba, old+"\n", new+"\n", 1))
	}
}

// initEnvTo is envTo for the first init container.
func initEnvTo(name string, entry map[string]any) func(*testing.T, *unstructured.Unstructured) {
	return func(t *testing.T, obj *unstructured.Unstructured) {
		t.Helper()
		inits, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "initContainers")
		c := inits[0].(map[string]any)
		c["env"] = replaceNamed(t, c["env"], name, entry)
		set(t, obj, "spec.template.spec.initContainers", inits)
	}
}
