package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/devstack/stack"
)

// credential is what an attacker shows a service or a sidecar.
type credential int

const (
	noToken    credential = iota // nothing at all
	wrongToken                   // a token of the right shape that is no one's
	appToken                     // APP_API_TOKEN: what a sidecar shows its app
	daprToken                    // DAPR_API_TOKEN: what an app shows its sidecar
	adminToken                   // ADMIN_TOKEN: the bearer of the admin routes
)

func (c credential) String() string {
	return [...]string{"without a token", "with a wrong token", "with the app token", "with the API token", "with the admin token"}[c]
}

// value is the token itself on stack s; empty for noToken.
func (c credential) value(s *stack.Stack) string {
	switch c {
	case wrongToken:
		return strings.Repeat("0123456789abcdef", 4)
	case appToken:
		return s.Tokens.AppAPI
	case daprToken:
		return s.Tokens.DaprAPI
	case adminToken:
		return s.Tokens.Admin
	}
	return ""
}

// header puts the credential where a sidecar or an app reads it:
// dapr-api-token, or Authorization: Bearer when bearer is set.
func (c credential) header(s *stack.Stack, bearer bool) map[string]string {
	h := map[string]string{}
	if c == noToken {
		return h
	}
	if bearer {
		h["Authorization"] = "Bearer " + c.value(s)
	} else {
		h["dapr-api-token"] = c.value(s)
	}
	return h
}

// secretsOf are the stack's secrets, none of which an answer may carry.
func secretsOf(s *stack.Stack) map[string]string {
	return map[string]string{
		"ADMIN_TOKEN": s.Tokens.Admin, "APP_API_TOKEN": s.Tokens.AppAPI,
		"DAPR_API_TOKEN": s.Tokens.DaprAPI, "REDIS_PASSWORD": s.Tokens.RedisPassword,
	}
}

// leaks names the secret of s that body holds, if any.
func leaks(s *stack.Stack, body []byte) string {
	for name, secret := range secretsOf(s) {
		if secret != "" && bytes.Contains(body, []byte(secret)) {
			return name
		}
	}
	return ""
}

// gRPC status codes daprd answers with.
const (
	grpcOK               = 0
	grpcInvalidArgument  = 3
	grpcPermissionDenied = 7
	grpcUnimplemented    = 12
	grpcUnauthenticated  = 16
)

// grpcAnswer is the status of one unary gRPC call.
type grpcAnswer struct {
	Code    int
	Message string
	Body    []byte
}

// h2c speaks HTTP/2 without TLS, as a gRPC client does to a sidecar.
var h2c = func() *http.Client {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}()

// grpcCall makes the unary call fullMethod ("/package.Service/Method")
// with the protobuf message msg to a gRPC server on loopback port, showing
// token as dapr-api-token when it is not empty. It needs no gRPC library:
// a unary call is one HTTP/2 POST of a length-prefixed message, and its
// status comes back in the trailers.
func grpcCall(port int, fullMethod, token string, msg []byte) (grpcAnswer, error) {
	frame := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(frame[1:], uint32(len(msg)))
	frame = append(frame, msg...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("http://127.0.0.1:%d%s", port, fullMethod), bytes.NewReader(frame))
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("TE", "trailers")
	if token != "" {
		req.Header.Set("dapr-api-token", token)
	}
	resp, err := h2c.Do(req)
	if err != nil {
		return grpcAnswer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return grpcAnswer{}, err
	}
	status, message := resp.Trailer.Get("Grpc-Status"), resp.Trailer.Get("Grpc-Message")
	if status == "" { // a trailers-only answer
		status, message = resp.Header.Get("Grpc-Status"), resp.Header.Get("Grpc-Message")
	}
	code, err := strconv.Atoi(status)
	if err != nil {
		return grpcAnswer{}, fmt.Errorf("HTTP %d with no gRPC status", resp.StatusCode)
	}
	return grpcAnswer{Code: code, Message: message, Body: body}, nil
}

// The protobuf wire format, enough to write the few Dapr requests the
// probes send: each field is its number and wire type, then its value.
func pbVarint(field int, v uint64) []byte {
	return binary.AppendUvarint([]byte{byte(field << 3)}, v)
}

func pbBytes(field int, b []byte) []byte {
	out := binary.AppendUvarint([]byte{byte(field<<3 | 2)}, uint64(len(b)))
	return append(out, b...)
}

