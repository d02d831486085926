package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"
)

// client speaks the services' HTTP APIs.
type client struct {
	http    *http.Client
	cfg     Config
	timeout time.Duration
}

func newClient(cfg Config) *client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		DialContext:         dialer.DialContext,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{http: &http.Client{Transport: transport}, cfg: cfg, timeout: cfg.RequestTimeout}
}

func (c *client) close() { c.http.CloseIdleConnections() }

// orderState is what the load generator reads of an order.
type orderState struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"createdAt"`
	History   []struct {
		Status string    `json:"status"`
		At     time.Time `json:"at"`
	} `json:"history"`
}

// finalAt is when the order reached its final status, by the clock of
// the service that recorded it.
func (o orderState) finalAt() (time.Time, bool) {
	for i := len(o.History) - 1; i >= 0; i-- {
		if o.History[i].Status == o.Status {
			return o.History[i].At, true
		}
	}
	return time.Time{}, false
}

func isFinal(status string) bool { return status == "CONFIRMED" || status == "CANCELED" }

// place posts an order and expects a 202.
func (c *client) place(ctx context.Context, body []byte, key string) (orderState, error) {
	var o orderState
	header := http.Header{"Content-Type": {"application/json"}}
	if key != "" {
		header.Set("Idempotency-Key", key)
	}
	err := c.do(ctx, http.MethodPost, c.cfg.OrderURL+"/orders", body, header, http.StatusAccepted, &o)
	if err == nil && o.ID == "" {
		err = errors.New("202 without an order id")
	}
	return o, err
}

// order reads an order; with wait above zero, the read returns once the
// order is final or after wait.
func (c *client) order(ctx context.Context, id string, wait time.Duration) (orderState, error) {
	var o orderState
	url := c.cfg.OrderURL + "/orders/" + id
	if wait > 0 {
		url += "?wait=" + wait.String()
	}
	err := c.do(ctx, http.MethodGet, url, nil, nil, http.StatusOK, &o)
	return o, err
}

// put sends v as JSON to an admin route, with the admin token, and
// expects a 200.
func (c *client) put(ctx context.Context, url string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	header := http.Header{"Content-Type": {"application/json"}}
	if c.cfg.AdminToken != "" {
		header.Set("Authorization", "Bearer "+c.cfg.AdminToken)
	}
	return c.do(ctx, http.MethodPut, url, body, header, http.StatusOK, nil)
}

// statusError is an answer with an unexpected status code.
type statusError struct {
	code int
	body string
}

func (e statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.code, e.body) }

func (c *client) do(ctx context.Context, method, url string, body []byte, header http.Header, want int, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	// Reading the body to the end lets the connection be reused.
	defer func() {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return statusError{code: resp.StatusCode, body: string(b)}
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode the answer: %w", err)
	}
	return nil
}

// errorKind names an error by what went wrong, so that errors can be
// counted by kind.
func errorKind(err error) string {
	var se statusError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("HTTP %d", se.code)
	case errors.Is(err, context.DeadlineExceeded), os.IsTimeout(err):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no local port left"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return "network"
	}
	return "other"
}
