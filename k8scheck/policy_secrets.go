package k8scheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/example/order-saga/contracts"
	corev1 "k8s.io/api/core/v1"
)

// secretLike matches the names of env vars, Component metadata and Secret
// keys that hold a secret. Such a value comes from a Secret, never from a
// literal in a manifest.
var secretLike = regexp.MustCompile(`(?i)(password|passwd|token|secret|credential|connectionstring|accesskey|apikey|api_key|privatekey|clientkey|_auth$)`)

// minSecretLen is the shortest secret value accepted: a shorter one is
// guessable, and could turn up by chance in the search for values written
// in clear.
const minSecretLen = 16

// sidecarTokens pairs each Dapr annotation that names a token Secret with
// the env var in which the app needs the same token. The injector gives the
// token only to the sidecar, from the Secret's key "token"
// (pkg/injector/patcher/sidecar_container.go in dapr/dapr 1.16 to 1.18).
var sidecarTokens = []struct{ annotation, env string }{
	// The sidecar sends it on every call to the app; the app refuses a
	// sidecar-only route without it.
	{"dapr.io/app-token-secret", "APP_API_TOKEN"},
	// The sidecar refuses any API call without it; the app sends it.
	{"dapr.io/api-token-secret", "DAPR_API_TOKEN"},
}

const injectorTokenKey = "token"

// adminApps have admin routes, which need ADMIN_TOKEN (each service keeps
// its dead letters); any other app does not get it.
var adminApps = []string{contracts.AppOrder, contracts.AppStock, contracts.AppPayment}

// tokenProblems: the pod's sidecar and its app get each token from the
// same Secret, and ADMIN_TOKEN goes to the services with admin routes
// alone.
func tokenProblems(m *Manifest, ann map[string]string, c *corev1.Container, appID string) []string {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	named := map[string]bool{}
	for _, t := range sidecarTokens {
		secret := ann[t.annotation]
		if secret == "" {
			add("annotation %s is not set: its sidecar would run without %s", t.annotation, t.env)
			continue
		}
		if !m.hasSecretKey(secret, injectorTokenKey) {
			add("annotation %s names Secret %s, which the manifests do not have with a key %q", t.annotation, secret, injectorTokenKey)
		}
		if named[secret] {
			add("both token annotations name Secret %s: the app and the API token must differ", secret)
		}
		named[secret] = true
		if ref := envSecretRef(c, t.env); ref == nil || ref.Name != secret || ref.Key != injectorTokenKey {
			add("env %s must come from Secret %s key %s, the token its sidecar gets", t.env, secret, injectorTokenKey)
		}
	}
	hasAdmin := slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "ADMIN_TOKEN" })
	switch wants := slices.Contains(adminApps, appID); {
	case wants && !hasAdmin:
		add("no env ADMIN_TOKEN: %s refuses to start without it", appID)
	case !wants && hasAdmin:
		add("env ADMIN_TOKEN is set, but %s has no admin route", appID)
	}
	return probs
}

// sharedTokenProblems: no two services hold the same token Secret, so a
// service that leaks its tokens cannot pass for another one's sidecar.
func sharedTokenProblems(m *Manifest) []error {
	owners := map[string][]string{}
	for _, d := range m.Deployments {
		for _, t := range sidecarTokens {
			if secret := d.Spec.Template.Annotations[t.annotation]; secret != "" {
				owners[secret] = append(owners[secret], d.Name)
			}
		}
	}
	var errs []error
	for _, secret := range slices.Sorted(maps.Keys(owners)) {
		if apps := slices.Compact(slices.Sorted(slices.Values(owners[secret]))); len(apps) > 1 {
			errs = append(errs, fmt.Errorf("Secret %s holds the token of %v: each service has its own", secret, apps))
		}
	}
	return errs
}