func pbString(field int, s string) []byte { return pbBytes(field, []byte(s)) }

func pbJoin(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// The Dapr gRPC methods the probes call.
const (
	daprService       = "/dapr.proto.runtime.v1.Dapr/"
	internalCallLocal = "/dapr.proto.internals.v1.ServiceInvocation/CallLocal"
)

// saveStateMsg is a SaveStateRequest of one item, with its ETag.
func saveStateMsg(store, key string, value []byte, etag string) []byte {
	item := pbJoin(pbString(1, key), pbBytes(2, value), pbBytes(3, pbString(1, etag)))
	return pbJoin(pbString(1, store), pbBytes(2, item))
}

// getStateMsg is a GetStateRequest.
func getStateMsg(store, key string) []byte { return pbJoin(pbString(1, store), pbString(2, key)) }

// publishMsg is a PublishEventRequest of a JSON event.
func publishMsg(pubsubName, topic string, event []byte) []byte {
	return pbJoin(pbString(1, pubsubName), pbString(2, topic), pbBytes(3, event), pbString(4, "application/json"))
}

// invokeRequest is a common.v1.InvokeRequest of a POST with a JSON body.
func invokeRequest(method string, body []byte) []byte {
	const post = 3 // common.v1.HTTPExtension.Verb POST
	data := pbJoin(pbString(1, "type.googleapis.com/google.protobuf.BytesValue"), pbBytes(2, body))
	return pbJoin(pbString(1, method), pbBytes(2, data), pbString(3, "application/json"), pbBytes(4, pbVarint(1, post)))
}

// invokeServiceMsg is an InvokeServiceRequest for app.
func invokeServiceMsg(app, method string, body []byte) []byte {
	return pbJoin(pbString(1, app), pbBytes(3, invokeRequest(method, body)))
}

// callLocalMsg is the InternalInvokeRequest one sidecar sends another.
func callLocalMsg(method string, body []byte) []byte {
	const v1 = 1 // internals.v1.APIVersion V1
	return pbJoin(pbVarint(1, v1), pbBytes(3, invokeRequest(method, body)))
}

// getSecretMsg is a GetSecretRequest.
func getSecretMsg(store, key string) []byte { return pbJoin(pbString(1, store), pbString(2, key)) }

// redisSay sends commands to the Redis at addr over a connection of its
// own, with no password unless a command is AUTH, and returns the first
// line of each answer, as a client that only knows the address would see
// it.
func redisSay(addr string, commands ...[]string) ([]string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	var answers []string
	for _, args := range commands {
		var b strings.Builder
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := io.WriteString(c, b.String()); err != nil {
			return answers, err
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return answers, err
		}
		answers = append(answers, strings.TrimRight(line, "\r\n"))
	}
	return answers, nil
}

// listeners reads the machine's listening TCP sockets on port.
func listeners(port int) ([]stack.Listener, error) { return stack.ListenersOn(port) }

// outerAddresses are this machine's addresses other than loopback: what
// a neighbour on the network would connect to.
func outerAddresses() ([]net.IP, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []net.IP
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() || n.IP.IsLinkLocalMulticast() {
			continue
		}
		out = append(out, n.IP)
	}
	return out, nil
}

// listenersOf reads the listening TCP sockets of the process pid.
func listenersOf(pid int) ([]stack.Listener, error) { return stack.ListenersOf(pid) }

// victims are what an attacker is after on a stack: a product in stock,
// a customer's wallet, an order that went through with its payment, and an
// order that order-svc alone knows of, still pending.
type victims struct {
	s        *stack.Stack
	marker   string // in every id an attack makes up, so that its traces can be found
	product  string
	customer string
	settled  string // CONFIRMED, paid for 500 cents
	pending  string // PENDING: order-svc stored it, nobody else heard of it
	before   victimsView
	trail    int
	// also are more things to watch, by what they are: the URL of each.
	also map[string]string
}

// victimsView is everything the services show of the victims: the answer
// to a GET of each, by what it shows.
type victimsView map[string]string

