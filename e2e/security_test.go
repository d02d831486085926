package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// The security suite: each table line is one attack, sent on loopback as
// anyone on the machine could send it, with the answer it must get. After
// every refusal the suite checks that nothing moved: the stock of the
// products, the wallets, the orders and their payments, and the events on
// the topics.

var apps = []string{contracts.AppOrder, contracts.AppStock, contracts.AppPayment}

func TestSecurityForgedDeliveriesAreRefusedByEveryService(t *testing.T) {
	t.Parallel()
	v := newVictims(t, shared)
	attacks := []struct {
		name    string
		topic   string
		event   func(id string) any // the event, for an order id of its own; nil for the GET
		leaking string              // what the answer must not show
	}{
		{"POST /events/orders an OrderCreated that takes units of the product", contracts.TopicOrders,
			func(id string) any { return v.takingUnits(id) }, ""},
		{"POST /events/stock a StockReserved that debits the customer's wallet", contracts.TopicStock,
			func(string) any { return v.debitingTheWallet() }, ""},
		{"POST /events/payments a PaymentCompleted that confirms the pending order", contracts.TopicPayments,
			func(string) any { return v.confirmingThePending() }, ""},
		{"POST /events/payments a PaymentFailed that releases the settled order", contracts.TopicPayments,
			func(string) any { return v.releasingTheSettled() }, ""},
		{"GET /dapr/subscribe, the list of the service's topics", "", nil, `"topic"`},
	}
	n := 0
	for _, app := range apps {
		for _, attack := range attacks {
			for _, cred := range []credential{noToken, wrongToken, daprToken} {
				t.Run(app+" "+attack.name+" "+cred.String()+" is refused with 401", func(t *testing.T) {
					n++
					id := v.forged(fmt.Sprintf("deliver-%d", n))
					v.expectUnchanged(t, id)
					a := newAPI(t, shared)
					var r response
					if attack.event == nil {
						r = a.do(http.MethodGet, shared.URL(app)+"/dapr/subscribe", nil, cred.header(shared, false))
					} else {
						r = deliver(a, app, attack.topic, attack.event(id), cred.header(shared, false))
					}
					expectProblem(t, r, http.StatusUnauthorized, "")
					if attack.leaking != "" && strings.Contains(string(r.Body), attack.leaking) {
						t.Fatalf("the refusal shows %s: %s", attack.leaking, r.Body)
					}
				})
			}
		}
	}
	v.noNewEvents(t)
}

func TestSecurityADeliveryOverTheSizeLimitIsDroppedEvenWithTheAppToken(t *testing.T) {
	t.Parallel()
	v := newVictims(t, shared)
	// A CloudEvent may carry extensions; one of 70 KB takes the delivery
	// past the limit while its event stays valid.
	padded := func(event any) map[string]any {
		return map[string]any{"specversion": "1.0", "id": uid(), "source": "elsewhere", "type": "padded",
			"datacontenttype": "application/json", "pad": strings.Repeat("x", 70_000), "data": event}
	}
	cases := []struct {
		name  string
		app   string
		topic string
		event func(id string) any
	}{
		{"an OrderCreated of 70 KB to stock-svc, which would take units", contracts.AppStock, contracts.TopicOrders,
			func(id string) any { return v.takingUnits(id) }},
		{"a PaymentCompleted of 70 KB to order-svc, which would confirm the pending order", contracts.AppOrder, contracts.TopicPayments,
			func(string) any { return v.confirmingThePending() }},
		{"a StockReserved of 70 KB to payment-svc, which would debit the wallet", contracts.AppPayment, contracts.TopicStock,
			func(string) any { return v.debitingTheWallet() }},
		{"a StockReserved of 70 KB to order-svc, which would reserve the pending order", contracts.AppOrder, contracts.TopicStock,
			func(string) any { return v.debitingTheWallet() }},
	}
	for i, tc := range cases {
		t.Run(tc.name+" is answered DROP", func(t *testing.T) {
			id := v.forged(fmt.Sprintf("big-%d", i))
			v.expectUnchanged(t, id)
			r := newAPI(t, shared).do(http.MethodPost, shared.URL(tc.app)+"/events/"+tc.topic, padded(tc.event(id)), appToken.header(shared, false))
			if r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != `{"status":"DROP"}` {
				t.Fatalf("answered %d %s, want 200 {\"status\":\"DROP\"}", r.Status, r.Body)
			}
		})
	}
	v.noNewEvents(t)

	// The control: the limit, not the event, is what refuses. The same
	// OrderCreated at its own size, for a product of its own, takes units.
	t.Run("the same OrderCreated under the limit is handled and takes units", func(t *testing.T) {
		a := newAPI(t, shared)
		p, c := "p-"+uid(), "c-"+uid()
		a.putProduct(p, 100, 10)
		a.putWallet(c, 10_000)
		ev := orderCreated("o-"+uid(), c, item{ProductID: p, Quantity: 2})
		r := deliver(a, contracts.AppStock, contracts.TopicOrders, ev, appToken.header(shared, false))
		if r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != `{"status":"SUCCESS"}` {
			t.Fatalf("answered %d %s, want SUCCESS", r.Status, r.Body)
		}
		eventually(t, 10*time.Second, func() error {
			if got := a.product(p); got.Available != 8 {
				return fmt.Errorf("%d available, want 8", got.Available)
			}
			return nil
		}, "the delivered order to take its units")
	})
}