// checkSecrets: nothing secret is written in a manifest. Every env var with
// a secret's name comes from a Secret key that exists; every secret value
// is long enough to be one; and no object but its Secret holds it.
func checkSecrets(m *Manifest) []error {
	var errs []error
	for _, w := range m.Workloads() {
		for _, c := range slices.Concat(w.Template.Spec.InitContainers, w.Template.Spec.Containers) {
			for _, e := range c.Env {
				if !secretLike.MatchString(e.Name) {
					continue
				}
				ref := envSecretRef(&c, e.Name)
				switch {
				case ref == nil:
					errs = append(errs, fmt.Errorf("%s: container %s: env %s must come from a Secret (valueFrom.secretKeyRef), not a value", w.ID, c.Name, e.Name))
				case !m.hasSecretKey(ref.Name, ref.Key):
					errs = append(errs, fmt.Errorf("%s: container %s: env %s refers to Secret %s key %s, which the manifests do not have", w.ID, c.Name, e.Name, ref.Name, ref.Key))
				}
			}
		}
	}
	var values []struct{ value, secret, key string }
	for _, name := range slices.Sorted(maps.Keys(m.Secrets)) {
		data := secretData(m.Secrets[name])
		for _, key := range slices.Sorted(maps.Keys(data)) {
			if !secretLike.MatchString(key) {
				continue
			}
			if len(data[key]) < minSecretLen {
				errs = append(errs, fmt.Errorf("Secret/%s: key %s is shorter than %d bytes", name, key, minSecretLen))
				continue
			}
			values = append(values, struct{ value, secret, key string }{data[key], name, key})
		}
	}
	for _, obj := range m.Objects {
		if obj.GetKind() == "Secret" && obj.GetAPIVersion() == "v1" {
			continue
		}
		data, err := json.Marshal(obj.Object)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ID(obj), err))
			continue
		}
		for _, v := range values {
			if bytes.Contains(data, []byte(v.value)) {
				errs = append(errs, fmt.Errorf("%s: holds the value of Secret %s key %s in clear", ID(obj), v.secret, v.key))
			}
		}
	}
	return errs
}

// redisDataDir is where the development Redis keeps its files.
const redisDataDir = "/data"

// checkRedisAuth: the development Redis requires the password that the
// Components present, from the same Secret key, with protected mode on,
// and keeps what it acknowledged in an append-only file on its volume,
// written at every write and flushed to disk every second. Without the
// StatefulSet (a Redis outside the cluster) there is nothing to check
// here.
func checkRedisAuth(m *Manifest) []error {
	redis := m.statefulSet("redis")
	if redis == nil {
		return nil
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("StatefulSet/redis: %s", fmt.Sprintf(format, args...))
	}
	containers := redis.Spec.Template.Spec.Containers
	if len(containers) != 1 {
		return []error{fail("has %d containers, want Redis alone", len(containers))}
	}
	c := &containers[0]
	ref := envSecretRef(c, "REDIS_PASSWORD")
	if ref == nil {
		return []error{fail("env REDIS_PASSWORD must come from a Secret")}
	}
	var errs []error
	argv := append(slices.Clone(c.Command), c.Args...)
	flags := map[string]string{"--requirepass": "$(REDIS_PASSWORD)", "--protected-mode": "yes",
		"--appendonly": "yes", "--appendfsync": "everysec", "--dir": redisDataDir}
	for _, flag := range slices.Sorted(maps.Keys(flags)) {
		want := flags[flag]
		if i := slices.Index(argv, flag); i < 0 || i+1 >= len(argv) || argv[i+1] != want {
			errs = append(errs, fail("runs without %s %s", flag, want))
		}
	}
	if !slices.ContainsFunc(c.VolumeMounts, func(v corev1.VolumeMount) bool { return v.MountPath == redisDataDir }) {
		errs = append(errs, fail("has no volume at %s, where it keeps its data", redisDataDir))
	}
	for _, key := range slices.Sorted(maps.Keys(m.Dapr)) {
		obj := m.Dapr[key]
		item, ok := metadataItems(obj)["redisPassword"]
		if !ok || obj.GetKind() != "Component" {
			continue
		}
		got, _ := item["secretKeyRef"].(map[string]any)
		if got["name"] != ref.Name || got["key"] != ref.Key {
			errs = append(errs, fmt.Errorf("%s: redisPassword comes from Secret %v key %v, but Redis requires Secret %s key %s", ID(obj), got["name"], got["key"], ref.Name, ref.Key))
		}
	}
	return errs
}

// envSecretRef is the Secret key that env var name of c comes from, or nil
// when the variable is missing or is not taken from a Secret.
func envSecretRef(c *corev1.Container, name string) *corev1.SecretKeySelector {
	for _, e := range c.Env {
		if e.Name == name && e.Value == "" && e.ValueFrom != nil {
			return e.ValueFrom.SecretKeyRef
		}
	}
	return nil
}

func (m *Manifest) hasSecretKey(name, key string) bool {
	s := m.Secrets[name]
	if s == nil {
		return false
	}
	_, ok := secretData(s)[key]
	return ok
}

// secretData merges a Secret's data and stringData, as the API server does.
func secretData(s *corev1.Secret) map[string]string {
	data := map[string]string{}
	for k, v := range s.Data {
		data[k] = string(v)
	}
	for k, v := range s.StringData {
		data[k] = v
	}
	return data
}
