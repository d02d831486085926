# Observability: the dashboard, alert rules and a real Prometheus scraping a
# running stack. Its tests run with the other modules' tests.
MODULES += observability

.PHONY: rules-test
## rules-test: promtool check and unit tests of the alert rules
rules-test:
	cd observability/prometheus && promtool check rules rules.yml && promtool test rules rules_test.yml
