package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/example/order-saga/platform/problem"
)

// Credential is where a caller shows its token.
type Credential int

// The two credentials the services ask for.
const (
	// SidecarToken: the header dapr-api-token, which the sidecar sends with
	// every call to its app (APP_API_TOKEN).
	SidecarToken Credential = iota + 1
	// BearerToken: Authorization: Bearer <token>, for the admin routes.
	BearerToken
)

// RequireToken refuses, with a 401 problem, any request that does not show
// token as credential c. The comparison takes the same time whatever the
// token sent. An empty token refuses every request.
func RequireToken(c Credential, token string) func(http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sent, ok := c.of(r)
			got := sha256.Sum256([]byte(sent))
			if !ok || token == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				c.refuse(w)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// of returns the token a request shows, and whether it shows one.
func (c Credential) of(r *http.Request) (string, bool) {
	if c == SidecarToken {
		t := r.Header.Get("dapr-api-token")
		return t, t != ""
	}
	scheme, t, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return t, ok && strings.EqualFold(scheme, "Bearer") && t != ""
}

func (c Credential) refuse(w http.ResponseWriter) {
	detail := "only the service's sidecar may call this route"
	if c == BearerToken {
		w.Header().Set("WWW-Authenticate", `Bearer realm="admin"`)
		detail = "this route needs Authorization: Bearer with the admin token"
	}
	problem.Write(w, problem.New(http.StatusUnauthorized, "unauthorized", detail))
}
