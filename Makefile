# The two commands of the README: `make run` and `make test`. Both install or check their
# system packages first.
SWIFT ?= swift
FLOWC := .build/debug/flowc
CEL_CONFORMANCE ?= ../shared/tools/cel-conformance
# Raised as the CEL engine grows; the suite prints its own counts.
CEL_MIN_PASS ?= 1071

.PHONY: run reset test build deps test-deps conformance bench clean

deps:
	@.ci/install-deps

test-deps:
	@.ci/install-deps --test

build: deps
	$(SWIFT) build --product flowc

# Where the example flows send their webhooks. `make run` is a dry run: nothing is sent,
# so these only have to be well-formed; point them at real receivers and drop --dry-run
# to run the flows for real.
DEMO_ENV := OPS_WEBHOOK=https://hooks.example.invalid/ops \
	SALES_WEBHOOK=https://hooks.example.invalid/sales \
	AUDIT_URL=https://audit.example.invalid/consent \
	DASHBOARD_URL=https://dashboard.example.invalid/refresh \
	FINANCE_API=https://finance.example.invalid/api \
	METRICS_URL=https://metrics.example.invalid/rows

# flowc's main job on the bundled examples: check the flows, then run them against the
# sample stream. Emitted events go to stdout, logs and the counts to stderr, run records
# to .flowc/runs.ndjson.
run: build
	$(FLOWC) lint flows/
	@mkdir -p .flowc
	$(DEMO_ENV) $(FLOWC) run flows/ --events flows/samples/events.ndjson --state .flowc/state.db \
		--out .flowc/emitted.ndjson --runs .flowc/runs.ndjson --secrets flows/samples/demo.secrets --dry-run
	@echo "emitted events: .flowc/emitted.ndjson ($$(wc -l < .flowc/emitted.ndjson)); run records: .flowc/runs.ndjson ($$(wc -l < .flowc/runs.ndjson)); the latest runs:"
	$(FLOWC) runs --state .flowc/state.db --limit 10
	@echo "state: .flowc/state.db (run again: nothing is read twice; 'make reset' starts over)"

reset:
	rm -rf .flowc

# Every test: CEL conformance and the example flows' own tests first, then the Swift test
# suite, whose summary comes last.
test: test-deps
	$(SWIFT) build --build-tests
	@if [ -x "$(CEL_CONFORMANCE)" ] || [ -f "$(CEL_CONFORMANCE)" ]; then \
		python3 $(CEL_CONFORMANCE) $(FLOWC) --min-pass $(CEL_MIN_PASS) --show-failures 10; \
	else \
		echo "CEL conformance runner not found at $(CEL_CONFORMANCE); skipped"; \
	fi
	$(FLOWC) test flows/ --coverage --min-coverage 100
	$(SWIFT) test --skip-build

bench:
	$(SWIFT) build -c release --product flowc-bench
	.build/release/flowc-bench cel
	.build/release/flowc-bench lint
	.build/release/flowc-bench run
	.build/release/flowc-bench run --state

clean:
	rm -rf .build