// daprAnswer is how a sidecar refuses an HTTP call: a status, and a body
// that holds want.
type daprAnswer struct {
	status int
	want   string
}

var (
	badAPIToken = daprAnswer{http.StatusUnauthorized, "invalid api token"}
	notServed   = daprAnswer{http.StatusNotFound, ""}
	forbidden   = daprAnswer{http.StatusForbidden, "ERR_PUBSUB_FORBIDDEN"}
)

// sidecarCall is one HTTP call to a sidecar's API.
type sidecarCall struct {
	name   string
	inst   string
	method string
	path   string
	body   any
	madeUp string // an order the call makes up, if any
}

// grpcProbe is one gRPC call to a sidecar.
type grpcProbe struct {
	name     string
	inst     string
	internal bool // on the sidecar-to-sidecar port rather than the API
	method   string
	msg      []byte
	madeUp   string
}

// attackCalls are the HTTP calls an attacker makes to the sidecars'
// APIs against the victims.
func attackCalls(t *testing.T, v *victims) []sidecarCall {
	product := map[string]any{"id": v.product, "name": "Test " + v.product, "priceCents": 1, "available": 1_000_000, "revision": 99}
	canceled := map[string]any{"id": v.settled, "customerId": v.customer, "items": []item{{ProductID: v.product, Quantity: 1}}, "status": "CANCELED",
		"reason": "forged", "placed": true, "history": []map[string]any{{"status": "CANCELED", "at": time.Now()}}}
	return []sidecarCall{
		{"saves the product at 1 cent in stockstore", contracts.AppStock, http.MethodPost, "/v1.0/state/stockstore",
			[]map[string]any{{"key": "product-" + v.product, "value": product, "etag": v.etag(t, contracts.AppStock, "product-"+v.product)}}, ""},
		{"saves a wallet of 9e15 cents in paymentstore", contracts.AppPayment, http.MethodPost, "/v1.0/state/paymentstore",
			[]map[string]any{{"key": "wallet-" + v.customer, "value": map[string]any{"balanceCents": int64(9e15)}, "etag": v.etag(t, contracts.AppPayment, "wallet-"+v.customer)}}, ""},
		{"saves the settled order as canceled in orderstore", contracts.AppOrder, http.MethodPost, "/v1.0/state/orderstore",
			[]map[string]any{{"key": "order-" + v.settled, "value": canceled, "etag": v.etag(t, contracts.AppOrder, "order-"+v.settled)}}, ""},
		{"reads the customer's wallet from paymentstore", contracts.AppPayment, http.MethodGet, "/v1.0/state/paymentstore/wallet-" + v.customer, nil, ""},
		{"deletes the product from stockstore", contracts.AppStock, http.MethodDelete, "/v1.0/state/stockstore/product-" + v.product, nil, ""},
		{"publishes an OrderCreated that takes units on orders", contracts.AppOrder, http.MethodPost, "/v1.0/publish/pubsub/orders",
			v.takingUnits(v.forged("pub-orders")), v.forged("pub-orders")},
		{"publishes a StockReserved that debits the wallet on stock", contracts.AppStock, http.MethodPost, "/v1.0/publish/pubsub/stock", v.debitingTheWallet(), ""},
		{"publishes a PaymentCompleted that confirms the pending order on payments", contracts.AppPayment, http.MethodPost, "/v1.0/publish/pubsub/payments",
			v.confirmingThePending(), ""},
		{"invokes payment-svc's PUT /wallets through service invocation", contracts.AppStock, http.MethodPut, "/v1.0/invoke/payment-svc/method/wallets/" + v.customer,
			map[string]any{"balanceCents": int64(9e15)}, ""},
		{"invokes stock-svc's delivery route through service invocation", contracts.AppOrder, http.MethodPost, "/v1.0/invoke/stock-svc/method/events/orders",
			v.takingUnits(v.forged("invoke")), v.forged("invoke")},
		{"reads the metadata", contracts.AppOrder, http.MethodGet, "/v1.0/metadata", nil, ""},
		{"reads REDIS_PASSWORD from the secret store", contracts.AppStock, http.MethodGet, "/v1.0/secrets/localsecrets/REDIS_PASSWORD", nil, ""},
		{"reads every secret of the secret store", contracts.AppPayment, http.MethodGet, "/v1.0/secrets/localsecrets/bulk", nil, ""},
		{"calls an output binding", contracts.AppOrder, http.MethodPost, "/v1.0/bindings/pubsub", map[string]any{"operation": "create", "data": "x"}, ""},
		{"calls an actor", contracts.AppStock, http.MethodPost, "/v1.0/actors/cart/1/method/checkout", map[string]any{}, ""},
		{"starts a workflow", contracts.AppPayment, http.MethodPost, "/v1.0/workflows/dapr/refund/start", map[string]any{}, ""},
		{"schedules a job", contracts.AppOrder, http.MethodPost, "/v1.0-alpha1/jobs/drain", map[string]any{"schedule": "@every 1s"}, ""},
	}
}

