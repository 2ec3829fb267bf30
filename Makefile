# The two commands: `make demo` and `make test`. Both install missing Debian
# packages (.ci/install-deps.sh), configure and build with CMake.
BUILD      ?= build
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps configure build demo test bench asan format clean

all: build

deps:
	@bash .ci/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# The demo needs only the command-line tool.
demo: configure
	@cmake --build $(BUILD) -j $(JOBS) --target evalsim
	./$(BUILD)/evalsim run scenarios/quickstart.toml --out $(BUILD)/demo-out

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	./$(BUILD)/bench/evalsim_bench --benchmark_out=$(BUILD)/bench.json --benchmark_out_format=json

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	@$(MAKE) test BUILD=build-asan BUILD_TYPE=RelWithDebInfo CMAKE_ARGS='-DEVALSIM_SANITIZERS=address,undefined -DEVALSIM_BUILD_BENCHMARKS=OFF'

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build build-asan
