# The two commands a newcomer needs: `make run` and `make test`.
# Everything else is here for convenience.

MODULES := contracts platform order-svc stock-svc payment-svc devstack e2e
UNIT     = $(filter-out e2e $(NOT_UNIT),$(MODULES))
# Modules whose tests need set-up that a target of mk/*.mk provides.
NOT_UNIT :=
# Checks that mk/*.mk add to `make test`.
EXTRA_TESTS :=
# Flags of every go test run; `make test TESTFLAGS='-count=1 -v'` lists each test.
TESTFLAGS ?= -count=1

.PHONY: run test test-deps unit e2e vet fmt daprd clean

## run: build what is missing, start Redis, three sidecars and three services; Ctrl-C stops them
run:
	@mkdir -p .dev/bin
	@go build -o .dev/bin/saga-run ./devstack/cmd/saga-run
	@exec .dev/bin/saga-run

## test: vet, unit tests and end-to-end tests on real daprd, the Dapr scheduler and Redis
test: test-deps vet unit e2e extra-tests

## test-deps: install the servers the tests start (Redis, Prometheus, RabbitMQ), build daprd and the Dapr scheduler, and start building the later suites' tools in the background
test-deps:
	@scripts/install-test-deps.sh
	@scripts/ensure-daprd.sh >/dev/null
	@scripts/ensure-tool.sh dapr-scheduler >/dev/null
	@scripts/ensure-tool.sh --background all

unit:
	go test $(TESTFLAGS) $(addprefix ./,$(addsuffix /...,$(UNIT)))

e2e:
	go test $(TESTFLAGS) -timeout 30m ./e2e/...

vet:
	@test -z "$$(gofmt -l $(MODULES))" || { gofmt -l $(MODULES); echo "gofmt needed"; exit 1; }
	go vet $(addprefix ./,$(addsuffix /...,$(MODULES)))

fmt:
	gofmt -w $(MODULES)

## daprd: print the path of daprd 1.18, building it once if none is found
daprd:
	@scripts/ensure-daprd.sh

clean:
	rm -rf .dev

# Each area (Kubernetes manifests, observability, benchmark) keeps its
# targets in its own file.
include $(wildcard mk/*.mk)

extra-tests: $(EXTRA_TESTS)
.PHONY: extra-tests
