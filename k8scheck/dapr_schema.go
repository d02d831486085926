package k8scheck

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	runtimeschema "k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// DaprSchemas validates Dapr resources the way the API server does once
// Dapr's CRDs are installed: against the CRD's OpenAPI schema, with every
// field the schema does not declare reported (the API server would drop it
// silently, or refuse it with fieldValidation=Strict).
type DaprSchemas struct {
	// CRDs are the definitions as read, to be installed in a test cluster.
	CRDs     []*apiextensionsv1.CustomResourceDefinition
	versions map[runtimeschema.GroupVersionKind]versionSchema
}

type versionSchema struct {
	validator  validation.SchemaValidator
	structural *schema.Structural
}

// LoadDaprSchemas reads every CRD in dir (charts/dapr/crds of the
// github.com/dapr/dapr module).
func LoadDaprSchemas(dir string) (*DaprSchemas, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CRD files in %s", dir)
	}
	d := &DaprSchemas{versions: map[runtimeschema.GroupVersionKind]versionSchema{}}
	for _, file := range files {
		crds, err := readCRDs(file)
		if err != nil {
			return nil, err
		}
		for _, crd := range crds {
			if err := d.add(crd); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", file, crd.Name, err)
			}
		}
	}
	return d, nil
}

func readCRDs(file string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var crds []*apiextensionsv1.CustomResourceDefinition
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return crds, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if strings.TrimSpace(strings.ReplaceAll(string(doc), "---", "")) == "" {
			continue
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := utilyaml.Unmarshal(doc, crd); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		crds = append(crds, crd)
	}
}

func (d *DaprSchemas) add(crd *apiextensionsv1.CustomResourceDefinition) error {
	d.CRDs = append(d.CRDs, crd)
	for _, v := range crd.Spec.Versions {
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			return fmt.Errorf("version %s has no schema", v.Name)
		}
		internal := &apiextensions.JSONSchemaProps{}
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, internal, nil); err != nil {
			return fmt.Errorf("version %s: %w", v.Name, err)
		}
		validator, _, err := validation.NewSchemaValidator(internal)
		if err != nil {
			return fmt.Errorf("version %s: %w", v.Name, err)
		}
		structural, err := schema.NewStructural(internal)
		if err != nil {
			return fmt.Errorf("version %s: %w", v.Name, err)
		}
		if errs := schema.ValidateStructural(field.NewPath("openAPIV3Schema"), structural); len(errs) > 0 {
			return fmt.Errorf("version %s: not a structural schema: %w", v.Name, errs.ToAggregate())
		}
		gvk := runtimeschema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
		d.versions[gvk] = versionSchema{validator: validator, structural: structural}
	}
	return nil
}

// Validate checks one Dapr resource: its metadata as the API server reads
// it, the schema's types and required fields, and fields the schema does
// not know (a misspelt field would otherwise vanish on the way in).
func (d *DaprSchemas) Validate(obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	vs, ok := d.versions[gvk]
	if !ok {
		return fmt.Errorf("%s: Dapr has no CRD for %s", ID(obj), gvk)
	}
	var errs field.ErrorList
	var unknown []string
	content := obj.DeepCopy().UnstructuredContent()

	meta, _, unknownMeta, err := objectmeta.GetObjectMetaWithOptions(content, objectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		errs = append(errs, field.Invalid(field.NewPath("metadata"), nil, err.Error()))
	}
	unknown = append(unknown, unknownMeta...)
	if meta != nil {
		errs = append(errs, apimachineryvalidation.ValidateObjectMeta(meta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	}
	errs = append(errs, validation.ValidateCustomResource(nil, content, vs.validator)...)
	unknown = append(unknown, pruning.PruneWithOptions(content, vs.structural, true, schema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)

	var all []error
	for _, e := range errs {
		all = append(all, e)
	}
	sort.Strings(unknown)
	for _, p := range unknown {
		all = append(all, fmt.Errorf("%s: unknown field, not in Dapr's schema", p))
	}
	if len(all) > 0 {
		return fmt.Errorf("%s: %w", ID(obj), errors.Join(all...))
	}
	return nil
}

// ValidateAll validates every Dapr resource among objs.
func (d *DaprSchemas) ValidateAll(objs []*unstructured.Unstructured) error {
	var errs []error
	for _, obj := range objs {
		if obj.GroupVersionKind().Group != DaprGroup {
			continue
		}
		if err := d.Validate(obj); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