// newVictims sets the victims up on s: one unit of the product is sold to
// the customer, and a second order waits for stock that never comes.
func newVictims(t *testing.T, s *stack.Stack) *victims {
	t.Helper()
	a := newAPI(t, s)
	v := &victims{s: s, marker: "atk" + uid(), product: "p-" + uid(), customer: "c-" + uid()}
	a.putProduct(v.product, 500, 10)
	a.putWallet(v.customer, 10_000)
	if o := a.finalOrder(a.placeOrder(v.customer, item{ProductID: v.product, Quantity: 1}).ID); o.Status != "CONFIRMED" {
		t.Fatalf("the victims' order is %+v, want CONFIRMED", o)
	} else {
		v.settled = o.ID
	}
	eventually(t, 10*time.Second, func() error { return expectSold(a.product(v.product), 9, 0, 1) }, "the victims' sale to settle")

	// What order-svc would store for an order whose event never left:
	// written through its own sidecar, with its API token, the order is
	// stored and stays pending.
	v.pending = v.forged("pending")
	now := time.Now().UTC()
	record := mustJSON(map[string]any{"id": v.pending, "customerId": v.customer,
		"items": []item{{ProductID: v.product, Quantity: 1}}, "status": "PENDING", "totalCents": 0,
		"createdAt": now, "updatedAt": now, "history": []map[string]any{{"status": "PENDING", "at": now}},
		"placed": true, "steps": map[string]any{}})
	if r, err := grpcCall(s.Ports[contracts.AppOrder].DaprGRPC, daprService+"SaveState", daprToken.value(s),
		saveStateMsg(contracts.OrderStore, "order-"+v.pending, []byte(record), "")); err != nil || r.Code != 0 {
		t.Fatalf("storing the pending order through order-svc's sidecar: %+v %v", r, err)
	}
	eventually(t, 10*time.Second, func() error {
		if o, code := a.order(v.pending); code != http.StatusOK || o.Status != "PENDING" {
			return fmt.Errorf("GET answered %d %+v", code, o)
		}
		return nil
	}, "the pending order to be stored")

	v.before = v.view(t)
	v.trail = v.traces(t)
	return v
}

// etag is the ETag of an app's state key as the state store keeps it: the
// one a write must show to replace the value, which an attacker would read
// first.
func (v *victims) etag(t *testing.T, app, key string) string {
	t.Helper()
	return rawETag(t, v.s, app, key)
}

// forged is an id made up by an attack.
func (v *victims) forged(what string) string { return "x-" + v.marker + "-" + what }

func (v *victims) view(t *testing.T) victimsView {
	t.Helper()
	out := victimsView{}
	for what, url := range map[string]string{
		"the product":                 v.s.URL(contracts.AppStock) + "/products/" + v.product,
		"the wallet":                  v.s.URL(contracts.AppPayment) + "/wallets/" + v.customer,
		"the settled order":           v.s.URL(contracts.AppOrder) + "/orders/" + v.settled,
		"the settled order's payment": v.s.URL(contracts.AppPayment) + "/payments/" + v.settled,
		"the pending order":           v.s.URL(contracts.AppOrder) + "/orders/" + v.pending,
		"the pending order's payment": v.s.URL(contracts.AppPayment) + "/payments/" + v.pending,
	} {
		r := newAPI(t, v.s).do(http.MethodGet, url, nil, nil)
		out[what] = fmt.Sprintf("%d %s", r.Status, strings.TrimSpace(string(r.Body)))
	}
	for what, url := range v.also {
		r := newAPI(t, v.s).do(http.MethodGet, url, nil, nil)
		out[what] = fmt.Sprintf("%d %s", r.Status, strings.TrimSpace(string(r.Body)))
	}
	return out
}

// watch adds what the GET of url answers to what must not change.
func (v *victims) watch(t *testing.T, what, url string) {
	t.Helper()
	if v.also == nil {
		v.also = map[string]string{}
	}
	v.also[what] = url
	v.before = v.view(t)
}

// expectUnchanged checks, once the probe t is over however it ended, that
// no victim moved and that none of the orders made up by the probe exists
// or was paid. What a probe changed is taken as the new state of the
// victims, so that the next probe is judged on its own.
func (v *victims) expectUnchanged(t *testing.T, madeUp ...string) {
	t.Helper()
	t.Cleanup(func() {
		t.Helper()
		a := newAPI(t, v.s)
		now := v.view(t)
		for what, was := range v.before {
			if now[what] != was {
				t.Errorf("%s changed:\nbefore %s\nafter  %s", what, was, now[what])
			}
		}
		v.before = now
		for _, id := range madeUp {
			if _, code := a.order(id); code != http.StatusNotFound {
				t.Errorf("GET the made-up order %s answered %d, want 404", id, code)
			}
			if p, found := a.payment(id); found {
				t.Errorf("the made-up order %s was paid: %+v", id, p)
			}
		}
	})
}

