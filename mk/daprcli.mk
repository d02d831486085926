# The Dapr CLI: dapr.yaml run by the real CLI 1.16.5 (`dapr run -f`), an
# order placed and confirmed, then `dapr stop -f`. The run file's ports are
# fixed (those of `make run`, and Redis on 6379), so the test runs on its
# own, after the end-to-end tests, and nothing may hold those ports. Its
# files carry the build tag daprcli, which keeps them out of `make e2e`
# and `make vet`: this target vets them.
EXTRA_TESTS += daprcli-test

.PHONY: daprcli-test

## daprcli-test: run dapr.yaml with the real Dapr CLI 1.16.5 (built once, see scripts/ensure-tool.sh) and place an order through it
daprcli-test:
	@scripts/ensure-tool.sh dapr >/dev/null
	go vet -tags daprcli ./e2e/daprcli/
	go test $(TESTFLAGS) -tags daprcli -timeout 20m ./e2e/daprcli/
