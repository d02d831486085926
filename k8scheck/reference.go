package k8scheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"

	"github.com/example/order-saga/contracts"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Services are the app ids of the saga's services, which are also their
// directory, image and Deployment names.
var Services = []string{contracts.AppOrder, contracts.AppStock, contracts.AppPayment}

// ComponentNames are the Dapr components the code names.
var ComponentNames = []string{contracts.PubSub, contracts.OrderStore, contracts.StockStore, contracts.PaymentStore}

// Reference is what the manifests must agree with outside k8s/: the Dapr
// resources used by local runs (dapr/components, dapr/config.yaml) and each
// service's default port (its main.go).
type Reference struct {
	// DaprResources maps kind/name to the local resource.
	DaprResources map[string]*unstructured.Unstructured
	// DefaultPorts maps an app id to the port its main.go passes to
	// LoadConfig.
	DefaultPorts map[string]int
}

// LoadReference reads the local Dapr resources and the services' defaults.
func LoadReference(root string) (*Reference, error) {
	ref := &Reference{DaprResources: map[string]*unstructured.Unstructured{}, DefaultPorts: map[string]int{}}
	files, err := filepath.Glob(filepath.Join(root, "dapr", "components", "*.yaml"))
	if err != nil {
		return nil, err
	}
	files = append(files, filepath.Join(root, "dapr", "config.yaml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		// Through JSON, as the rendered objects are, so that numbers compare
		// equal (int64 on both sides).
		jsonData, err := yaml.YAMLToJSON(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(jsonData); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		ref.DaprResources[obj.GetKind()+"/"+obj.GetName()] = obj
	}
	for _, svc := range Services {
		port, err := DefaultPort(filepath.Join(root, svc, "main.go"))
		if err != nil {
			return nil, err
		}
		ref.DefaultPorts[svc] = port
	}
	return ref, nil
}

// DefaultPort finds the integer literal that main.go passes as the default
// port to LoadConfig(name, port).
func DefaultPort(mainGo string) (int, error) {
	file, err := parser.ParseFile(token.NewFileSet(), mainGo, nil, 0)
	if err != nil {
		return 0, err
	}
	port := 0
	ast.Inspect(file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 2 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "LoadConfig" {
			return true
		}
		if lit, ok := call.Args[1].(*ast.BasicLit); ok && lit.Kind == token.INT {
			port, _ = strconv.Atoi(lit.Value)
		}
		return false
	})
	if port == 0 {
		return 0, fmt.Errorf("%s: no LoadConfig(name, port) call with a literal port", mainGo)
	}
	return port, nil
}
