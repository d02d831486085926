# The fault run: the saga under load while its processes die and stall and
# the broker delivers events twice (e2e/faults_test.go). `make test` runs
# its short variant on Redis Streams with the other end-to-end tests.

# The brokers of the full run.
FAULT_BROKERS ?= redis,rabbitmq

.PHONY: test-faults

## test-faults: 3,000 orders at 40/s under kill -9 of every service and sidecar, a Redis kill, a stalled consumer, a broker restart and duplicates, on Redis and RabbitMQ; prints the figures (about 6 minutes)
test-faults: test-deps
	go test -count=1 -timeout 45m -v -run '^TestNothingIsLostWhileProcessesDieUnderLoad$$' ./e2e/ \
		-args -faults.full -faults.brokers=$(FAULT_BROKERS)
