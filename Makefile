# memstorm: `make run` builds and runs the default scenario; `make test` runs
# every test. Both install what is missing first (Debian packages, as root).
# `make soak` (not part of test) repeats OOM kills, interrupts and supervisor
# SIGKILLs and counts what is left behind (scripts/soak.sh; SOAK_OOM,
# SOAK_INT, SOAK_KILL set the counts).

GO      ?= go
BIN     := bin/memstorm
SCENARIO ?= eat-and-return
export PATH := $(PATH):/usr/local/go/bin
export CGO_ENABLED := 1

# Run-time packages: the allocators memstorm can switch to.
RUN_PKGS  := libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0
# Test-time extras: a real browser for the HTML report test, fonts for it;
# heaptrack and python3 for the record, import and replay tests.
TEST_PKGS := $(RUN_PKGS) chromium fonts-dejavu-core heaptrack python3
BENCH_PKGS := $(RUN_PKGS) stress-ng

.PHONY: all build run test fuzz-short bench cref soak setup-run setup-test setup-bench clean

all: build

setup-run:
	@scripts/setup.sh $(RUN_PKGS)

setup-test:
	@scripts/setup.sh $(TEST_PKGS)

setup-bench:
	@scripts/setup.sh $(BENCH_PKGS)

build: setup-run
	$(GO) build -o $(BIN) ./cmd/memstorm

run: build
	./$(BIN) run --out runs/make-run-$$(date +%Y%m%d-%H%M%S) $(SCENARIO)

# Every test, then again under the race detector (the workers it starts run
# an uninstrumented build: see internal/testenv), then a short fuzz run.
test: setup-test
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	$(GO) test -race -count=1 -timeout 30m ./...
	@$(MAKE) --no-print-directory fuzz-short
	@$(MAKE) --no-print-directory test-container
	@$(MAKE) --no-print-directory test-vm

# The cgroup v2 stage (test/vm): Debian's own kernel under qemu, software
# emulation (no KVM), on a pure cgroup v2 hierarchy, runs the real-cgroup
# tests and CLI runs from the root cgroup and from a limited non-root one.
# The kernel package is downloaded (not installed) into .cache/vm/. A few
# minutes; MEMSTORM_VM_THP=always|madvise|never sets the guest's THP mode.
VM_PKGS := qemu-system-x86 busybox-static cpio
.PHONY: test-vm
test-vm: setup-test
	@scripts/setup.sh $(VM_PKGS)
	MEMSTORM_VM_STAGE=1 $(GO) test -count=1 -v -timeout 60m ./test/vm/

# A short run of every fuzz target, from its seeds (f.Add and
# testdata/fuzz/): a few seconds each. FUZZTIME=1m for a longer look.
FUZZTIME ?= 3s
FUZZ_SCENARIOS := FuzzParse FuzzConditions FuzzParseSize FuzzParseDuration
FUZZ_UNITS     := FuzzParseBytes
FUZZ_RUNDIR    := FuzzReadSamples FuzzDecodeSummary
FUZZ_TRACE     := FuzzReader

fuzz-short:
	@for f in $(FUZZ_SCENARIOS); do \
		$(GO) test -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) ./scenarios/ || exit 1; done
	@for f in $(FUZZ_UNITS); do \
		$(GO) test -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) ./units/ || exit 1; done
	@for f in $(FUZZ_RUNDIR); do \
		$(GO) test -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) ./rundir/ || exit 1; done
	@for f in $(FUZZ_TRACE); do \
		$(GO) test -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) ./trace/ || exit 1; done

# memstorm's OCI image as a tarball (docker load -i / podman load -i it):
# the binary, its libraries and the allocator libraries of this machine,
# written without a daemon (deploy/image).
IMAGE     ?= bin/memstorm-image.tar
IMAGE_TAG ?= memstorm:latest
.PHONY: image
image: build
	$(GO) run ./deploy/image -binary $(BIN) -o $(IMAGE) -tag $(IMAGE_TAG)

# The real-container stage: memstorm as uid 1000 in runc containers with a
# memory limit and a read-only root (internal/runc); about 20 s.
CONTAINER_PKGS := $(RUN_PKGS) runc
.PHONY: test-container
test-container:
	@scripts/setup.sh $(CONTAINER_PKGS)
	MEMSTORM_CONTAINER_STAGE=1 $(GO) test -count=1 -timeout 10m -run '^TestContainer' -v ./internal/runc/

bench: build setup-bench
	./$(BIN) bench

# The plain-C reference program memstorm bench builds for itself, as
# bin/cref: docs/PERFORMANCE.md measures the machine's bounds with it.
CREF_SRC := alloc/cref/src/cref.c alloc/cref/src/twin.c alloc/cref/src/probe.c \
	$(addprefix alloc/,ops_churn.c ops_dist.c ops_engine.c ops_select.c elfsym.c introspect.c)
cref: $(CREF_SRC)
	@mkdir -p bin
	$${CC:-cc} -O2 -Wall -Ialloc -o bin/cref $(CREF_SRC) -ldl -lpthread -lm

soak: build
	MEMSTORM=$(BIN) scripts/soak.sh

clean:
	rm -rf bin runs
