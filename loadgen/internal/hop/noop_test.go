package hop

import (
	"strings"
	"testing"
)

func TestTheScopesAndTopicLimitsOfAComponentAreDropped(t *testing.T) {
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
    # The saga's topics only.
    - name: allowedTopics
      value: "orders,stock"
    - name: publishingScopes
      value: "order-svc=orders"
    - name: subscriptionScopes
      value: "stock-svc=orders"
    - name: concurrency
      value: "100"
auth:
  secretStore: localsecrets
scopes:
  - order-svc
  - stock-svc
# trailing comment
`
	out := unscoped(in)
	for _, gone := range []string{"scopes:", "order-svc", "stock-svc", "allowedTopics", "Scopes", "orders"} {
		if strings.Contains(out, gone) {
			t.Errorf("%q left in:\n%s", gone, out)
		}
	}
	for _, keep := range []string{"name: pubsub", "type: pubsub.redis", "value: 127.0.0.1:6379", "name: concurrency", `value: "100"`,
		"secretStore: localsecrets", "# trailing comment"} {
		if !strings.Contains(out, keep) {
			t.Errorf("%q was dropped:\n%s", keep, out)
		}
	}
}
