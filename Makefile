# The two commands of the README: `make run` and `make test`. Both install or check their
# system packages first.
SWIFT ?= swift
FLOWC := .build/debug/flowc
CEL_CONFORMANCE ?= ../shared/tools/cel-conformance
# Raised as the CEL engine grows; the suite prints its own counts.
CEL_MIN_PASS ?= 1071

.PHONY: run test build deps test-deps conformance bench clean

deps:
	@.ci/install-deps

test-deps:
	@.ci/install-deps --test

build: deps
	$(SWIFT) build --product flowc

# flowc's main job on the bundled examples.
run: build
	$(FLOWC) lint flows/

# Every test: CEL conformance first, then the Swift test suite, whose summary comes last.
test: test-deps
	$(SWIFT) build --build-tests
	@if [ -x "$(CEL_CONFORMANCE)" ] || [ -f "$(CEL_CONFORMANCE)" ]; then \
		python3 $(CEL_CONFORMANCE) $(FLOWC) --min-pass $(CEL_MIN_PASS) --show-failures 10; \
	else \
		echo "CEL conformance runner not found at $(CEL_CONFORMANCE); skipped"; \
	fi
	$(SWIFT) test --skip-build

bench:
	$(SWIFT) build -c release --product flowc-bench
	.build/release/flowc-bench cel
	.build/release/flowc-bench lint

clean:
	rm -rf .build
