package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/example/order-saga/platform/web"
)

func TestAnAdminRouteNeedsTheBearerToken(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	cases := []struct {
		name, token, header string
		want                int
	}{
		{"the token", "s3cret", "Bearer s3cret", 204},
		{"the scheme in another case", "s3cret", "bearer s3cret", 204},
		{"no header", "s3cret", "", 401},
		{"another token", "s3cret", "Bearer s3creT", 401},
		{"a prefix of the token", "s3cret", "Bearer s3cre", 401},
		{"another scheme", "s3cret", "Basic s3cret", 401},
		{"the scheme alone", "s3cret", "Bearer ", 401},
		{"no token configured refuses all", "", "Bearer ", 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPut, "/x", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			web.RequireToken(web.BearerToken, tc.token)(ok).ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("answered %d, want %d", rec.Code, tc.want)
			}
			if tc.want == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("a refusal without a challenge")
			}
		})
	}
}
