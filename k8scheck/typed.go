package k8scheck

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	sigsjson "sigs.k8s.io/json"
)

// DaprGroup is the API group of Dapr's custom resources.
const DaprGroup = "dapr.io"

// DecodeStrict decodes obj into its Kubernetes Go type (apps/v1 Deployment,
// v1 Service, ...) and fails on any field that type does not have, on a
// field spelled with the wrong case and on a duplicate field, as the API
// server does with fieldValidation=Strict. Dapr resources are left to
// DaprSchemas, since their types are not in client-go.
func DecodeStrict(obj *unstructured.Unstructured) (runtime.Object, error) {
	gvk := obj.GroupVersionKind()
	typed, err := scheme.Scheme.New(gvk)
	if err != nil {
		return nil, fmt.Errorf("%s: no Kubernetes type for %s", ID(obj), gvk)
	}
	data, err := obj.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ID(obj), err)
	}
	strictErrs, err := sigsjson.UnmarshalStrict(data, typed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ID(obj), err)
	}
	if len(strictErrs) > 0 {
		return nil, fmt.Errorf("%s: %w", ID(obj), errors.Join(strictErrs...))
	}
	return typed, nil
}

// DecodeAllStrict decodes every object that is not a Dapr resource and
// reports every failure.
func DecodeAllStrict(objs []*unstructured.Unstructured) error {
	var errs []error
	for _, obj := range objs {
		if obj.GroupVersionKind().Group == DaprGroup {
			continue
		}
		if _, err := DecodeStrict(obj); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
