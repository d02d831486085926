package frame

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

func TestEveryCallToTheSidecarCarriesTheAPIToken(t *testing.T) {
	t.Parallel()
	var sent []string
	invoker := func(ctx context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
		md, _ := metadata.FromOutgoingContext(ctx)
		sent = md.Get("dapr-api-token")
		return nil
	}
	if err := sendToken("s3cret")(context.Background(), "/dapr.proto.runtime.v1.Dapr/GetState", nil, nil, nil, invoker); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 || sent[0] != "s3cret" {
		t.Fatalf("the call carried %q, want the token once", sent)
	}
}
