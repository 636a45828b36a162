# A thin wrapper over CMake. `make demo` and `make test` first install the Debian packages they need.
#
#   make demo     build, then run the main demo
#   make test     every test: unit and scenario tests (g++), the same under ASan+UBSan (clang),
#                 and a bounded smoke run of each libFuzzer target
#   make build    just build (build/)
#   make bench    run the micro-benchmarks

BUILD          ?= build
BUILD_SANITIZE ?= build-sanitize
BUILD_FUZZ     ?= build-fuzz
FUZZ_SECONDS   ?= 20
JOBS           ?= $(shell nproc)

.PHONY: all deps build demo test test-unit test-sanitize test-fuzz bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
	@cmake --build $(BUILD)

demo: build
	$(BUILD)/tools/tcpp/tcpp demo

test: test-unit test-sanitize test-fuzz

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-sanitize: deps
	@cmake -S . -B $(BUILD_SANITIZE) -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
	    -DTCPP_SANITIZE=ON > /dev/null
	@cmake --build $(BUILD_SANITIZE)
	ctest --test-dir $(BUILD_SANITIZE) --output-on-failure -j $(JOBS)

test-fuzz: deps
	@cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DTCPP_FUZZ=ON -DTCPP_FUZZ_SECONDS=$(FUZZ_SECONDS) > /dev/null
	@cmake --build $(BUILD_FUZZ)
	ctest --test-dir $(BUILD_FUZZ) --output-on-failure -j $(JOBS)

bench: deps
	@cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
	@cmake --build build-bench
	build-bench/bench/micro/wire_bench

clean:
	rm -rf $(BUILD) $(BUILD_SANITIZE) $(BUILD_FUZZ) build-bench
