package k8scheck

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/example/order-saga/contracts"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Services are the app ids of the saga's services, which are also their
// directory, image and Deployment names.
var Services = []string{contracts.AppOrder, contracts.AppStock, contracts.AppPayment}

// ComponentNames are the Dapr components the code names.
var ComponentNames = []string{contracts.PubSub, contracts.OrderStore, contracts.StockStore, contracts.PaymentStore}

// Reference is what the manifests must agree with outside k8s/ besides
// contracts (app ids, component names, default ports): the Dapr resources
// used by local runs (dapr/components, dapr/config.yaml), less the local
// secret store, whose part the built-in kubernetes store plays in a cluster;
// and the local state stores on other backends (dapr/stores/<backend>/),
// which a cluster may run in their place.
type Reference struct {
	// DaprResources maps kind/name to the local resource.
	DaprResources map[string]*unstructured.Unstructured
	// Stores maps kind/name to the alternatives of a local state store, by
	// their spec.type ("state.postgresql").
	Stores map[string]map[string]*unstructured.Unstructured
}

// LoadReference reads the local Dapr resources.
func LoadReference(root string) (*Reference, error) {
	ref := &Reference{DaprResources: map[string]*unstructured.Unstructured{}, Stores: map[string]map[string]*unstructured.Unstructured{}}
	files, err := filepath.Glob(filepath.Join(root, "dapr", "components", "*.yaml"))
	if err != nil {
		return nil, err
	}
	files = append(files, filepath.Join(root, "dapr", "config.yaml"))
	for _, file := range files {
		obj, err := readResource(file)
		if err != nil {
			return nil, err
		}
		if typ, _, _ := unstructured.NestedString(obj.Object, "spec", "type"); strings.HasPrefix(typ, "secretstores.local.") {
			continue
		}
		ref.DaprResources[obj.GetKind()+"/"+obj.GetName()] = obj
	}
	stores, err := filepath.Glob(filepath.Join(root, "dapr", "stores", "*", "*.yaml"))
	if err != nil {
		return nil, err
	}
	for _, file := range stores {
		obj, err := readResource(file)
		if err != nil {
			return nil, err
		}
		key := obj.GetKind() + "/" + obj.GetName()
		typ, _, _ := unstructured.NestedString(obj.Object, "spec", "type")
		if ref.Stores[key] == nil {
			ref.Stores[key] = map[string]*unstructured.Unstructured{}
		}
		ref.Stores[key][typ] = obj
	}
	return ref, nil
}

// readResource reads one Dapr resource through JSON, as the rendered
// objects are, so that numbers compare equal (int64 on both sides).
func readResource(file string) (*unstructured.Unstructured, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	jsonData, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(jsonData); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return obj, nil
}