func TestSecuritySidecarsRefuseEveryCallWithoutTheirAPIToken(t *testing.T) {
	t.Parallel()
	v := newVictims(t, shared)
	creds := []credential{noToken, wrongToken, appToken}
	for _, c := range attackCalls(t, v) {
		for _, cred := range creds {
			t.Run("HTTP: "+c.inst+"'s sidecar "+c.name+" "+cred.String()+": 401 invalid api token", func(t *testing.T) {
				v.expectUnchanged(t, madeUp(c.madeUp)...)
				callSidecar(t, v, c, cred, badAPIToken)
			})
		}
	}

	rich := mustJSON(map[string]any{"balanceCents": int64(9e15)})
	cheap := mustJSON(map[string]any{"id": v.product, "name": "Test " + v.product, "priceCents": 1, "available": 1_000_000, "revision": 99})
	grpcCalls := []grpcProbe{
		{"saves the product at 1 cent in stockstore", contracts.AppStock, false, daprService + "SaveState",
			saveStateMsg(contracts.StockStore, "product-"+v.product, []byte(cheap), v.etag(t, contracts.AppStock, "product-"+v.product)), ""},
		{"saves a wallet of 9e15 cents in paymentstore", contracts.AppPayment, false, daprService + "SaveState",
			saveStateMsg(contracts.PaymentStore, "wallet-"+v.customer, []byte(rich), v.etag(t, contracts.AppPayment, "wallet-"+v.customer)), ""},
		{"reads the customer's wallet from paymentstore", contracts.AppPayment, false, daprService + "GetState",
			getStateMsg(contracts.PaymentStore, "wallet-"+v.customer), ""},
		{"publishes an OrderCreated that takes units on orders", contracts.AppOrder, false, daprService + "PublishEvent",
			publishMsg(contracts.PubSub, contracts.TopicOrders, []byte(mustJSON(v.takingUnits(v.forged("grpc-orders"))))), v.forged("grpc-orders")},
		{"publishes a StockReserved that debits the wallet on stock", contracts.AppStock, false, daprService + "PublishEvent",
			publishMsg(contracts.PubSub, contracts.TopicStock, []byte(mustJSON(v.debitingTheWallet()))), ""},
	}
	for _, p := range grpcCalls {
		for _, cred := range creds {
			t.Run("gRPC: "+p.inst+"'s sidecar "+p.name+" "+cred.String()+": Unauthenticated", func(t *testing.T) {
				v.expectUnchanged(t, madeUp(p.madeUp)...)
				probeGRPC(t, shared, p, cred, grpcUnauthenticated)
			})
		}
	}
	v.noNewEvents(t)
}

func madeUp(id string) []string {
	if id == "" {
		return nil
	}
	return []string{id}
}

func TestSecuritySidecarsServeOnlyTheAllowedAPIsWithinTheirScopes(t *testing.T) {
	t.Parallel()
	sidecarsServeOnlyTheAllowedAPIsWithinTheirScopes(t, shared)
}

