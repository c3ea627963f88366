# tracelink build, test and run targets. GNU make; needs Go (see go.mod) and, for the
# Fluent Bit plugin (.so) and the race detector, a C compiler (gcc).

GO       ?= go
GOFMT    ?= gofmt
BUILD    := build
PLUGIN   := $(BUILD)/out_tracelink.so
CLI      := $(BUILD)/tracelink
# Sample logs: one line per record; *.json.log files hold whole JSON records (read with -json).
SAMPLES_JSON := $(wildcard testdata/input/*.json.log)
SAMPLES      := $(filter-out $(SAMPLES_JSON),$(wildcard testdata/input/*.log))
# How long each fuzz target runs under `make fuzz`.
FUZZTIME ?= 10s
# The CPU profile the plugin and the CLI are built with (profile-guided optimization: go build
# picks up default.pgo in a main package's folder; cmd/tracelink's is a link to this one).
# `make pgo` regenerates it; `make bench` measures with it, as the plugin ships.
PGO := plugin/default.pgo

# The race detector needs cgo; without a C compiler the go command turns cgo off.
CGO_ON := $(shell $(GO) env CGO_ENABLED 2>/dev/null)
ifeq ($(CGO_ON),1)
RACE := -race
else
RACE :=
endif

.DEFAULT_GOAL := build
.PHONY: build run test e2e bench bench-fluent-bit pgo fuzz lint clean FORCE

# The real-host integration tests (internal/e2e) run Fluent Bit from FLUENT_BIT_BIN (else
# fluent-bit on PATH) with the plugin built here; without a Fluent Bit they skip.
E2E      := ./internal/e2e
UNIT     = $(shell $(GO) list ./... | grep -v '/internal/e2e$$')

## build: the Fluent Bit plugin (build/out_tracelink.so) and the CLI (build/tracelink)
build: $(PLUGIN) $(CLI)

# The commit the binaries report (tracelink version, the plugin's start line): the go
# command records it too, but not where GOFLAGS has -buildvcs=false.
COMMIT  := $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := $(if $(COMMIT),-ldflags "-X github.com/tracelink/tracelink/internal/version.Commit=$(COMMIT)")

# FORCE: always ask go, whose build cache knows whether anything changed.
$(PLUGIN): FORCE
	@mkdir -p $(BUILD)
	CGO_ENABLED=1 $(GO) build $(LDFLAGS) -buildmode=c-shared -o $@ ./plugin

$(CLI): FORCE
	@mkdir -p $(BUILD)
	$(GO) build $(LDFLAGS) -o $@ ./cmd/tracelink

# The Fluent Bit the real-host tests and the local try-it use, found as CI finds it:
# FLUENT_BIT_BIN, else fluent-bit on PATH, else ../shared/fluent-bit/bin/fluent-bit beside the clone.
FOUND_FLUENT_BIT = $(or $(FLUENT_BIT_BIN),$(shell command -v fluent-bit 2>/dev/null),$(wildcard $(abspath $(CURDIR)/../shared/fluent-bit/bin/fluent-bit)))

## run: link the bundled sample logs with the CLI, for Cloud Logging then Datadog; then,
## when a Fluent Bit is found, run them through tracelink inside it (examples/local/try.sh)
run: $(CLI)
	@test -n "$(SAMPLES)" || { echo "no sample logs in testdata/input/" >&2; exit 1; }
	@echo "== Cloud Logging (-p format=stackdriver -p project_id=demo-project) =="
	@$(CLI) -p format=stackdriver -p project_id=demo-project $(SAMPLES)
	@$(CLI) -json -p format=stackdriver -p project_id=demo-project $(SAMPLES_JSON)
	@echo "== Datadog (-p format=datadog) =="
	@$(CLI) -p format=datadog $(SAMPLES)
	@$(CLI) -json -p format=datadog $(SAMPLES_JSON)
ifeq ($(FOUND_FLUENT_BIT),)
	@echo "== Inside Fluent Bit: skipped, no Fluent Bit found (set FLUENT_BIT_BIN=/path/to/fluent-bit, v3.0 or later (README: Fluent Bit versions), then make run) =="
else
	@$(MAKE) --no-print-directory $(PLUGIN) >/dev/null
	@echo "== Inside Fluent Bit ($(FOUND_FLUENT_BIT)): examples/local/fluent-bit.conf, tail -> tracelink -> stdout =="
	@FLUENT_BIT_BIN=$(FOUND_FLUENT_BIT) sh examples/local/try.sh
endif

## test: go vet, every unit test under the race detector (the ABI harness included), the
## offline test of the manifests and Helm values (deploy/, its own module), then the
## integration tests in the real Fluent Bit; without one they skip, and the last lines say
## how many and how to run them
test:
ifneq ($(CGO_ON),1)
	@echo "NOTE: cgo is off (no C compiler found): running without -race; the plugin package"
	@echo "      is not built and the ABI harness and real-host tests skip. Install gcc for the full run."
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	cd deploy && $(GO) vet ./... && $(GO) test -count=1 ./...
else
	$(GO) vet ./...
	$(GO) test $(RACE) -count=1 $(UNIT)
	cd deploy && $(GO) vet ./... && $(GO) test -count=1 ./...
	@mkdir -p $(BUILD)
	@rm -f $(BUILD)/e2e.rc
	@{ FLUENT_BIT_BIN=$(FOUND_FLUENT_BIT) $(MAKE) --no-print-directory e2e; echo $$? > $(BUILD)/e2e.rc; } 2>&1 | tee $(BUILD)/e2e.log
	@skipped=$$(grep -c -- '--- SKIP' $(BUILD)/e2e.log || true); \
	if [ -z "$(FOUND_FLUENT_BIT)" ]; then \
	  echo; \
	  echo "=================================================================================="; \
	  echo " NO FLUENT BIT FOUND: $$skipped real-host tests (internal/e2e) were SKIPPED."; \
	  echo " The unit tests passed; the plugin was not run inside a real Fluent Bit."; \
	  echo " To run them: FLUENT_BIT_BIN=/path/to/fluent-bit make test   (or make e2e)"; \
	  echo " Where to get one: Fluent Bit v5.1.1 (the version CI uses), from"; \
	  echo " https://docs.fluentbit.io/manual/installation/getting-started-with-fluent-bit,"; \
	  echo " or put it on PATH, or at ../shared/fluent-bit/bin/fluent-bit beside this clone."; \
	  echo "=================================================================================="; \
	elif [ "$$skipped" -gt 0 ]; then \
	  echo "NOTE: $$skipped real-host tests skipped with Fluent Bit $(FOUND_FLUENT_BIT) (see SKIP lines above)"; \
	else \
	  echo "Real-host tests ran in Fluent Bit $(FOUND_FLUENT_BIT)."; \
	fi; \
	exit $$(cat $(BUILD)/e2e.rc)
endif

## e2e: only the integration tests in the real Fluent Bit (FLUENT_BIT_BIN), with the plugin built here
e2e: $(PLUGIN)
	TRACELINK_SO=$(CURDIR)/$(PLUGIN) $(GO) test $(RACE) -count=1 -timeout 15m -v $(E2E)

## bench: every benchmark, with allocations, built with the plugin's PGO profile
bench:
	$(GO) test -pgo=$(CURDIR)/$(PGO) -run '^$$' -bench . -benchmem ./...

## pgo: regenerate the PGO profile from the hot-path benchmarks (records in chunks, the flush)
pgo:
	@mkdir -p $(BUILD)
	$(GO) test -pgo=off -run '^$$' -bench '/in-chunk' -benchtime 2s -cpuprofile $(BUILD)/pgo-parser.prof -o $(BUILD)/parser.test ./parser
	$(GO) test -pgo=off -run '^$$' -bench 'Flush' -benchtime 2s -cpuprofile $(BUILD)/pgo-output.prof -o $(BUILD)/output.test ./internal/output
	$(GO) tool pprof -proto $(BUILD)/pgo-parser.prof $(BUILD)/pgo-output.prof > $(PGO)

## fuzz: each fuzz target for FUZZTIME (go fuzzes one target per run)
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  listed=$$($(GO) test -list '^Fuzz' $$pkg); \
	  for target in $$(echo "$$listed" | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## lint: gofmt, go vet and staticcheck (pinned in go.mod as a Go tool)
lint:
	@unformatted=$$($(GOFMT) -l $$(find . -name '*.go' -not -path './build/*' -not -path '*/testdata/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

## clean: remove build outputs
clean:
	rm -rf $(BUILD)

FORCE:

## bench-fluent-bit: CPU added per record in the real Fluent Bit (FLUENT_BIT_BIN): tracelink vs
## the native parser filter + Lua, over tail -> null (TRACELINK_BENCH_LINES, TRACELINK_BENCH_ROUNDS);
## peak RSS of the shipped pipeline vs its native equivalent at 40,000 lines/s (BenchmarkMemory);
## records/s per half core in a cgroup (BenchmarkCPULimit; skips where cgroups are not writable).
## BENCH_FLUENT_BIT picks some of them (CI runs the first two)
BENCH_FLUENT_BIT ?= BenchmarkRealHost|BenchmarkMemory|BenchmarkCPULimit
bench-fluent-bit: $(PLUGIN)
	TRACELINK_SO=$(CURDIR)/$(PLUGIN) $(GO) test -run '^$$' -bench '$(BENCH_FLUENT_BIT)' -benchtime 1x -timeout 60m -v $(E2E)

## e2e-matrix: the core real-host tests in every Fluent Bit under FLUENT_BIT_VERSIONS (default
## ../shared/fluent-bit/versions/*/fluent-bit): minimal and shipped configs, golden samples at
## the three backends, restart, three hot reloads with a clean exit, in-process delivery and
## the config map where the version offers them (internal/host's support table), the threaded
## forward input, Workers with hot reload. Each test asserts what the table says for that host.
FLUENT_BIT_VERSIONS ?= $(wildcard $(abspath $(CURDIR)/../shared/fluent-bit/versions)/*/fluent-bit)
MATRIX_TESTS := TestMinimalConfigNoWorkers|TestShippedConfigsDeliver|TestGoldenSamplesAt|TestRestartMidStreamLosesNothing|TestHotReloadMidStream|TestInProcess|TestFluentBitRefusesUnknownProperty|TestFluentBitHelpListsProperties|TestThreadedForwardInput|TestWorkersWithHotReloadRefused|TestOTelLinksAtTheBackend|TestPrometheusMetrics
e2e-matrix: $(PLUGIN)
	@test -n "$(FLUENT_BIT_VERSIONS)" || { echo "e2e-matrix: no Fluent Bit binaries (set FLUENT_BIT_VERSIONS)"; exit 1; }
	@set -e; for fb in $(FLUENT_BIT_VERSIONS); do \
	  echo "== $$($$fb --version | head -n 1): $$fb"; \
	  FLUENT_BIT_BIN=$$fb TRACELINK_SO=$(CURDIR)/$(PLUGIN) $(GO) test -count=1 -timeout 15m -run '^($(MATRIX_TESTS))$$' $(E2E); \
	done
