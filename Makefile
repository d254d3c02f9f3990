# onair - the two commands that matter:
#   make run    install what is missing, build, start onair (SQLite under ./data)
#   make test   install what is missing, build with -Werror, run every test
#
# Other targets: build, asan, fuzz, e2e, unit, format, bench, bench-report, screenshots, clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 20
CMAKE_FLAGS ?=

# Node 20.10+ can run test files in parallel; older ones run them one by one.
NODE_TEST_FLAGS := $(shell node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.stdout.write(a>20||(a==20&&b>=10)?"--test-concurrency=2":"")' 2>/dev/null)

.PHONY: all build run test deps deps-test unit asan asan-unit e2e e2e-asan fuzz fuzz-build \
        format clean bench bench-report screenshots

all: build

deps:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DONAIR_WERROR=ON $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

run: deps build
	@mkdir -p data
	./$(BUILD)/onair --config onair.conf

unit: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DONAIR_WERROR=ON -DONAIR_SANITIZE=ON

asan: $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j$(JOBS)

asan-unit: asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)

e2e: build
	ONAIR_BIN=$(CURDIR)/$(BUILD)/onair node --test $(NODE_TEST_FLAGS) tests/e2e/

# The same end-to-end suite against the sanitizer build: any ASan/UBSan
# report makes the server exit non-zero, which the harness reports.
e2e-asan: asan
	ONAIR_BIN=$(CURDIR)/$(ASAN_BUILD)/onair ONAIR_SANITIZED=1 \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  node --test $(NODE_TEST_FLAGS) tests/e2e/

$(FUZZ_BUILD)/CMakeCache.txt:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DONAIR_FUZZ=ON -DONAIR_TESTS=OFF \
	  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"

fuzz-build: $(FUZZ_BUILD)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD) -j$(JOBS)

# Every fuzz target: its seed corpus, then FUZZ_SECONDS of new inputs.
fuzz: fuzz-build
	@set -e; for f in $(FUZZ_BUILD)/fuzz/fuzz_*; do \
	  name=$$(basename $$f | sed 's/^fuzz_//'); \
	  mkdir -p tests/fuzz/corpus/$$name $(FUZZ_BUILD)/corpus/$$name; \
	  echo "fuzz: $$name ($(FUZZ_SECONDS)s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
	    -artifact_prefix=$(FUZZ_BUILD)/ $(FUZZ_BUILD)/corpus/$$name tests/fuzz/corpus/$$name \
	    2>$(FUZZ_BUILD)/fuzz-$$name.log || { tail -40 $(FUZZ_BUILD)/fuzz-$$name.log; exit 1; }; \
	done

test: deps-test
	$(MAKE) build
	$(MAKE) unit
	$(MAKE) asan-unit
	$(MAKE) e2e
	$(MAKE) e2e-asan
	$(MAKE) fuzz
	@echo "make test: all suites passed"

# The web app at desktop and phone width: the browser tests save a PNG of
# each page under $(BUILD)/screenshots/; this runs them and refreshes
# docs/screenshots/ from that.
screenshots: build
	rm -rf $(BUILD)/screenshots
	ONAIR_BIN=$(abspath $(BUILD))/onair SCREENSHOT_DIR=$(abspath $(BUILD))/screenshots \
	  node --test tests/e2e/web.test.mjs tests/e2e/web-*.test.mjs
	mkdir -p docs/screenshots
	rm -f docs/screenshots/*.png
	cp $(BUILD)/screenshots/*.png docs/screenshots/

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

bench: build
	bench/run.sh

# The plots of docs/BENCHMARKS.md (docs/plots/*.svg) from the results in
# bench/results/; runs no benchmark.
bench-report:
	@scripts/deps.sh bench
	bench/report.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