// sidecarsServeOnlyTheAllowedAPIsWithinTheirScopes probes every sidecar
// of s with its API token: the APIs left out, the topics and the stores
// of the other apps.
func sidecarsServeOnlyTheAllowedAPIsWithinTheirScopes(t *testing.T, s *stack.Stack) {
	v := newVictims(t, s)

	// With the API token, every API but publishing answers as if it did
	// not exist: the allowlist keeps it off the HTTP API.
	for _, c := range attackCalls(t, v) {
		if strings.Contains(c.path, "/publish/") {
			continue
		}
		t.Run("HTTP: "+c.inst+"'s sidecar "+c.name+" with the API token: 404, not served", func(t *testing.T) {
			v.expectUnchanged(t, madeUp(c.madeUp)...)
			callSidecar(t, v, c, daprToken, notServed)
		})
	}

	publishes := []struct {
		name   string
		inst   string
		topic  string
		event  any
		madeUp string
	}{
		{"stock-svc's sidecar publishes a PaymentCompleted, confirming the pending order, on payments", contracts.AppStock, contracts.TopicPayments, v.confirmingThePending(), ""},
		{"stock-svc's sidecar publishes an OrderCreated that takes units on orders", contracts.AppStock, contracts.TopicOrders, v.takingUnits(v.forged("scope-1")), v.forged("scope-1")},
		{"payment-svc's sidecar publishes an OrderCreated that takes units on orders", contracts.AppPayment, contracts.TopicOrders, v.takingUnits(v.forged("scope-2")), v.forged("scope-2")},
		{"payment-svc's sidecar publishes a StockReserved that debits the wallet on stock", contracts.AppPayment, contracts.TopicStock, v.debitingTheWallet(), ""},
		{"order-svc's sidecar publishes a StockReserved that debits the wallet on stock", contracts.AppOrder, contracts.TopicStock, v.debitingTheWallet(), ""},
		{"order-svc's sidecar publishes a PaymentFailed, releasing the settled order, on payments", contracts.AppOrder, contracts.TopicPayments, v.releasingTheSettled(), ""},
		{"stock-svc's sidecar publishes on a topic of its own making", contracts.AppStock, "refunds", v.debitingTheWallet(), ""},
		{"order-svc's sidecar publishes on a topic of its own making", contracts.AppOrder, "orders-" + v.marker, v.takingUnits(v.forged("scope-3")), v.forged("scope-3")},
	}
	for _, p := range publishes {
		t.Run("HTTP: "+p.name+" with the API token: 403 ERR_PUBSUB_FORBIDDEN", func(t *testing.T) {
			c := sidecarCall{inst: p.inst, method: http.MethodPost, path: "/v1.0/publish/pubsub/" + p.topic, body: p.event}
			v.expectUnchanged(t, madeUp(p.madeUp)...)
			callSidecar(t, v, c, daprToken, forbidden)
			if _, owned := owners[p.topic]; !owned {
				if events, err := topicEvents(s, p.topic); err != nil || len(events) != 0 {
					t.Fatalf("the topic %s was made: %d events (%v)", p.topic, len(events), err)
				}
			}
		})
	}

	rich := mustJSON(map[string]any{"balanceCents": int64(9e15)})
	cheap := mustJSON(map[string]any{"id": v.product, "name": "Test " + v.product, "priceCents": 1, "available": 1_000_000, "revision": 99})
	grpcCalls := []struct {
		grpcProbe
		want int
		what string
	}{
		{grpcProbe{"stock-svc's sidecar saves a wallet of 9e15 cents in paymentstore", contracts.AppStock, false, daprService + "SaveState",
			saveStateMsg(contracts.PaymentStore, "wallet-"+v.customer, []byte(rich), v.etag(t, contracts.AppPayment, "wallet-"+v.customer)), ""}, grpcInvalidArgument, "InvalidArgument, no such store"},
		{grpcProbe{"stock-svc's sidecar reads the customer's wallet from paymentstore", contracts.AppStock, false, daprService + "GetState",
			getStateMsg(contracts.PaymentStore, "wallet-"+v.customer), ""}, grpcInvalidArgument, "InvalidArgument, no such store"},
		{grpcProbe{"payment-svc's sidecar saves the product at 1 cent in stockstore", contracts.AppPayment, false, daprService + "SaveState",
			saveStateMsg(contracts.StockStore, "product-"+v.product, []byte(cheap), v.etag(t, contracts.AppStock, "product-"+v.product)), ""}, grpcInvalidArgument, "InvalidArgument, no such store"},
		{grpcProbe{"order-svc's sidecar saves a wallet of 9e15 cents in paymentstore", contracts.AppOrder, false, daprService + "SaveState",
			saveStateMsg(contracts.PaymentStore, "wallet-"+v.customer, []byte(rich), v.etag(t, contracts.AppPayment, "wallet-"+v.customer)), ""}, grpcInvalidArgument, "InvalidArgument, no such store"},
		{grpcProbe{"payment-svc's sidecar reads the settled order from orderstore", contracts.AppPayment, false, daprService + "GetState",
			getStateMsg(contracts.OrderStore, "order-"+v.settled), ""}, grpcInvalidArgument, "InvalidArgument, no such store"},
		{grpcProbe{"stock-svc's sidecar publishes a PaymentCompleted, confirming the pending order, on payments", contracts.AppStock, false, daprService + "PublishEvent",
			publishMsg(contracts.PubSub, contracts.TopicPayments, []byte(mustJSON(v.confirmingThePending()))), ""}, grpcPermissionDenied, "PermissionDenied"},
		{grpcProbe{"payment-svc's sidecar publishes an OrderCreated that takes units on orders", contracts.AppPayment, false, daprService + "PublishEvent",
			publishMsg(contracts.PubSub, contracts.TopicOrders, []byte(mustJSON(v.takingUnits(v.forged("grpc-scope"))))), v.forged("grpc-scope")}, grpcPermissionDenied, "PermissionDenied"},
		{grpcProbe{"order-svc's sidecar publishes on a topic of its own making", contracts.AppOrder, false, daprService + "PublishEvent",
			publishMsg(contracts.PubSub, "refunds", []byte(mustJSON(v.debitingTheWallet()))), ""}, grpcPermissionDenied, "PermissionDenied"},
		{grpcProbe{"stock-svc's sidecar invokes payment-svc's PUT /wallets", contracts.AppStock, false, daprService + "InvokeService",
			invokeServiceMsg(contracts.AppPayment, "wallets/"+v.customer, []byte(rich)), ""}, grpcUnimplemented, "Unimplemented, not allowed"},
		{grpcProbe{"order-svc's sidecar reads REDIS_PASSWORD from the secret store", contracts.AppOrder, false, daprService + "GetSecret",
			getSecretMsg("localsecrets", "REDIS_PASSWORD"), ""}, grpcUnimplemented, "Unimplemented, not allowed"},
		{grpcProbe{"payment-svc's sidecar reads the metadata", contracts.AppPayment, false, daprService + "GetMetadata", nil, ""}, grpcUnimplemented, "Unimplemented, not allowed"},
	}
	for _, p := range grpcCalls {
		t.Run("gRPC: "+p.name+" with the API token: "+p.what, func(t *testing.T) {
			v.expectUnchanged(t, madeUp(p.madeUp)...)
			probeGRPC(t, s, p.grpcProbe, daprToken, p.want)
		})
	}

	// The sidecar-to-sidecar port takes no API token: access control,
	// which denies every caller, is what guards it.
	internal := []grpcProbe{
		{"a call to stock-svc's internal port delivers an OrderCreated that takes units", contracts.AppStock, true, internalCallLocal,
			callLocalMsg("events/orders", []byte(mustJSON(v.takingUnits(v.forged("internal"))))), v.forged("internal")},
		{"a call to payment-svc's internal port delivers a StockReserved that debits the wallet", contracts.AppPayment, true, internalCallLocal,
			callLocalMsg("events/stock", []byte(mustJSON(v.debitingTheWallet()))), ""},
		{"a call to order-svc's internal port delivers a PaymentCompleted that confirms the pending order", contracts.AppOrder, true, internalCallLocal,
			callLocalMsg("events/payments", []byte(mustJSON(v.confirmingThePending()))), ""},
	}
	for _, p := range internal {
		for _, cred := range []credential{noToken, daprToken} {
			t.Run("gRPC: "+p.name+" "+cred.String()+": PermissionDenied by access control", func(t *testing.T) {
				v.expectUnchanged(t, madeUp(p.madeUp)...)
				probeGRPC(t, s, p, cred, grpcPermissionDenied)
			})
		}
	}
	v.noNewEvents(t)
}

