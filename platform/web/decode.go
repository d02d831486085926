package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

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
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return problem.New(http.StatusBadRequest, "malformed-json", "the body must hold a single JSON value")
	}
	return nil
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
