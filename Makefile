# The two commands: `make demo` and `make test`. Both install missing Debian
# packages (.ci/install-deps.sh), configure and build with CMake.
BUILD      ?= build
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
CTEST_ARGS ?=
# Seconds each fuzz target runs under `make fuzz`.
FUZZ_SECONDS ?= 60

.PHONY: all deps configure build demo test bench asan tsan fuzz format clean

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
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

bench: build
	./$(BUILD)/bench/evalsim_bench --benchmark_out=$(BUILD)/bench.json --benchmark_out_format=json

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	@$(MAKE) test BUILD=build-asan BUILD_TYPE=RelWithDebInfo CMAKE_ARGS='-DEVALSIM_SANITIZERS=address,undefined -DEVALSIM_BUILD_BENCHMARKS=OFF -DEVALSIM_WERROR=ON'

# The multithreaded parts (generator, runner, sweeps, bootstrap) under
# ThreadSanitizer.
tsan:
	@$(MAKE) test BUILD=build-tsan BUILD_TYPE=RelWithDebInfo CMAKE_ARGS='-DEVALSIM_SANITIZERS=thread -DEVALSIM_BUILD_BENCHMARKS=OFF -DEVALSIM_WERROR=ON' CTEST_ARGS='-R "^(Generator|Sweep|Resample|FairnessTable|Cli\.(Run|ComparisonAndIndicatorRuns|SplitReplicates)|SplitReplicates|Manipulation(Properties|Cli))"'

# libFuzzer targets for every reader (clang), each run for FUZZ_SECONDS.
fuzz: deps
	@cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_ASM_COMPILER=clang -DEVALSIM_FUZZ=ON -DEVALSIM_BUILD_TESTS=OFF -DEVALSIM_BUILD_BENCHMARKS=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	bash fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build build-asan build-tsan build-fuzz
