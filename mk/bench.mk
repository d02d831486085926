# The load generator and the benchmark: see docs/benchmark.md.
#
# loadgen is vetted and unit-tested with the other modules; its tests
# start nothing. The load generator's short load on a real stack is an
# end-to-end test (e2e/loadgen_test.go).
MODULES += loadgen

# Extra flags for the benchmark, e.g. BENCH_FLAGS='-duration 60s -rate 200'.
BENCH_FLAGS ?=
# The large catalog of bench-catalog, in products.
CATALOG ?= 100000

.PHONY: bench bench-stores bench-catalog bench-hops bench-jobs

## bench: throughput, latency, CPU and memory of the saga on a stack of its own (about a minute and a half); PROFILE=1 adds CPU profiles, STATE=postgres keeps the state in PostgreSQL
bench:
	go run ./loadgen/cmd/bench $(if $(filter-out 0 no false,$(PROFILE)),-profile) $(if $(STATE),-state $(STATE)) $(BENCH_FLAGS)

## bench-stores: the whole benchmark with the state in Redis, then in PostgreSQL, and one table that compares them (about three minutes)
bench-stores:
	go run ./loadgen/cmd/bench -compare-stores $(BENCH_FLAGS)

## bench-catalog: orders/s and CPU per order at saturation for 4 vs CATALOG (100000) products, a hot product and 2 stock-svc, each on a fresh stack (a few minutes)
bench-catalog:
	go run ./loadgen/cmd/bench -compare-catalog $(CATALOG) $(BENCH_FLAGS)

## bench-hops: the bare Dapr hop over each channel between sidecar and app (HTTP, HTTP/2 or gRPC deliveries; gRPC or HTTP publishes, over TCP or a Unix socket), in turns (about three minutes)
bench-hops:
	go run ./loadgen/cmd/bench -compare-hops $(BENCH_FLAGS)

## bench-jobs: what a Dapr job costs the sidecar and the scheduler: jobs created at 100/s and 500/s for 20 s each, fired or cancelled (about three minutes)
bench-jobs:
	go run ./loadgen/cmd/bench -jobs $(BENCH_FLAGS)
