package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/problem"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 64 << 10

// Decode reads a JSON request body into v: the content type must be JSON,
// the body at most MaxBodyBytes, with no unknown field and nothing after
// the value. The error it returns is a problem naming what was wrong.
func Decode(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return problem.New(http.StatusUnsupportedMediaType, "unsupported-media-type", "Content-Type must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return decodeProblem(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return problem.New(http.StatusBadRequest, "malformed-json", "the body must hold a single JSON value")
	}
	if p := strict(body, reflect.TypeOf(v)); p != nil {
		return p
	}
	return nil
}

// strict refuses what encoding/json lets through: a key given twice in one
// object (which value counts is a guess), and a field name in another case
// than the one declared (encoding/json matches names without regard to
// case). body has been decoded into a value of type t already, so it is
// valid JSON.
func strict(body []byte, t reflect.Type) *problem.Details {
	dec := json.NewDecoder(bytes.NewReader(body))
	return walk(dec, t)
}

// walk reads one value from dec, as a value of type t (nil when unknown).
func walk(dec *json.Decoder, t reflect.Type) *problem.Details {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return decodeProblem(err)
	}
	switch tok {
	case json.Delim('{'):
		var fields map[string]reflect.Type
		if t != nil && t.Kind() == reflect.Struct {
			fields = jsonFields(t)
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return decodeProblem(err)
			}
			key := tok.(string)
			if seen[key] {
				return problem.New(http.StatusBadRequest, "duplicate-field", fmt.Sprintf("field %q is given twice", key))
			}
			seen[key] = true
			var elem reflect.Type
			switch {
			case fields != nil:
				ft, declared := fields[key]
				if !declared {
					return problem.New(http.StatusBadRequest, "unknown-field", fmt.Sprintf("unknown field %q", key))
				}
				elem = ft
			case t != nil && t.Kind() == reflect.Map:
				elem = t.Elem()
			}
			if p := walk(dec, elem); p != nil {
				return p
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if p := walk(dec, elem); p != nil {
				return p
			}
		}
		_, err = dec.Token()
	}
	if err != nil {
		return decodeProblem(err)
	}
	return nil
}

// fieldsOf keeps jsonFields by type: a request of an order walks the same
// item type up to a hundred times.
var fieldsOf sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields are the names under which encoding/json fills the fields of
// struct type t, as declared.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldsOf.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	f := declaredFields(t)
	fieldsOf.Store(t, f)
	return f
}

func declaredFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
			continue
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			for k, v := range jsonFields(f.Type) {
				fields[k] = v
			}
			continue
		case name == "":
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

func decodeProblem(err error) *problem.Details {
	var tooBig *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return problem.New(http.StatusRequestEntityTooLarge, "body-too-large", fmt.Sprintf("the body must be at most %d bytes", MaxBodyBytes))
	case errors.As(err, &syntax):
		return problem.New(http.StatusBadRequest, "malformed-json", fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.As(err, &typ):
		return problem.Invalid([]contracts.FieldError{{Field: typ.Field, Detail: "must be a " + typ.Type.String()}})
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return problem.New(http.StatusBadRequest, "malformed-json", "the body is empty or cut short")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return problem.New(http.StatusBadRequest, "unknown-field", fmt.Sprintf("unknown field %q", field))
	}
	return problem.New(http.StatusBadRequest, "malformed-json", "the body is not valid JSON")
}
