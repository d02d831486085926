package observability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/example/order-saga/contracts"
	"github.com/example/order-saga/observability"
)

func TestARealPrometheusSeesOrdersFinishAndSagaDurations(t *testing.T) {
	// Three services, three sidecars and the Dapr scheduler.
	waitForTargets(t, 7)
	confirmed0 := query(t, `sum(saga_orders_finished_total{status="confirmed"})`)
	canceled0 := query(t, `sum(saga_orders_finished_total{status="canceled"})`)
	durations0 := query(t, `sum(saga_order_duration_seconds_count)`)

	product := fmt.Sprintf("obs-%d", time.Now().UnixNano())
	putJSON(t, saga.URL(contracts.AppStock)+"/products/"+product, map[string]any{"name": "Observed", "priceCents": 100, "available": 10})
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, placeOrder(t, product))
	}
	for i := 0; i < 2; i++ {
		ids = append(ids, placeOrder(t, "no-such-product"))
	}
	for _, id := range ids {
		waitFinal(t, id)
	}

	var confirmed, canceled, durations float64
	eventually(t, 30*time.Second, func() error {
		confirmed = query(t, `sum(saga_orders_finished_total{status="confirmed"})`) - confirmed0
		canceled = query(t, `sum(saga_orders_finished_total{status="canceled"})`) - canceled0
		durations = query(t, `sum(saga_order_duration_seconds_count)`) - durations0
		if confirmed != 3 || canceled != 2 || durations != 5 {
			return fmt.Errorf("Prometheus sees +%v confirmed, +%v canceled, +%v durations; want +3, +2, +5", confirmed, canceled, durations)
		}
		return nil
	})
	p99 := query(t, `histogram_quantile(0.99, sum by (le) (saga_order_duration_seconds_bucket))`)
	t.Logf("Prometheus saw +%v confirmed, +%v canceled and +%v saga durations (p99 bucket bound %.3fs)", confirmed, canceled, durations, p99)
}

func TestEveryDashboardAndAlertExpressionNamesARealMetric(t *testing.T) {
	// Traffic first: the sidecars expose pub/sub metrics only once used.
	waitFinal(t, placeOrder(t, "kettle"))
	exposed := map[string]bool{"up": true}
	for _, inst := range saga.Instances {
		for _, port := range []int{saga.Ports[inst].App, saga.Ports[inst].DaprMetrics} {
			for name := range metricNames(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", port)) {
				exposed[name] = true
			}
		}
	}
	for where, expr := range expressions(t) {
		names, err := observability.MetricNames(expr)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		if len(names) == 0 {
			t.Errorf("%s selects no metric", where)
		}
		for _, n := range names {
			if !exposed[n] {
				t.Errorf("%s uses %s, which no service or sidecar exposes", where, n)
			}
		}
	}
}

// metricNames reads the names of the samples an endpoint exposes.
func metricNames(t *testing.T, u string) map[string]bool {
	t.Helper()
	b := get(t, u)
	names := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		end := strings.IndexAny(line, "{ ")
		if end > 0 {
			names[line[:end]] = true
		}
	}
	return names
}

func waitForTargets(t *testing.T, want int) {
	t.Helper()
	eventually(t, 60*time.Second, func() error {
		var r struct {
			Data struct {
				ActiveTargets []struct {
					ScrapeURL string `json:"scrapeUrl"`
					Health    string `json:"health"`
				} `json:"activeTargets"`
			} `json:"data"`
		}
		if err := json.Unmarshal(get(t, prom.URL+"/api/v1/targets"), &r); err != nil {
			return err
		}
		up := 0
		for _, tg := range r.Data.ActiveTargets {
			if tg.Health == "up" {
				up++
			}
		}
		if up != want {
			return fmt.Errorf("%d of %d targets up, want %d", up, len(r.Data.ActiveTargets), want)
		}
		return nil
	})
}

// query runs an instant query that returns one number (0 when empty).
func query(t *testing.T, q string) float64 {
	t.Helper()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(get(t, prom.URL+"/api/v1/query?query="+url.QueryEscape(q)), &r); err != nil || r.Status != "success" {
		t.Fatalf("query %s: %v %s", q, err, r.Error)
	}
	if len(r.Data.Result) == 0 {
		return 0
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("query %s: value %q", q, s)
	}
	return v
}

func placeOrder(t *testing.T, product string) string {
	t.Helper()
	body := map[string]any{"customerId": "observer", "items": []map[string]any{{"productId": product, "quantity": 1}}}
	b, _ := json.Marshal(body)
	resp, err := http.Post(saga.URL(contracts.AppOrder)+"/orders", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var o struct {
		ID string `json:"id"`
	}
	if resp.StatusCode != http.StatusAccepted || json.NewDecoder(resp.Body).Decode(&o) != nil {
		t.Fatalf("place order: %s", resp.Status)
	}
	return o.ID
}

func waitFinal(t *testing.T, id string) {
	t.Helper()
	eventually(t, 30*time.Second, func() error {
		var o struct {
			Status string `json:"status"`
		}
		_ = json.Unmarshal(get(t, saga.URL(contracts.AppOrder)+"/orders/"+id), &o)
		if o.Status != "CONFIRMED" && o.Status != "CANCELED" {
			return fmt.Errorf("order %s is %q", id, o.Status)
		}
		return nil
	})
}

// putJSON puts v at an admin route of the stack, with its admin token.
func putJSON(t *testing.T, u string, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest(http.MethodPut, u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+saga.Tokens.Admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT %s: %s", u, resp.Status)
	}
}

func get(t *testing.T, u string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func eventually(t *testing.T, limit time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", limit, err)
		}
		<-time.After(50 * time.Millisecond)
	}
}
