package web_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/platform/problem"
	"github.com/example/order-saga/platform/web"
)

func TestEveryErrorIsAnsweredByItsKind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		err      error
		status   int
		typ      string
		detail   string
		logged   bool
		internal string // text that must never reach the client
	}{
		{"invalid fields are named", contracts.Invalid(contracts.FieldError{Field: "customerId", Detail: "must be set"}),
			422, "/problems/validation-failed", "customerId must be set", false, ""},
		{"an invalid input of its own type keeps it", &contracts.Error{Kind: contracts.KindInvalid, Type: "idempotency-key-reused", Detail: "used before"},
			422, "/problems/idempotency-key-reused", "used before", false, ""},
		{"not found", fmt.Errorf("get: %w", contracts.NotFound("order-not-found", "no order has this id")),
			404, "/problems/order-not-found", "no order has this id", false, ""},
		{"a conflict", contracts.Conflict("product-held", "held"), 409, "/problems/product-held", "held", false, ""},
		{"an unavailable store", contracts.Unavailable("try again", errors.New("dial tcp 10.0.0.1: refused")),
			503, "/problems/unavailable", "try again", true, "10.0.0.1"},
		{"too much at once", &contracts.Error{Kind: contracts.KindBusy, Type: "busy", Detail: "later"}, 429, "/problems/busy", "later", false, ""},
		{"a problem is sent as it is", problem.New(415, "unsupported-media-type", "JSON only"), 415, "/problems/unsupported-media-type", "JSON only", false, ""},
		{"anything else is one 500", errors.New("nil map at line 12"), 500, "/problems/internal", "", true, "nil map"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			h := web.Handle(slog.New(slog.NewTextHandler(&logs, nil)), func(http.ResponseWriter, *http.Request) error { return tc.err })
			rec := httptest.NewRecorder()
			h(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
			var body problem.Details
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			switch {
			case rec.Code != tc.status || body.Status != tc.status:
				t.Errorf("status %d (body %d), want %d", rec.Code, body.Status, tc.status)
			case rec.Header().Get("Content-Type") != problem.ContentType:
				t.Errorf("content type %q", rec.Header().Get("Content-Type"))
			case body.Type != tc.typ:
				t.Errorf("type %q, want %q", body.Type, tc.typ)
			case !strings.Contains(body.Detail, tc.detail):
				t.Errorf("detail %q, want it to hold %q", body.Detail, tc.detail)
			case tc.internal != "" && strings.Contains(rec.Body.String(), tc.internal):
				t.Errorf("the answer shows %q: %s", tc.internal, rec.Body)
			case (logs.Len() > 0) != tc.logged:
				t.Errorf("logged %q, want a log line: %v", logs.String(), tc.logged)
			}
		})
	}
}

func TestABodyIsDecodedOrRefusedWithAProblem(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, contentType, body string
		status                  int
		typ                     string
	}{
		{"a good body", "application/json; charset=utf-8", `{"n":1}`, 200, ""},
		{"not JSON", "text/plain", `{"n":1}`, 415, "/problems/unsupported-media-type"},
		{"too large", "application/json", `{"s":"` + strings.Repeat("a", web.MaxBodyBytes) + `"}`, 413, "/problems/body-too-large"},
		{"an unknown field", "application/json", `{"n":1,"m":2}`, 400, "/problems/unknown-field"},
		{"a wrong type names the field", "application/json", `{"n":"one"}`, 422, "/problems/validation-failed"},
		{"two values", "application/json", `{"n":1}{"n":2}`, 400, "/problems/malformed-json"},
		{"cut short", "application/json", `{"n":`, 400, "/problems/malformed-json"},
		{"a key given twice", "application/json", `{"n":1,"n":2}`, 400, "/problems/duplicate-field"},
		{"a nested key given twice", "application/json", `{"items":[{"id":"a"},{"id":"b","id":"c"}]}`, 400, "/problems/duplicate-field"},
		{"a field in another case", "application/json", `{"N":1}`, 400, "/problems/unknown-field"},
		{"a nested field in another case", "application/json", `{"items":[{"ID":"a"}]}`, 400, "/problems/unknown-field"},
		{"a map keeps its keys", "application/json", `{"tags":{"Any":"x","any":"y"}}`, 200, ""},
		{"a key twice in a map", "application/json", `{"tags":{"a":"x","a":"y"}}`, 400, "/problems/duplicate-field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := web.Handle(slog.Default(), func(w http.ResponseWriter, r *http.Request) error {
				var v struct {
					N     int    `json:"n"`
					S     string `json:"s"`
					Items []struct {
						ID string `json:"id"`
					} `json:"items"`
					Tags map[string]string `json:"tags"`
				}
				if err := web.Decode(w, r, &v); err != nil {
					return err
				}
				web.JSON(w, http.StatusOK, v)
				return nil
			})
			req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			rec := httptest.NewRecorder()
			h(rec, req)
			var body problem.Details
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			if rec.Code != tc.status || body.Type != tc.typ {
				t.Fatalf("answered %d %q, want %d %q: %s", rec.Code, body.Type, tc.status, tc.typ, rec.Body)
			}
		})
	}
}