// TestSecurityNoSidecarCanBeShutDown runs on a stack of its own: a
// shutdown that went through would take a sidecar away from every test.
func TestSecurityNoSidecarCanBeShutDown(t *testing.T) {
	s := ownStack(t, stack.Options{})
	a := newAPI(t, s)
	probes := []struct {
		cred credential
		want daprAnswer
	}{
		{noToken, badAPIToken},
		{wrongToken, badAPIToken},
		{appToken, badAPIToken},
		{daprToken, notServed},
	}
	for _, inst := range apps {
		for _, p := range probes {
			t.Run("HTTP: POST /v1.0/shutdown to "+inst+"'s sidecar "+p.cred.String()+fmt.Sprintf(": %d, and it keeps running", p.want.status), func(t *testing.T) {
				r := a.do(http.MethodPost, s.DaprURL(inst)+"/v1.0/shutdown", nil, p.cred.header(s, false))
				if r.Status != p.want.status || !strings.Contains(string(r.Body), p.want.want) {
					t.Fatalf("answered %d %s, want %d with %q", r.Status, r.Body, p.want.status, p.want.want)
				}
				expectRunning(t, s, inst)
			})
		}
		for _, cred := range []credential{noToken, daprToken} {
			t.Run("gRPC: Shutdown to "+inst+"'s sidecar "+cred.String()+": Unimplemented, and it keeps running", func(t *testing.T) {
				probeGRPC(t, s, grpcProbe{inst: inst, method: daprService + "Shutdown"}, cred, grpcUnimplemented)
				expectRunning(t, s, inst)
			})
		}
	}
	// daprd stops answering at once when told to shut down, and is gone
	// within seconds: an order that goes through every sidecar after the
	// probes shows that none of them is on its way out.
	t.Run("an order placed after the probes goes through every sidecar", func(t *testing.T) {
		p, c := "p-"+uid(), "c-"+uid()
		a.putProduct(p, 100, 5)
		if o := a.finalOrder(a.placeOrder(c, item{ProductID: p, Quantity: 1}).ID); o.Status != "CONFIRMED" {
			t.Fatalf("order %+v, want CONFIRMED", o)
		}
		for _, inst := range apps {
			expectRunning(t, s, inst)
		}
	})
}

func TestSecurityTheAdminRoutesNeedTheAdminToken(t *testing.T) {
	t.Parallel()
	v := newVictims(t, shared)
	newProduct := v.forged("product")
	v.watch(t, "the product no admin made", shared.URL(contracts.AppStock)+"/products/"+newProduct)
	if got := v.before["the product no admin made"]; !strings.HasPrefix(got, "404 ") {
		t.Fatalf("the product %s exists already: %s", newProduct, got)
	}
	bearer := func(c credential) map[string]string { return c.header(shared, true) }
	cases := []struct {
		name   string
		app    string
		method string
		path   string
		body   any
		header map[string]string
	}{
		{"PUT /products/{id} at 1 cent without a token", contracts.AppStock, http.MethodPut, "/products/" + v.product, v.cheap(), nil},
		{"PUT /products/{id} at 1 cent with a wrong bearer token", contracts.AppStock, http.MethodPut, "/products/" + v.product, v.cheap(), bearer(wrongToken)},
		{"PUT /products/{id} at 1 cent with the app token as bearer", contracts.AppStock, http.MethodPut, "/products/" + v.product, v.cheap(), bearer(appToken)},
		{"PUT /products/{id} at 1 cent with the API token as bearer", contracts.AppStock, http.MethodPut, "/products/" + v.product, v.cheap(), bearer(daprToken)},
		{"PUT /products/{id} at 1 cent with the admin token in dapr-api-token", contracts.AppStock, http.MethodPut, "/products/" + v.product, v.cheap(), adminToken.header(shared, false)},
		{"PUT /products/{id} at 1 cent with the admin token as Basic credentials", contracts.AppStock, http.MethodPut, "/products/" + v.product, v.cheap(),
			map[string]string{"Authorization": "Basic " + shared.Tokens.Admin}},
		{"PUT /products/{id} at 1 cent with an empty bearer token", contracts.AppStock, http.MethodPut, "/products/" + v.product, v.cheap(), map[string]string{"Authorization": "Bearer "}},
		{"DELETE /products/{id} without a token", contracts.AppStock, http.MethodDelete, "/products/" + v.product, nil, nil},
		{"DELETE /products/{id} with a wrong bearer token", contracts.AppStock, http.MethodDelete, "/products/" + v.product, nil, bearer(wrongToken)},
		{"PUT /products/{new} creating a product without a token", contracts.AppStock, http.MethodPut, "/products/" + newProduct, v.cheap(), nil},
		{"PUT /products/{new} creating a product with a wrong bearer token", contracts.AppStock, http.MethodPut, "/products/" + newProduct, v.cheap(), bearer(wrongToken)},
		{"PUT /wallets/{id} at 9e15 cents without a token", contracts.AppPayment, http.MethodPut, "/wallets/" + v.customer, map[string]any{"balanceCents": int64(9e15)}, nil},
		{"PUT /wallets/{id} at 9e15 cents with a wrong bearer token", contracts.AppPayment, http.MethodPut, "/wallets/" + v.customer, map[string]any{"balanceCents": int64(9e15)}, bearer(wrongToken)},
		{"PUT /wallets/{id} at 9e15 cents with the app token as bearer", contracts.AppPayment, http.MethodPut, "/wallets/" + v.customer, map[string]any{"balanceCents": int64(9e15)}, bearer(appToken)},
	}
	for _, tc := range cases {
		t.Run(tc.name+": 401, nothing changed", func(t *testing.T) {
			v.expectUnchanged(t)
			a := newAPI(t, shared)
			r := a.do(tc.method, shared.URL(tc.app)+tc.path, tc.body, tc.header)
			expectProblem(t, r, http.StatusUnauthorized, "")
		})
	}
}

