package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// DecodeJSON reads a JSON request body into v: the content type must be
// JSON, the body at most maxBytes, with no unknown field and nothing after
// the value. The problem it returns names what was wrong.
func DecodeJSON(w http.ResponseWriter, r *http.Request, maxBytes int64, v any) *Details {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return New(http.StatusUnsupportedMediaType, "unsupported-media-type", "Content-Type must be application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err, maxBytes)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return New(http.StatusBadRequest, "malformed-json", "the body must hold a single JSON value")
	}
	return nil
}

func decodeProblem(err error, maxBytes int64) *Details {
	var tooBig *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return New(http.StatusRequestEntityTooLarge, "body-too-large", fmt.Sprintf("the body must be at most %d bytes", maxBytes))
	case errors.As(err, &syntax):
		return New(http.StatusBadRequest, "malformed-json", fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.As(err, &typ):
		return Invalid([]FieldError{{Field: typ.Field, Detail: "must be a " + typ.Type.String()}})
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return New(http.StatusBadRequest, "malformed-json", "the body is empty or cut short")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return New(http.StatusBadRequest, "unknown-field", fmt.Sprintf("unknown field %q", field))
	}
	return New(http.StatusBadRequest, "malformed-json", "the body is not valid JSON")
}
