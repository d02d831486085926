package k8se2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/example/order-saga/devstack/sagaapi"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/example/order-saga/devcluster"
)

// api talks to the three services through `kubectl port-forward` on
// localhost, as the README's curl session does.
type api struct {
	http *http.Client
	// admin is the bearer token of stock-svc's and payment-svc's writes.
	admin string
}

func newAPI(adminToken string) *api {
	return &api{
		http:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}},
		admin: adminToken,
	}
}

// serviceURL is where the port-forward of a service listens.
func serviceURL(name string) string {
	for _, s := range devcluster.Services {
		if s.Name == name {
			return fmt.Sprintf("http://127.0.0.1:%d", s.Port)
		}
	}
	panic("no service " + name)
}

const (
	orderSvc   = "order-svc"
	stockSvc   = "stock-svc"
	paymentSvc = "payment-svc"
)

// The services' replies, as the saga's clients read them.
type (
	item        = sagaapi.Item
	orderView   = sagaapi.Order
	productView = sagaapi.Product
	walletView  = sagaapi.Wallet
	paymentView = sagaapi.Payment
)

// reply is one HTTP answer, read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// call makes one request; body is nil or a value sent as JSON.
func (a *api) call(ctx context.Context, method, url string, body any, header map[string]string) (reply, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return reply{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return reply{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// retryable tells the answers that say nothing about the request itself:
// the port-forward or the pod behind it went away, or the service asks to
// come back.
func retryable(r reply, err error) bool {
	if err != nil {
		return true
	}
	switch r.status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusTooManyRequests:
		return true
	}
	return false
}

// callUntil repeats a request while it is retryable, until limit passes;
// it returns the last answer and how many attempts it made.
func (a *api) callUntil(ctx context.Context, limit time.Duration, method, url string, body any, header map[string]string) (reply, int, error) {
	deadline := time.Now().Add(limit)
	for attempt := 1; ; attempt++ {
		r, err := a.call(ctx, method, url, body, header)
		if !retryable(r, err) {
			return r, attempt, nil
		}
		if err == nil {
			err = fmt.Errorf("%d %s", r.status, bytes.TrimSpace(r.body))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return r, attempt, fmt.Errorf("%s %s: %d attempts in %s, the last: %w", method, url, attempt, limit, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// must is callUntil for the test's goroutine, expecting want.
func (a *api) must(t *testing.T, want int, method, url string, body any, header map[string]string) reply {
	t.Helper()
	r, _, err := a.callUntil(t.Context(), 30*time.Second, method, url, body, header)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, url, r.status, bytes.TrimSpace(r.body), want)
	}
	return r
}

func decode[T any](t *testing.T, r reply) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

func (a *api) adminHeader() map[string]string {
	return map[string]string{"Authorization": "Bearer " + a.admin}
}

func (a *api) putProduct(t *testing.T, id string, priceCents int64, available int) {
	t.Helper()
	a.must(t, http.StatusOK, http.MethodPut, serviceURL(stockSvc)+"/products/"+id,
		map[string]any{"name": "Test " + id, "priceCents": priceCents, "available": available}, a.adminHeader())
}

func (a *api) product(t *testing.T, id string) productView {
	t.Helper()
	return decode[productView](t, a.must(t, http.StatusOK, http.MethodGet, serviceURL(stockSvc)+"/products/"+id, nil, nil))
}

func (a *api) putWallet(t *testing.T, customer string, balanceCents int64) {
	t.Helper()
	a.must(t, http.StatusOK, http.MethodPut, serviceURL(paymentSvc)+"/wallets/"+customer,
		map[string]any{"balanceCents": balanceCents}, a.adminHeader())
}

func (a *api) wallet(t *testing.T, customer string) walletView {
	t.Helper()
	return decode[walletView](t, a.must(t, http.StatusOK, http.MethodGet, serviceURL(paymentSvc)+"/wallets/"+customer, nil, nil))
}

// payment returns the payment of an order and whether there is one.
func (a *api) payment(t *testing.T, orderID string) (paymentView, bool) {
	t.Helper()
	r, _, err := a.callUntil(t.Context(), 30*time.Second, http.MethodGet, serviceURL(paymentSvc)+"/payments/"+orderID, nil, nil)
	switch {
	case err != nil:
		t.Fatal(err)
	case r.status == http.StatusNotFound:
		return paymentView{}, false
	case r.status != http.StatusOK:
		t.Fatalf("get payment %s: %d %s", orderID, r.status, r.body)
	}
	return decode[paymentView](t, r), true
}

// placeOrder posts an order and expects a 202 that names it.
func (a *api) placeOrder(t *testing.T, customer string, items []item) orderView {
	t.Helper()
	r := a.must(t, http.StatusAccepted, http.MethodPost, serviceURL(orderSvc)+"/orders",
		map[string]any{"customerId": customer, "items": items}, map[string]string{"Idempotency-Key": "k8se2e-" + uid()})
	o := decode[orderView](t, r)
	if loc := r.header.Get("Location"); loc != "/orders/"+o.ID {
		t.Fatalf("Location %q for order %s", loc, o.ID)
	}
	return o
}

// errLost is an order that order-svc accepted and then said it does not
// know.
var errLost = errors.New("404 for an order answered 202")

// finalOrder waits, with reads that wait for the end, until the order is
// CONFIRMED or CANCELED or limit passes. A 404 is never retried: the order
// was accepted.
func (a *api) finalOrder(ctx context.Context, id string, limit time.Duration) (orderView, error) {
	deadline := time.Now().Add(limit)
	var last string
	for {
		r, _, err := a.callUntil(ctx, time.Until(deadline), http.MethodGet, serviceURL(orderSvc)+"/orders/"+id+"?wait=5s", nil, nil)
		if err != nil {
			return orderView{}, err
		}
		switch r.status {
		case http.StatusNotFound:
			return orderView{}, fmt.Errorf("order %s: %w", id, errLost)
		case http.StatusOK:
			var o orderView
			if err := json.Unmarshal(r.body, &o); err != nil {
				return o, fmt.Errorf("order %s: decode %s: %w", id, r.body, err)
			}
			if o.Final() {
				return o, nil
			}
			last = o.Status
		default:
			last = fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.body))
		}
		if time.Now().After(deadline) {
			return orderView{}, fmt.Errorf("order %s not final after %s: last seen %s", id, limit, last)
		}
	}
}

// adminToken reads the token that scripts/k8s-secrets.sh wrote for the
// admin-token Secret.
func adminToken(repo string) (string, error) { return devSecret(repo, "admin-token", "token") }

// devSecret reads key of the Secret name from the file that
// scripts/k8s-secrets.sh wrote for it.
func devSecret(repo, name, key string) (string, error) {
	file := filepath.Join(repo, "k8s", "components", "dev-secrets", "secrets", name+".env")
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), key+"="); ok && v != "" {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s holds no %s=", file, key)
}
