package hop

import (
	"strings"
	"testing"
)

func TestTheScopesOfAComponentAreDropped(t *testing.T) {
	t.Parallel()
	in := `# The saga's broker.
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.redis
  metadata:
    - name: redisHost
      value: 127.0.0.1:6379
scopes:
  - order-svc
  - stock-svc
# trailing comment
`
	out := withoutScopes(in)
	if strings.Contains(out, "scopes:") || strings.Contains(out, "order-svc") {
		t.Fatalf("scopes left in:\n%s", out)
	}
	for _, keep := range []string{"name: pubsub", "type: pubsub.redis", "value: 127.0.0.1:6379", "# trailing comment"} {
		if !strings.Contains(out, keep) {
			t.Errorf("%q was dropped:\n%s", keep, out)
		}
	}
}