// cheap is the victims' product at 1 cent and in plenty, as an attacker
// would set it.
func (v *victims) cheap() map[string]any {
	return map[string]any{"name": "Test " + v.product, "priceCents": 1, "available": 1_000_000}
}

func TestSecurityInputThatCouldConfuseTheServicesIsRefused(t *testing.T) {
	t.Parallel()
	a := newAPI(t, shared)
	marker := "atk" + uid()
	c := "c-" + marker
	p := "p-" + uid()
	a.putProduct(p, 100, 10)
	// Whitespace keeps the order valid JSON however long it grows.
	big := `{"customerId":"` + c + `",` + strings.Repeat(" ", 70_000) + `"items":[{"productId":"` + p + `","quantity":1}]}`
	posts := []struct {
		name        string
		body        string
		contentType string
		status      int
		field       string
	}{
		{"customerId given twice (which one counts is a guess)", `{"customerId":"` + c + `","customerId":"` + c + `-2","items":[{"productId":"` + p + `","quantity":1}]}`, "", 400, "customerId"},
		{"quantity given twice in one item", `{"customerId":"` + c + `","items":[{"productId":"` + p + `","quantity":1,"quantity":9000}]}`, "", 400, "quantity"},
		{"items given twice", `{"customerId":"` + c + `","items":[],"items":[{"productId":"` + p + `","quantity":1}]}`, "", 400, "items"},
		{"CustomerId in another case", `{"CustomerId":"` + c + `","items":[{"productId":"` + p + `","quantity":1}]}`, "", 400, "CustomerId"},
		{"ITEMS in another case", `{"customerId":"` + c + `","ITEMS":[{"productId":"` + p + `","quantity":1}]}`, "", 400, "ITEMS"},
		{"productID in another case", `{"customerId":"` + c + `","items":[{"productID":"` + p + `","quantity":1}]}`, "", 400, "productID"},
		{"a valid order padded past 64 KiB", big, "", 413, ""},
		{"a body sent as application/xml", `{"customerId":"` + c + `","items":[{"productId":"` + p + `","quantity":1}]}`, "application/xml", 415, ""},
		{"a body sent as application/x-www-form-urlencoded", `{"customerId":"` + c + `","items":[{"productId":"` + p + `","quantity":1}]}`, "application/x-www-form-urlencoded", 415, ""},
		{"a body sent as text/plain", `{"customerId":"` + c + `","items":[{"productId":"` + p + `","quantity":1}]}`, "text/plain", 415, ""},
		{"a body with no content type", `{"customerId":"` + c + `","items":[{"productId":"` + p + `","quantity":1}]}`, "-", 415, ""},
		{`customerId "x||y", Dapr's key separator`, `{"customerId":"` + c + `||y","items":[{"productId":"` + p + `","quantity":1}]}`, "", 422, "customerId"},
		{`productId "p||q", Dapr's key separator`, `{"customerId":"` + c + `","items":[{"productId":"` + p + `||q","quantity":1}]}`, "", 422, "items[0].productId"},
	}
	for _, tc := range posts {
		t.Run(fmt.Sprintf("POST /orders with %s: %d", tc.name, tc.status), func(t *testing.T) {
			header := map[string]string{"Content-Type": "application/json"}
			switch tc.contentType {
			case "":
			case "-":
				header = nil
			default:
				header["Content-Type"] = tc.contentType
			}
			r, err := postRaw(shared.URL(contracts.AppOrder)+"/orders", tc.body, header)
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, r, tc.status, tc.field)
		})
	}
	reads := []struct {
		name string
		url  string
	}{
		{"GET /orders/a%7C%7Cb", shared.URL(contracts.AppOrder) + "/orders/a%7C%7Cb"},
		{"GET /payments/a%7C%7Cb", shared.URL(contracts.AppPayment) + "/payments/a%7C%7Cb"},
		{"GET /products/a%7C%7Cb", shared.URL(contracts.AppStock) + "/products/a%7C%7Cb"},
		{"GET /orders/ of an id of 65 characters", shared.URL(contracts.AppOrder) + "/orders/" + strings.Repeat("o", 65)},
	}
	for _, tc := range reads {
		t.Run(tc.name+", an id no record can have: 404", func(t *testing.T) {
			expectProblem(t, a.do(http.MethodGet, tc.url, nil, nil), http.StatusNotFound, "")
		})
	}
	t.Run("nothing was ordered for the product or published for the customer", func(t *testing.T) {
		if err := expectSold(a.product(p), 10, 0, 0); err != nil {
			t.Fatal(err)
		}
		events, err := topicEvents(shared, contracts.TopicOrders)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if strings.Contains(e.Raw, marker) {
				t.Fatalf("an order reached the topic: %s", e.Raw)
			}
		}
	})
}

