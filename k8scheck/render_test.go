package k8scheck

import (
	"testing"
)

func TestEveryOverlayRendersTheWholeSaga(t *testing.T) {
	t.Parallel()
	want := []string{
		"Namespace/order-saga", "Secret/redis-auth", "Secret/admin-token",
		"Secret/order-svc-app-api-token", "Secret/order-svc-dapr-api-token",
		"Secret/stock-svc-app-api-token", "Secret/stock-svc-dapr-api-token",
		"Secret/payment-svc-app-api-token", "Secret/payment-svc-dapr-api-token",
		"Deployment/order-svc", "Deployment/stock-svc", "Deployment/payment-svc",
		"Service/order-svc", "Service/stock-svc", "Service/payment-svc",
		"ServiceAccount/order-svc", "ServiceAccount/stock-svc", "ServiceAccount/payment-svc",
		"PodDisruptionBudget/order-svc", "PodDisruptionBudget/stock-svc", "PodDisruptionBudget/payment-svc",
		"Component/pubsub", "Component/orderstore", "Component/stockstore", "Component/paymentstore",
		"Configuration/saga-config", "Resiliency/saga-resiliency",
		"StatefulSet/redis", "Service/redis", "NetworkPolicy/default-deny-ingress",
	}
	for _, name := range Overlays {
		objs := overlay(t, name)
		for _, kindName := range want {
			find(t, objs, kindName)
		}
	}
}

func TestEveryKubernetesObjectDecodesStrictly(t *testing.T) {
	t.Parallel()
	for _, name := range Overlays {
		if err := DecodeAllStrict(overlay(t, name)); err != nil {
			t.Errorf("%s:\n%v", name, err)
		}
	}
}

func TestStrictDecodingRefusesWhatTheTypesDoNotHave(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, object, path string
		value              any
		want               string
	}{
		{"an unknown field in a Deployment's spec", "Deployment/order-svc", "spec.replica", int64(2), `unknown field "spec.replica"`},
		{"a misspelt container field", "Deployment/stock-svc", "spec.template.spec.containers.0.readinesProbe", map[string]any{}, `unknown field "spec.template.spec.containers[0].readinesProbe"`},
		{"a field with the wrong case", "Service/order-svc", "spec.Selector", map[string]any{"a": "b"}, `unknown field "spec.Selector"`},
		{"a string where a number belongs", "Service/order-svc", "spec.ports.0.port", "8081", "cannot unmarshal string"},
		{"an unknown field in a NetworkPolicy", "NetworkPolicy/allow-redis-from-services", "spec.ingres", []any{}, `unknown field "spec.ingres"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			objs := overlay(t, Overlays[0])
			set(t, find(t, objs, tt.object), tt.path, tt.value)
			assertRefused(t, DecodeAllStrict(objs), tt.want)
		})
	}
}
