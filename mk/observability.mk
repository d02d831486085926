# Observability: the dashboard, alert rules and a real Prometheus scraping a
# running stack. Its tests start a stack and Prometheus, so they run beside
# the end-to-end tests, not with the unit tests.
MODULES += observability
NOT_UNIT += observability
EXTRA_TESTS += observability-test

.PHONY: observability-test
observability-test:
	go test $(TESTFLAGS) -timeout 20m ./observability/...

.PHONY: rules-test
## rules-test: promtool check and unit tests of the alert rules
rules-test:
	cd observability/prometheus && promtool check rules rules.yml && promtool test rules rules_test.yml
