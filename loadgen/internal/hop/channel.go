package hop

import (
	"context"
	"net"
	"path/filepath"

	runtimev1pb "github.com/dapr/dapr/pkg/proto/runtime/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/example/order-saga/contracts"
)

// Channel is how the sidecar and the no-op subscriber talk: the protocol
// the sidecar delivers with, and the transport the publishers reach the
// sidecar's API over.
type Channel struct {
	// GRPC delivers over the gRPC app channel (--app-protocol grpc) instead
	// of HTTP.
	GRPC bool
	// H2C delivers over HTTP/2 without TLS (--app-protocol h2c), to the
	// same HTTP handler.
	H2C bool
	// Socket has the sidecar serve its API on a Unix domain socket
	// (--unix-domain-socket) instead of TCP, for the publishers.
	Socket bool
	// HTTPPublish has the publishers call the sidecar's HTTP API
	// (POST /v1.0/publish) over TCP instead of its gRPC one; it is not
	// meant to go with Socket.
	HTTPPublish bool
}

// Name is how the channel is named in the figures.
func (c Channel) Name() string {
	deliver, publish := "HTTP", "TCP"
	switch {
	case c.GRPC:
		deliver = "gRPC"
	case c.H2C:
		deliver = "HTTP/2 (h2c)"
	}
	if c.Socket {
		publish = "Unix socket"
	}
	api := "gRPC"
	if c.HTTPPublish {
		api = "HTTP"
	}
	return deliver + " deliveries, " + api + " publishes over " + publish
}

// sidecarFlags are the flags that set the channel up, with the socket in
// dir.
func (c Channel) sidecarFlags(dir string) []string {
	var flags []string
	switch {
	case c.GRPC:
		flags = append(flags, "--app-protocol", "grpc")
	case c.H2C:
		flags = append(flags, "--app-protocol", "h2c")
	}
	if c.Socket {
		flags = append(flags, "--unix-domain-socket", dir)
	}
	return flags
}

// socket is where the sidecar serves its gRPC API when Socket is set.
func socket(dir string) string { return filepath.Join(dir, "dapr-"+AppID+"-grpc.socket") }

// callback is the no-op subscriber over gRPC: it lists its one
// subscription, and acknowledges every event.
type callback struct {
	runtimev1pb.UnimplementedAppCallbackServer
	runtimev1pb.UnimplementedAppCallbackHealthCheckServer
	n *Noop
}

func (c callback) ListTopicSubscriptions(context.Context, *emptypb.Empty) (*runtimev1pb.ListTopicSubscriptionsResponse, error) {
	c.n.askedOnce.Do(func() { close(c.n.subscribed) })
	return &runtimev1pb.ListTopicSubscriptionsResponse{Subscriptions: []*runtimev1pb.TopicSubscription{
		{PubsubName: contracts.PubSub, Topic: topic, Routes: &runtimev1pb.TopicRoutes{Default: route}},
	}}, nil
}

func (c callback) OnTopicEvent(context.Context, *runtimev1pb.TopicEventRequest) (*runtimev1pb.TopicEventResponse, error) {
	c.n.received()
	return &runtimev1pb.TopicEventResponse{Status: runtimev1pb.TopicEventResponse_SUCCESS}, nil
}

func (c callback) HealthCheck(context.Context, *emptypb.Empty) (*runtimev1pb.HealthCheckResponse, error) {
	return &runtimev1pb.HealthCheckResponse{}, nil
}

// serveGRPC serves the subscriber on ln until stop is called.
func (n *Noop) serveGRPC(ln net.Listener) (stop func()) {
	s := grpc.NewServer()
	cb := callback{n: n}
	runtimev1pb.RegisterAppCallbackServer(s, cb)
	runtimev1pb.RegisterAppCallbackHealthCheckServer(s, cb)
	go func() { _ = s.Serve(ln) }()
	return s.Stop
}
