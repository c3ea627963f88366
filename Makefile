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

# FORCE: always ask go, whose build cache knows whether anything changed.
$(PLUGIN): FORCE
	@mkdir -p $(BUILD)
	CGO_ENABLED=1 $(GO) build -buildmode=c-shared -o $@ ./plugin

$(CLI): FORCE
	@mkdir -p $(BUILD)
	$(GO) build -o $@ ./cmd/tracelink

## run: link the bundled sample logs, for Cloud Logging then for Datadog
run: $(CLI)
	@test -n "$(SAMPLES)" || { echo "no sample logs in testdata/input/" >&2; exit 1; }
	@echo "== Cloud Logging (-p format=stackdriver -p project_id=demo-project) =="
	@$(CLI) -p format=stackdriver -p project_id=demo-project $(SAMPLES)
	@$(CLI) -json -p format=stackdriver -p project_id=demo-project $(SAMPLES_JSON)
	@echo "== Datadog (-p format=datadog) =="
	@$(CLI) -p format=datadog $(SAMPLES)
	@$(CLI) -json -p format=datadog $(SAMPLES_JSON)

## test: go vet, every unit test under the race detector (the ABI harness included), then
## the integration tests in the real Fluent Bit (skipped, saying why, when there is none)
test:
ifneq ($(CGO_ON),1)
	@echo "NOTE: cgo is off (no C compiler found): running without -race; the plugin package"
	@echo "      is not built and the ABI harness and real-host tests skip. Install gcc for the full run."
	$(GO) vet ./...
	$(GO) test -count=1 ./...
else
	$(GO) vet ./...
	$(GO) test $(RACE) -count=1 $(UNIT)
	$(MAKE) --no-print-directory e2e
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
## the native parser filter + Lua, over tail -> null (TRACELINK_BENCH_LINES, TRACELINK_BENCH_ROUNDS)
bench-fluent-bit: $(PLUGIN)
	TRACELINK_SO=$(CURDIR)/$(PLUGIN) $(GO) test -run '^$$' -bench BenchmarkRealHost -benchtime 1x -timeout 60m -v $(E2E)
