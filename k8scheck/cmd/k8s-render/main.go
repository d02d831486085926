// Command k8s-render prints the manifests of a kustomize overlay, as
// `kubectl kustomize` would, for machines without kubectl:
//
//	go run ./k8scheck/cmd/k8s-render k8s/overlays/kind
package main

import (
	"fmt"
	"os"

	"github.com/example/order-saga/k8scheck"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: k8s-render <kustomization dir>")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "k8s-render:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	objs, err := k8scheck.Render("", dir)
	if err != nil {
		return err
	}
	for i, obj := range objs {
		data, err := yaml.Marshal(obj.Object)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Println("---")
		}
		fmt.Print(string(data))
	}
	return nil
}
