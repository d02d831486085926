# The load generator and the benchmark: see docs/benchmark.md.
#
# loadgen is vetted and unit-tested with the other modules; its tests
# include a short load on a real stack (own Redis, free ports).
MODULES += loadgen

# Extra flags for the benchmark, e.g. BENCH_FLAGS='-duration 60s -rate 200'.
BENCH_FLAGS ?=

.PHONY: bench

## bench: throughput, latency, CPU and memory of the saga on a stack of its own (about a minute and a half); PROFILE=1 adds CPU profiles
bench:
	go run ./loadgen/cmd/bench $(if $(filter-out 0 no false,$(PROFILE)),-profile) $(BENCH_FLAGS)