// traces counts the events, on every topic, about the victims' orders or
// carrying the marker.
func (v *victims) traces(t *testing.T) int {
	t.Helper()
	n := 0
	for _, topic := range []string{contracts.TopicOrders, contracts.TopicStock, contracts.TopicPayments, contracts.TopicDeadLetters} {
		events, err := topicEvents(v.s, topic)
		if err != nil {
			t.Fatalf("read the %s topic: %v", topic, err)
		}
		for _, e := range events {
			if e.OrderID == v.settled || strings.Contains(e.Raw, v.marker) {
				n++
			}
		}
	}
	return n
}

// noNewEvents fails the test if an event about the victims, or one that an
// attack made up, reached a topic.
func (v *victims) noNewEvents(t *testing.T) {
	t.Helper()
	if n := v.traces(t); n != v.trail {
		t.Fatalf("%d events about the victims or made up by an attack reached the topics, %d before", n, v.trail)
	}
}

// The events an attacker forges against the victims.
func (v *victims) takingUnits(id string) contracts.OrderCreated {
	return orderCreated(id, v.customer, item{ProductID: v.product, Quantity: 3})
}

func (v *victims) debitingTheWallet() contracts.StockReserved {
	h := contracts.NewHeader(contracts.TypeStockReserved, v.pending, time.Now())
	return contracts.StockReserved{Header: h, CustomerID: v.customer, Items: []contracts.Item{{ProductID: v.product, Quantity: 1}}, TotalCents: 500}
}

func (v *victims) confirmingThePending() contracts.PaymentCompleted {
	h := contracts.NewHeader(contracts.TypePaymentCompleted, v.pending, time.Now())
	return contracts.PaymentCompleted{Header: h, CustomerID: v.customer, AmountCents: 500}
}

func (v *victims) releasingTheSettled() contracts.PaymentFailed {
	h := contracts.NewHeader(contracts.TypePaymentFailed, v.settled, time.Now())
	return contracts.PaymentFailed{Header: h, CustomerID: v.customer, Reason: "forged"}
}

// deliver posts event to an app's route for topic, wrapped in a CloudEvent
// as a sidecar delivers it.
func deliver(a api, inst, topic string, event any, header map[string]string) response {
	a.t.Helper()
	var h struct {
		Type string `json:"type"`
	}
	b, _ := json.Marshal(event)
	_ = json.Unmarshal(b, &h)
	ce := map[string]any{
		"specversion": "1.0", "id": uid(), "source": "elsewhere", "type": h.Type,
		"datacontenttype": "application/json", "pubsubname": contracts.PubSub, "topic": topic, "data": event,
	}
	return a.do(http.MethodPost, a.s.URL(inst)+"/events/"+topic, ce, header)
}

// callSidecar sends c with the credential cred, and checks the refusal.
func callSidecar(t *testing.T, v *victims, c sidecarCall, cred credential, want daprAnswer) {
	t.Helper()
	r := newAPI(t, v.s).do(c.method, v.s.DaprURL(c.inst)+c.path, c.body, cred.header(v.s, false))
	if r.Status != want.status || !strings.Contains(string(r.Body), want.want) {
		t.Fatalf("%s answered %d %s, want %d with %q", c.inst, r.Status, r.Body, want.status, want.want)
	}
	if name := leaks(v.s, r.Body); name != "" {
		t.Fatalf("the answer holds %s", name)
	}
	if strings.Contains(string(r.Body), "balanceCents") {
		t.Fatalf("the answer shows a wallet: %s", r.Body)
	}
}

// probeGRPC sends p with the credential cred and checks that the call
// ends with the gRPC status want.
func probeGRPC(t *testing.T, s *stack.Stack, p grpcProbe, cred credential, want int) {
	t.Helper()
	port := s.Ports[p.inst].DaprGRPC
	if p.internal {
		port = s.Ports[p.inst].DaprInternal
	}
	got, err := grpcCall(port, p.method, cred.value(s), p.msg)
	if err != nil {
		t.Fatalf("%s: %v", p.method, err)
	}
	if got.Code != want {
		t.Fatalf("%s answered gRPC status %d %q, want %d", p.method, got.Code, got.Message, want)
	}
	if name := leaks(s, got.Body); name != "" {
		t.Fatalf("the answer holds %s", name)
	}
}

