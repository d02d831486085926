package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
)

func TestATraceparentSentWithAnOrderIsFollowedThroughEveryService(t *testing.T) {
	t.Parallel()
	a := newAPI(t, shared)
	p, c, traceID := "p-"+uid(), "c-"+uid(), uid()+uid()+"abcdef01"
	a.putProduct(p, 100, 5)
	traceparent := "00-" + traceID + "-00f067aa0ba902b7-01"

	r := a.do(http.MethodPost, shared.URL(contracts.AppOrder)+"/orders",
		map[string]any{"customerId": c, "items": []item{{ProductID: p, Quantity: 1}}}, map[string]string{"traceparent": traceparent})
	if r.Status != http.StatusAccepted {
		t.Fatalf("place order: %d %s", r.Status, r.Body)
	}
	a.finalOrder(decodeInto[orderView](t, r).ID)

	for _, svc := range []string{contracts.AppOrder, contracts.AppStock, contracts.AppPayment} {
		eventually(t, 10*time.Second, func() error {
			if len(sharedLogs.Lines(svc+" ", `"traceId":"`+traceID+`"`)) == 0 {
				return fmt.Errorf("no line of %s carries trace id %s; lines with it: %q", svc, traceID, sharedLogs.Lines(traceID))
			}
			return nil
		}, "the trace id in the logs of %s", svc)
	}
}