func TestSecurityAnIdempotencyKeyBelongsToTheCustomerWhoUsesIt(t *testing.T) {
	t.Parallel()
	a := newAPI(t, shared)
	p, alice, mallory, key := "p-"+uid(), "c-"+uid(), "c-"+uid(), "key-"+uid()
	a.putProduct(p, 100, 10)
	post := func(customer string) response {
		return a.do(http.MethodPost, shared.URL(contracts.AppOrder)+"/orders",
			map[string]any{"customerId": customer, "items": []item{{ProductID: p, Quantity: 1}}}, map[string]string{"Idempotency-Key": key})
	}
	first := post(alice)
	if first.Status != http.StatusAccepted {
		t.Fatalf("alice's order: %d %s", first.Status, first.Body)
	}
	alicesOrder := decodeInto[orderView](t, first)

	t.Run("another customer using alice's key gets an order of its own: 202, not a replay of alice's", func(t *testing.T) {
		r := post(mallory)
		if r.Status != http.StatusAccepted {
			t.Fatalf("answered %d %s, want 202", r.Status, r.Body)
		}
		o := decodeInto[orderView](t, r)
		if o.ID == alicesOrder.ID || o.CustomerID != mallory || r.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("mallory got %+v (replayed %q); alice's order is %s", o, r.Header.Get("Idempotent-Replayed"), alicesOrder.ID)
		}
		again := post(mallory)
		if again.Status != http.StatusAccepted || decodeInto[orderView](t, again).ID != o.ID || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("mallory's retry answered %d %s, want a replay of %s", again.Status, again.Body, o.ID)
		}
	})
	t.Run("alice's retry with her key still replays her own order", func(t *testing.T) {
		r := post(alice)
		if r.Status != http.StatusAccepted || decodeInto[orderView](t, r).ID != alicesOrder.ID || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("answered %d %s, want a replay of %s", r.Status, r.Body, alicesOrder.ID)
		}
		if o := a.finalOrder(alicesOrder.ID); o.CustomerID != alice {
			t.Fatalf("alice's order belongs to %s", o.CustomerID)
		}
	})
}

func TestSecurityRedisRefusesClientsWithoutItsPassword(t *testing.T) {
	t.Parallel()
	s := shared
	marker := "atk" + uid()
	key := "stock-svc||product-" + marker
	forged := mustJSON(map[string]any{"data": mustJSON(map[string]any{"type": contracts.TypeOrderCreated, "orderId": marker})})
	cases := []struct {
		name     string
		commands [][]string
		want     []string // the start of each answer
	}{
		{"PING without the password", [][]string{{"PING"}}, []string{"-NOAUTH"}},
		{"SET of a product key without the password", [][]string{{"SET", key, `{"priceCents":1}`}}, []string{"-NOAUTH"}},
		{"XADD of a forged OrderCreated to the orders stream without the password", [][]string{{"XADD", contracts.TopicOrders, "*", "data", forged}}, []string{"-NOAUTH"}},
		{"KEYS * without the password", [][]string{{"KEYS", "*"}}, []string{"-NOAUTH"}},
		{"CONFIG GET requirepass without the password", [][]string{{"CONFIG", "GET", "requirepass"}}, []string{"-NOAUTH"}},
		{"AUTH with a wrong password, then SET", [][]string{{"AUTH", "wrong-" + marker}, {"SET", key, "1"}}, []string{"-WRONGPASS", "-NOAUTH"}},
		{"AUTH as user default with a wrong password", [][]string{{"AUTH", "default", "wrong-" + marker}}, []string{"-WRONGPASS"}},
		{"AUTH with the API token for a password", [][]string{{"AUTH", s.Tokens.DaprAPI}, {"PING"}}, []string{"-WRONGPASS", "-NOAUTH"}},
	}
	for _, tc := range cases {
		t.Run(tc.name+": "+strings.Join(tc.want, " then "), func(t *testing.T) {
			answers, err := redisSay(s.Redis.Addr, tc.commands...)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.want {
				if !strings.HasPrefix(answers[i], want) {
					t.Fatalf("answer %d is %q, want %s", i+1, answers[i], want)
				}
				if strings.Contains(answers[i], s.Tokens.RedisPassword) {
					t.Fatal("the answer holds the password")
				}
			}
		})
	}
	t.Run("go-redis without the password: NOAUTH", func(t *testing.T) {
		c := redis.NewClient(&redis.Options{Addr: s.Redis.Addr, MaxRetries: -1})
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Set(ctx, key, "1", 0).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
			t.Fatalf("SET answered %v, want NOAUTH", err)
		}
	})
	t.Run("nothing was written", func(t *testing.T) {
		c := s.Redis.Client()
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if n, err := c.Exists(ctx, key).Result(); err != nil || n != 0 {
			t.Fatalf("the key %s: %d (%v), want none", key, n, err)
		}
		events, err := topicEvents(s, contracts.TopicOrders)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if strings.Contains(e.Raw, marker) {
				t.Fatalf("the forged event is on the orders stream: %s", e.Raw)
			}
		}
	})
}

