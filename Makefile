# Thin wrapper around CMake and the scripts in tests/.  See README.md.
#   make run    install what is missing, build, start the appliance
#   make test   install what is missing, build, run every test
#   make bench  install what is missing, build, run the benchmarks

JOBS      ?= $(shell nproc)
BUILD     ?= build
FUZZ_SECS ?= 20
ARCH      := $(shell dpkg --print-architecture 2>/dev/null)
HS_PKG    := $(if $(filter arm64,$(ARCH)),libvectorscan-dev,libhyperscan-dev)
PACKAGES  := build-essential cmake pkg-config git python3 $(HS_PKG) libevent-dev \
             libmbedtls-dev libssl-dev liblmdb-dev libpcre2-dev libyaml-dev zlib1g-dev \
             libcmocka-dev libsystemd-dev clang libclang-rt-14-dev lighttpd \
             nginx-light ripgrep time curl ca-certificates bc shellcheck systemd \
             openssl binutils

.PHONY: all deps build run test test-unit test-asan test-fuzz bench clean

all: build

# Installs only what is missing; needs root on a fresh machine.
deps:
	@missing=$$(for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "run as root to install packages" >&2; exit 1; fi; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

run: build
	bash firmware/run.sh $(BUILD)/sluice

# Unit tests and the gate scenarios (sluice serve itself) under ASan+UBSan,
# fuzz targets briefly, then the whole suite (unit + integration) on the
# -Werror release build.
test: build test-asan test-fuzz
	cd $(BUILD) && ctest --output-on-failure -j2 --timeout 900

test-asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_SANITIZE=ON
	cmake --build $(BUILD)-asan -j$(JOBS)
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j2 \
		-R '^unit/|integration/test_gate_(block|bypass|embedded|iac|failures|crafted|audit|auth|slots)$$|integration/test_(scan|rules)_cli$$'

test-fuzz: deps
	CC=clang cmake -S . -B $(BUILD)-fuzz -DCMAKE_BUILD_TYPE=Debug -DSLUICE_FUZZ=ON
	cmake --build $(BUILD)-fuzz -j$(JOBS)
	bash tests/fuzz/run.sh $(BUILD)-fuzz $(FUZZ_SECS)

bench: build
	SLUICE_BINARY=$(BUILD)/sluice bash tests/bench/bench.sh
	find tests/bench/work/corpus -type f -name '*.*' | sort | head -4000 | xargs cat | head -c 64000000 > tests/bench/work/matcher-input.txt || true
	$(BUILD)/bench_matcher rules/packs/*.yaml tests/bench/work/matcher-input.txt 3
	bash tests/bench/bench_iac.sh $(BUILD)/sluice
	bash tests/bench/bench_gate.sh $(BUILD)/sluice

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz
