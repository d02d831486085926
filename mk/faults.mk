# The fault run: the saga under load while its processes die and stall and
# the broker delivers events twice (e2e/faults_test.go). `make test` runs
# its short variant and the run with long outages on Redis Streams with
# the other end-to-end tests.

# The brokers of the full run.
FAULT_BROKERS ?= redis,rabbitmq

.PHONY: test-faults

## test-faults: 3,000 orders at 40/s under kill -9 of every service and sidecar, a Redis kill, a stalled consumer, a broker restart and duplicates; then 1,000 orders at 10/s with every process kept down 25 s; on Redis and RabbitMQ; prints the figures (about 12 minutes)
test-faults: test-deps
	go test -count=1 -timeout 60m -v -run '^(TestNothingIsLostWhileProcessesDieUnderLoad|TestEveryOrderEndsAndNothingStaysHeldWhileProcessesStayDown)$$' ./e2e/ \
		-args -faults.full -faults.brokers=$(FAULT_BROKERS)
