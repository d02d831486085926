package k8scheck

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/example/order-saga/contracts"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// allowedAPIs are the sidecar APIs served in the cluster, as
// protocol/name/version: what the services call (state and publish, over
// gRPC) and, over HTTP, healthz alone. Dapr serves healthz whatever the
// rules say, but applies each protocol's rules apart and leaves a protocol
// without any rule wide open: without that entry, invocation, shutdown and
// the rest would answer over HTTP.
var allowedAPIs = []string{"grpc/publish/v1", "grpc/state/v1", "http/healthz/v1"}

// trustDomain is the trust domain of the identities that Dapr's Sentry
// gives the sidecars unless told otherwise.
const trustDomain = "public"

// topicScopes says, for each service, which topics it publishes and which
// it subscribes to: the publishingScopes and subscriptionScopes of the
// pub/sub component. A sidecar publishes what it cannot deliver to the
// dead-letter topic under its own app id, so every subscriber also
// publishes there; and every service reads the dead letters, keeping
// those of its own topic. An app missing from a scope would be allowed
// every topic, so each one is named.
var topicScopes = map[string]struct{ publishes, subscribes []string }{
	contracts.AppOrder:   {[]string{contracts.TopicOrders}, []string{contracts.TopicStock, contracts.TopicPayments, contracts.TopicDeadLetters}},
	contracts.AppStock:   {[]string{contracts.TopicStock}, []string{contracts.TopicOrders, contracts.TopicPayments, contracts.TopicDeadLetters}},
	contracts.AppPayment: {[]string{contracts.TopicPayments}, []string{contracts.TopicStock, contracts.TopicDeadLetters}},
}

// topics are the only ones the broker component lets anyone use.
var topics = []string{contracts.TopicOrders, contracts.TopicStock, contracts.TopicPayments, contracts.TopicDeadLetters}

// apiProblems: the Configuration serves exactly allowedAPIs, and its access
// control refuses every invocation.
func apiProblems(obj *unstructured.Unstructured) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", ID(obj), fmt.Sprintf(format, args...)))
	}
	rules, _, _ := unstructured.NestedSlice(obj.Object, "spec", "api", "allowed")
	var got []string
	for _, r := range rules {
		rule, _ := r.(map[string]any)
		got = append(got, fmt.Sprintf("%v/%v/%v", rule["protocol"], rule["name"], rule["version"]))
	}
	slices.Sort(got)
	if !slices.Equal(got, allowedAPIs) {
		fail("spec.api.allowed is %v, want %v (protocol/name/version)", got, allowedAPIs)
	}
	if action, _, _ := unstructured.NestedString(obj.Object, "spec", "accessControl", "defaultAction"); action != "deny" {
		fail("spec.accessControl.defaultAction is %q, want deny: no service invokes another", action)
	}
	if domain, _, _ := unstructured.NestedString(obj.Object, "spec", "accessControl", "trustDomain"); domain != trustDomain {
		fail("spec.accessControl.trustDomain is %q, want %q", domain, trustDomain)
	}
	if policies, _, _ := unstructured.NestedSlice(obj.Object, "spec", "accessControl", "policies"); len(policies) > 0 {
		fail("spec.accessControl has policies: no service invokes another, so none may be allowed to")
	}
	return errs
}

// topicScopeProblems: the pub/sub component, whatever its broker, lets each
// service publish and subscribe as topicScopes says, to topics alone.
func topicScopeProblems(obj *unstructured.Unstructured) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", ID(obj), fmt.Sprintf(format, args...)))
	}
	items := metadataItems(obj)
	value := func(name string) string {
		v, _ := items[name]["value"].(string)
		return v
	}
	if got, want := splitTopics(value("allowedTopics")), slices.Sorted(slices.Values(topics)); !slices.Equal(got, want) {
		fail("metadata allowedTopics is %v, want %v", got, want)
	}
	for _, scope := range []string{"publishingScopes", "subscriptionScopes"} {
		got, err := parseScopes(value(scope))
		if err != nil {
			fail("metadata %s: %v", scope, err)
			continue
		}
		apps := map[string]bool{}
		for app := range got {
			apps[app] = true
		}
		for app := range topicScopes {
			apps[app] = true
		}
		for _, app := range slices.Sorted(maps.Keys(apps)) {
			want := topicScopes[app].subscribes
			if scope == "publishingScopes" {
				want = append(slices.Clone(topicScopes[app].publishes), contracts.TopicDeadLetters)
			}
			want = slices.Sorted(slices.Values(want))
			if _, known := topicScopes[app]; !known {
				fail("metadata %s names %s, which is not an app id in contracts", scope, app)
			} else if !slices.Equal(got[app], want) {
				fail("metadata %s gives %s %v, want %v", scope, app, got[app], want)
			}
		}
	}
	return errs
}

// parseScopes reads Dapr's "app=topic,topic;app=topic" into sorted topics
// per app. Dapr skips an entry without "=" silently; here it is an error.
func parseScopes(s string) (map[string][]string, error) {
	scopes := map[string][]string{}
	for _, entry := range strings.Split(strings.ReplaceAll(s, " ", ""), ";") {
		if entry == "" {
			continue
		}
		app, list, ok := strings.Cut(entry, "=")
		if !ok || app == "" {
			return nil, fmt.Errorf("entry %q is not app=topic,...", entry)
		}
		if _, dup := scopes[app]; dup {
			return nil, fmt.Errorf("%s is named twice", app)
		}
		scopes[app] = splitTopics(list)
	}
	return scopes, nil
}

func splitTopics(s string) []string {
	var out []string
	for _, t := range strings.Split(strings.ReplaceAll(s, " ", ""), ",") {
		if t != "" {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
