package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/sagaapi"
	"github.com/example/order-saga/devstack/stack"
)

// api talks to one stack's services over HTTP, as a user would.
type api struct {
	t *testing.T
	s *stack.Stack
}

func newAPI(t *testing.T, s *stack.Stack) api { return api{t: t, s: s} }

// The services' replies, as the saga's clients read them.
type (
	item      = sagaapi.Item
	orderView = sagaapi.Order
	product   = sagaapi.Product
	wallet    = sagaapi.Wallet
	payment   = sagaapi.Payment
)

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request; body may be nil, a string (sent as is) or a value
// (sent as JSON). Transport errors fail the test.
func (a api) do(method, url string, body any, header map[string]string) response {
	a.t.Helper()
	r, err := tryDo(method, url, body, header)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

func tryDo(method, url string, body any, header map[string]string) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	contentType := ""
	if body != nil {
		contentType = "application/json"
	}
	return send(method, url, rd, contentType, header)
}

// send makes one request, with a content type unless it is "", and the
// headers given, and reads the whole answer.
func send(method, url string, body io.Reader, contentType string, header map[string]string) (response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, url, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}, err
}

func decodeInto[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	return v
}

// placeOrder posts an order and expects a 202.
func (a api) placeOrder(customer string, items ...item) orderView {
	a.t.Helper()
	r := a.do(http.MethodPost, a.s.URL(contracts.AppOrder)+"/orders", map[string]any{"customerId": customer, "items": items}, nil)
	if r.Status != http.StatusAccepted {
		a.t.Fatalf("place order: %d %s", r.Status, r.Body)
	}
	o := decodeInto[orderView](a.t, r)
	if r.Header.Get("Location") != "/orders/"+o.ID {
		a.t.Fatalf("Location %q for order %s", r.Header.Get("Location"), o.ID)
	}
	return o
}

func (a api) order(id string) (orderView, int) {
	a.t.Helper()
	r := a.do(http.MethodGet, a.s.URL(contracts.AppOrder)+"/orders/"+id, nil, nil)
	if r.Status != http.StatusOK {
		return orderView{}, r.Status
	}
	return decodeInto[orderView](a.t, r), r.Status
}

// finalOrder polls the order until its status is final.
func (a api) finalOrder(id string) orderView {
	a.t.Helper()
	var last orderView
	eventually(a.t, 30*time.Second, func() error {
		o, code := a.order(id)
		last = o
		if code != http.StatusOK {
			return fmt.Errorf("GET order answered %d", code)
		}
		if o.Status != "CONFIRMED" && o.Status != "CANCELED" {
			return fmt.Errorf("last seen %+v", o)
		}
		return nil
	}, "order %s to finish", id)
	return last
}

// admin is the header of the admin routes: stock-svc's and payment-svc's
// writes, and each service's dead letters.
func (a api) admin() map[string]string {
	return map[string]string{"Authorization": "Bearer " + a.s.Tokens.Admin}
}

func (a api) putProduct(id string, priceCents int64, available int) {
	a.t.Helper()
	r := a.do(http.MethodPut, a.s.URL(contracts.AppStock)+"/products/"+id,
		map[string]any{"name": "Test " + id, "priceCents": priceCents, "available": available}, a.admin())
	if r.Status != http.StatusOK {
		a.t.Fatalf("put product %s: %d %s", id, r.Status, r.Body)
	}
}

func (a api) product(id string) product {
	a.t.Helper()
	r := a.do(http.MethodGet, a.s.URL(contracts.AppStock)+"/products/"+id, nil, nil)
	if r.Status != http.StatusOK {
		a.t.Fatalf("get product %s: %d %s", id, r.Status, r.Body)
	}
	return decodeInto[product](a.t, r)
}

func (a api) putWallet(customer string, balanceCents int64) {
	a.t.Helper()
	r := a.do(http.MethodPut, a.s.URL(contracts.AppPayment)+"/wallets/"+customer, map[string]any{"balanceCents": balanceCents}, a.admin())
	if r.Status != http.StatusOK {
		a.t.Fatalf("put wallet %s: %d %s", customer, r.Status, r.Body)
	}
}

func (a api) wallet(customer string) wallet {
	a.t.Helper()
	r := a.do(http.MethodGet, a.s.URL(contracts.AppPayment)+"/wallets/"+customer, nil, nil)
	if r.Status != http.StatusOK {
		a.t.Fatalf("get wallet %s: %d %s", customer, r.Status, r.Body)
	}
	return decodeInto[wallet](a.t, r)
}

// payment returns the payment of an order and whether there is one.
func (a api) payment(orderID string) (payment, bool) {
	a.t.Helper()
	r := a.do(http.MethodGet, a.s.URL(contracts.AppPayment)+"/payments/"+orderID, nil, nil)
	switch r.Status {
	case http.StatusOK:
		return decodeInto[payment](a.t, r), true
	case http.StatusNotFound:
		return payment{}, false
	}
	a.t.Fatalf("get payment %s: %d %s", orderID, r.Status, r.Body)
	return payment{}, false
}

// owners are the services that publish each topic: a sidecar publishes
// only its own service's topic (dapr/components/pubsub.yaml).
var owners = map[string]string{
	contracts.TopicOrders:   contracts.AppOrder,
	contracts.TopicStock:    contracts.AppStock,
	contracts.TopicPayments: contracts.AppPayment,
}

// publish sends an event straight to a topic through the sidecar of the
// topic's owner, the way a redelivery or another instance of the owner
// would.
func (a api) publish(topic string, event any, cloudEventID string) {
	a.t.Helper()
	if err := tryPublish(a.s, topic, event, cloudEventID); err != nil {
		a.t.Fatal(err)
	}
}

// tryPublish is publish for goroutines other than the test's: it returns
// the failure instead of ending the test.
func tryPublish(s *stack.Stack, topic string, event any, cloudEventID string) error {
	r, err := publishThrough(s, owners[topic], topic, event, cloudEventID, s.Tokens.DaprAPI)
	if err != nil {
		return fmt.Errorf("publish to %s: %v", topic, err)
	}
	if r.Status != http.StatusNoContent && r.Status != http.StatusOK {
		return fmt.Errorf("publish to %s: %d %s", topic, r.Status, r.Body)
	}
	return nil
}

// publishThrough asks the sidecar of inst to publish event to topic,
// showing token as its API token (none when empty), and returns the
// answer.
func publishThrough(s *stack.Stack, inst, topic string, event any, cloudEventID, token string) (response, error) {
	url := s.DaprURL(inst) + "/v1.0/publish/" + contracts.PubSub + "/" + topic
	if cloudEventID != "" {
		url += "?metadata.cloudevent.id=" + cloudEventID
	}
	body := event
	header := map[string]string{}
	if token != "" {
		header["dapr-api-token"] = token
	}
	if text, ok := event.(string); ok {
		body, header["Content-Type"] = text, "text/plain"
	}
	return tryDo(http.MethodPost, url, body, header)
}

// eventually polls check until it returns nil or limit passes.
func eventually(t *testing.T, limit time.Duration, check func() error, what string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for "+what+": %v", append([]any{limit}, append(args, err)...)...)
		}
		<-time.After(20 * time.Millisecond)
	}
}

// uid returns a short unique suffix for test data.
func uid() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
