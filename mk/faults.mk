# The fault run: the saga under load while its processes die and stall and
# the broker delivers events twice (e2e/faults_test.go). `make test` runs
# its short variant on Redis Streams, with the state in Redis and in
# PostgreSQL, and the run with long outages on Redis, with the other
# end-to-end tests.

# The brokers and the state stores of the full run.
FAULT_BROKERS ?= redis,rabbitmq
FAULT_STORES ?= redis,postgres

.PHONY: test-faults

## test-faults: 3,000 orders at 40/s under kill -9 of every service and sidecar, a Redis (and PostgreSQL) kill, a stalled consumer, a broker restart and duplicates, on Redis and RabbitMQ, with the state in Redis and in PostgreSQL; then 1,000 orders at 10/s with every process kept down 25 s, on each broker; prints the figures (about 20 minutes)
test-faults: test-deps
	go test -count=1 -timeout 60m -v -run '^(TestNothingIsLostWhileProcessesDieUnderLoad|TestEveryOrderEndsAndNothingStaysHeldWhileProcessesStayDown)$$' ./e2e/ \
		-args -faults.full -faults.brokers=$(FAULT_BROKERS) -faults.stores=$(FAULT_STORES)