func TestSecurityNothingOfTheStackListensBeyondLoopback(t *testing.T) {
	t.Parallel()
	nothingOfTheStackListensBeyondLoopback(t, shared)
}

func nothingOfTheStackListensBeyondLoopback(t *testing.T, s *stack.Stack) {
	outer, err := outerAddresses()
	if err != nil {
		t.Fatal(err)
	}
	type port struct {
		name string
		port int
	}
	var ports []port
	for _, inst := range s.Instances {
		p := s.Ports[inst]
		ports = append(ports,
			port{inst + "'s HTTP API", p.App},
			port{inst + "'s sidecar HTTP API", p.DaprHTTP},
			port{inst + "'s sidecar gRPC API", p.DaprGRPC},
			port{inst + "'s sidecar internal gRPC", p.DaprInternal},
			port{inst + "'s sidecar metrics", p.DaprMetrics})
	}
	_, redisPort, _ := net.SplitHostPort(s.Redis.Addr)
	rp, _ := strconv.Atoi(redisPort)
	ports = append(ports, port{"Redis", rp})
	if s.Postgres != nil {
		_, pgPort, _ := net.SplitHostPort(s.Postgres.Addr)
		pp, _ := strconv.Atoi(pgPort)
		ports = append(ports, port{"PostgreSQL", pp})
	}
	sp := s.Scheduler.Ports
	ports = append(ports,
		port{"the scheduler's gRPC API", sp.GRPC},
		port{"the scheduler's etcd clients", sp.EtcdClient},
		port{"the scheduler's etcd peers", sp.EtcdPeer},
		port{"the scheduler's health check", sp.Healthz},
		port{"the scheduler's metrics", sp.Metrics})

	for _, p := range ports {
		t.Run(p.name+" listens on 127.0.0.1 only and refuses the machine's other addresses", func(t *testing.T) {
			if !canDial(net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))) {
				t.Fatalf("nothing listens on 127.0.0.1:%d", p.port)
			}
			ls, err := listeners(p.port)
			if err != nil {
				t.Fatal(err)
			}
			if len(ls) == 0 {
				t.Fatalf("no listening socket for port %d in /proc/net", p.port)
			}
			for _, l := range ls {
				if !l.IP.IsLoopback() {
					t.Fatalf("port %d is bound to %s", p.port, l.IP)
				}
			}
			for _, ip := range outer {
				if addr := net.JoinHostPort(ip.String(), strconv.Itoa(p.port)); canDial(addr) {
					t.Fatalf("%s takes connections", addr)
				}
			}
		})
	}
	// Every listening socket of every process of the stack, not only the
	// ports it was given.
	for name, pid := range s.Pids() {
		t.Run("every socket "+name+" listens on is on loopback", func(t *testing.T) {
			ls, err := listenersOf(pid)
			if err != nil {
				t.Fatal(err)
			}
			if len(ls) == 0 {
				t.Fatalf("%s (pid %d) listens on nothing", name, pid)
			}
			for _, l := range ls {
				if !l.IP.IsLoopback() {
					t.Fatalf("%s listens on %s:%d", name, l.IP, l.Port)
				}
			}
		})
	}
}

// TestSecurityTheServicesHoldAgainstSlowAndGreedyClients runs on a stack
// of its own: it stops stock-svc so that an order stays pending, and fills
// order-svc's waiting reads.
func TestSecurityTheServicesHoldAgainstSlowAndGreedyClients(t *testing.T) {
	s := ownStack(t, stack.Options{})
	a := newAPI(t, s)

	t.Run("slow clients", func(t *testing.T) {
		for _, app := range apps {
			t.Run("a connection to "+app+" that never finishes its headers is closed within 10s", func(t *testing.T) {
				t.Parallel()
				expectSlowLorisClosed(t, s.URL(app))
			})
		}
	})

	t.Run("more waiting reads than order-svc takes: 429 with Retry-After for the extra ones", func(t *testing.T) {
		p, c := "p-"+uid(), "c-"+uid()
		a.putProduct(p, 100, 10)
		// With stock-svc away, the order waits for its reservation.
		s.App(contracts.AppStock).Stop(10 * time.Second)
		id := a.placeOrder(c, item{ProductID: p, Quantity: 1}).ID
		if o, code := a.order(id); code != http.StatusOK || o.Status != "PENDING" {
			t.Fatalf("the order is %d %+v, want PENDING", code, o)
		}
		expectWaitingReadsBounded(t, s, id, 1000, 5)
	})
}