// expectRunning checks that an instance's sidecar is running and answers.
func expectRunning(t *testing.T, s *stack.Stack, inst string) {
	t.Helper()
	if s.Sidecar(inst).Exited() {
		t.Fatalf("%s's sidecar exited", inst)
	}
	r, err := tryDo(http.MethodGet, s.DaprURL(inst)+"/v1.0/healthz/outbound", nil, nil)
	if err != nil || r.Status != http.StatusNoContent {
		t.Fatalf("%s's sidecar does not answer its health check: %v %d", inst, err, r.Status)
	}
}

// postRaw posts body as it is, with exactly header (no content type when
// it has none).
func postRaw(url, body string, header map[string]string) (response, error) {
	return send(http.MethodPost, url, strings.NewReader(body), "", header)
}

func canDial(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// expectSlowLorisClosed opens a connection to url, sends a request line
// and then one byte of header every half second, never the end of the
// headers, and checks that the server closes it within 10s.
func expectSlowLorisClosed(t *testing.T, url string) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if _, err := c.Write([]byte("a")); err != nil {
					return
				}
			}
		}
	}()
	_ = c.SetReadDeadline(start.Add(10 * time.Second))
	_, err = io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection is still open after %s", time.Since(start).Round(time.Millisecond))
	}
}

// expectWaitingReadsBounded sends limit+extra waiting reads of order id at
// once, each on a connection of its own, and checks that exactly extra of
// them are refused with 429 and Retry-After while limit of them wait; once
// they are gone, a waiting read is taken again.
func expectWaitingReadsBounded(t *testing.T, s *stack.Stack, id string, limit, extra int) {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: -1, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	url := s.URL(contracts.AppOrder) + "/orders/" + id + "?wait=30s"
	var (
		mu       sync.Mutex
		answered []response
		written  atomic.Int32
		failed   atomic.Int32
		wg       sync.WaitGroup
	)
	trace := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				written.Add(1)
			}
		},
	})
	for range limit + extra {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(trace, http.MethodGet, url, nil)
			resp, err := client.Do(req)
			if err != nil {
				if ctx.Err() == nil {
					failed.Add(1)
				}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			mu.Lock()
			answered = append(answered, response{Status: resp.StatusCode, Header: resp.Header, Body: b})
			mu.Unlock()
		}()
	}
	seen := func() []response { mu.Lock(); defer mu.Unlock(); return append([]response(nil), answered...) }
	eventually(t, 60*time.Second, func() error {
		if n := failed.Load(); n > 0 {
			t.Fatalf("%d waiting reads could not be sent", n)
		}
		if n := int(written.Load()); n < limit+extra {
			return fmt.Errorf("%d reads sent of %d", n, limit+extra)
		}
		if n := len(seen()); n < extra {
			return fmt.Errorf("%d reads answered, want %d", n, extra)
		}
		return nil
	}, "every read to be sent and those beyond the limit to be refused")

	// One more, sent after all the others: the instance is full.
	a := newAPI(t, s)
	probe := a.do(http.MethodGet, s.URL(contracts.AppOrder)+"/orders/"+id+"?wait=1ms", nil, nil)
	refused := append(seen(), probe)
	if len(refused) != extra+1 {
		statuses := map[int]int{}
		for _, r := range refused {
			statuses[r.Status]++
		}
		t.Fatalf("%d reads answered (by status: %v) while the order is pending, want the %d beyond %d", len(refused), statuses, extra+1, limit)
	}
	for _, r := range refused {
		expectProblem(t, r, http.StatusTooManyRequests, "")
		if r.Header.Get("Retry-After") == "" {
			t.Fatalf("a 429 with no Retry-After: %v", r.Header)
		}
	}

	cancel()
	wg.Wait()
	eventually(t, 30*time.Second, func() error {
		r := a.do(http.MethodGet, s.URL(contracts.AppOrder)+"/orders/"+id+"?wait=1ms", nil, nil)
		if r.Status != http.StatusOK {
			return fmt.Errorf("answered %d %s", r.Status, r.Body)
		}
		return nil
	}, "a waiting read to be taken once the others left")
}
