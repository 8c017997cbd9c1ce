# Trust Fabric. `make run` and `make test` install what they need on Debian 12 themselves.
PRESET ?= $(if $(CI),ci,default)
BUILD_DIR := $(if $(filter asan,$(PRESET)),build-asan,build)

.PHONY: all deps configure web build run test test-asan fuzz bench bench-store bench-web bench-audit bench-security format clean help

all: build

help:
	@echo "make run        build and start trustd on http://127.0.0.1:8080 (data in ./var)"
	@echo "make test       build and run every test"
	@echo "make test-asan  the tests under AddressSanitizer + UBSan"
	@echo "make fuzz       build the libFuzzer targets (clang) and run each for FUZZ_SECONDS (60)"
	@echo "make bench      HTTP benchmark against nginx (see docs/benchmarks.md)"
	@echo "make bench-store  the store workload on SQLite and PostgreSQL, one and two instances"
	@echo "make bench-web  console bundle size and time to first dashboard render in Chromium"
	@echo "make bench-audit  audit appends against plain inserts, verification, proofs at 10 M leaves"
	@echo "make bench-security  detection rules over 1 M audit records, and detection latency under load"

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake --preset $(PRESET) >/dev/null

web: deps
	@scripts/build-web.sh

build: configure web
	@cmake --build --preset $(PRESET)

run: build
	@scripts/run.sh

test: build
	@ctest --preset $(PRESET)

test-asan: deps web
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan
	@ctest --preset asan

FUZZ_SECONDS ?= 60
fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz
	@scripts/fuzz.sh $(FUZZ_SECONDS)

bench: build
	@bench/http/run.sh

bench-store: build
	@bench/store/run.sh

bench-web: build
	@bench/web/run.sh

bench-audit: build
	@bench/audit/run.sh

bench-security: build
	@bench/security/run.sh

format:
	@find src tests bench -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build build-asan build-fuzz web/dist
