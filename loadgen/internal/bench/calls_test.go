package bench

import (
	"strings"
	"testing"
)

const sidecarMetrics = `# HELP dapr_grpc_io_server_completed_rpcs Count of RPCs by method and status.
# TYPE dapr_grpc_io_server_completed_rpcs counter
dapr_grpc_io_server_completed_rpcs{app_id="stock-svc",grpc_server_method="/dapr.proto.runtime.v1.Dapr/SaveState",grpc_server_status="OK"} 300
dapr_grpc_io_server_completed_rpcs{app_id="stock-svc",grpc_server_method="/dapr.proto.runtime.v1.Dapr/SaveState",grpc_server_status="Aborted"} 10
dapr_grpc_io_server_completed_rpcs{app_id="stock-svc",grpc_server_method="/dapr.proto.runtime.v1.Dapr/GetState",grpc_server_status="OK"} 50
dapr_grpc_io_server_completed_rpcs{app_id="stock-svc",grpc_server_method="/dapr.proto.runtime.v1.Dapr/PublishEvent",grpc_server_status="OK"} 100
dapr_grpc_io_server_completed_rpcs{app_id="stock-svc",grpc_server_method="/dapr.proto.internals.v1.ServiceInvocation/CallLocal",grpc_server_status="OK"} 7
dapr_component_pubsub_ingress_count{app_id="stock-svc",component="pubsub",namespace="",process_status="success",status="success",topic="orders"} 100
dapr_component_pubsub_ingress_count{app_id="stock-svc",component="pubsub",namespace="",process_status="success",status="success",topic="payments"} 99
dapr_http_server_request_count{app_id="stock-svc",method="GET",status="200"} 12
`

func TestTheSidecarsCallsAreCountedByMethodAndPerOrder(t *testing.T) {
	got := parseCalls(strings.NewReader(sidecarMetrics))
	want := map[string]float64{"SaveState": 310, "GetState": 50, "PublishEvent": 100, Delivered: 199}
	if len(got) != len(want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	before := Calls{"stock-svc": {"SaveState": 10, "GetState": 50}}
	per := Calls{"stock-svc": got}.perOrder(before, 100)
	if per["stock-svc"]["SaveState"] != 3 || per["stock-svc"]["PublishEvent"] != 1 {
		t.Errorf("per order = %v", per)
	}
	if _, ok := per["stock-svc"]["GetState"]; ok {
		t.Errorf("a call with no change is listed: %v", per)
	}
	if line := per.describe("stock-svc"); !strings.HasPrefix(line, "stock-svc: 3.00 state calls (") {
		t.Errorf("describe = %q", line)
	}
}
