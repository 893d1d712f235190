# Biometric Passkey — developer and CI entry points. `make` lists them.
#
# Hydra is built from its own module (tools/hydra) into .bin/hydra, so its
# dependency graph never enters the project's go.mod.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

GO       ?= go
BIN      := .bin
HYDRA    := $(BIN)/hydra
# The Hydra version is the one tools/hydra/go.mod pins; it is stamped into
# the binary so `hydra version` tells the truth.
HYDRA_VERSION := $(shell awk '$$1 == "require" && $$2 == "github.com/ory/hydra/v2" { print $$3; exit } $$1 == "github.com/ory/hydra/v2" { print $$2; exit }' tools/hydra/go.mod)
HYDRA_INPUTS  := tools/hydra/go.mod tools/hydra/go.sum tools/hydra/tools.go
# Rebuilt only when the content of HYDRA_INPUTS changes (not their mtime).
HYDRA_STAMP   := $(BIN)/.hydra-inputs.sha256

# staticcheck 2026.2.2, the first line that knows Go 1.26.
STATICCHECK_VERSION ?= v0.8.2

TEST_TIMEOUT ?= 15m
TEST_FLAGS ?=

# Debian package names of the services the tests start or drive.
# postgresql: internal/testenv.Postgres runs its initdb and postgres from
# /usr/lib/postgresql/*/bin (off PATH, hence the path) and starts its own
# server; the package's system cluster is not used.
TEST_DEPS := redis-server:redis-server chromium:chromium $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb) initdb):postgresql

.PHONY: help hydra build run test test-deps test-times bench generate lint clean FORCE

help: ## list the targets
	@echo "Targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-zA-Z_-]+):.*## (.*)$$/  \1\t\2/' | expand -t 16

hydra: $(HYDRA) ## build .bin/hydra (the Ory Hydra that tools/hydra pins, SQLite via cgo) when missing or changed
	@echo "$(HYDRA): $$($(HYDRA) version 2>/dev/null | sed -n 1p)"

$(HYDRA_STAMP): FORCE
	@mkdir -p $(BIN)
	@sum=$$(cat $(HYDRA_INPUTS) | sha256sum | cut -d' ' -f1); \
	if [ ! -f $@ ] || [ "$$(cat $@)" != "$$sum" ]; then echo "$$sum" > $@; fi

$(HYDRA): $(HYDRA_STAMP)
	@command -v "$${CC:-gcc}" >/dev/null || { \
	  echo "make hydra: Hydra's SQLite driver needs a C compiler for cgo, and $${CC:-gcc} is missing." >&2; \
	  echo "Install it with: apt-get install -y gcc" >&2; exit 1; }
	@echo "building $@ (Ory Hydra $(HYDRA_VERSION)); the first build takes a few minutes"
	cd tools/hydra && CGO_ENABLED=1 GOWORK=off $(GO) build -trimpath \
	  -tags sqlite,sqlite_omit_load_extension \
	  -ldflags "-X github.com/ory/hydra/v2/driver/config.Version=$(HYDRA_VERSION)" \
	  -o ../../$@.tmp github.com/ory/hydra/v2
	mv $@.tmp $@
	@touch $@

build: ## build every cmd/* and the demo bank into .bin/
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...
	$(GO) build -o $(BIN)/bank ./examples/bank

run: hydra build ## start Hydra, the login provider with its plugin and the demo bank; prints the URL to open
	@HYDRA_BIN=$(abspath $(HYDRA)) $(BIN)/devstack $(ARGS)

test-deps: ## make sure redis-server and chromium exist (apt-get installs them when root)
	@missing=""; \
	for dep in $(TEST_DEPS); do \
	  command -v "$${dep%%:*}" >/dev/null || missing="$$missing $${dep#*:}"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	else \
	  echo "make test: missing$$missing; the tests that need them skip (and fail when CI=true)." >&2; \
	  echo "Install them with: sudo apt-get install -y --no-install-recommends$$missing" >&2; \
	fi

test: hydra test-deps ## run every test (with -race), on real Hydra, Redis and Chromium; ends with "N passed, N failed, N skipped"
	@mkdir -p $(BIN)
	@$(GO) build -o $(BIN)/testsummary ./internal/testsummary/cmd/testsummary
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(TEST_FLAGS) -json ./... | $(BIN)/testsummary

test-times: hydra ## time each package's tests with and without -race
	@for p in $$($(GO) list ./...); do \
	  for r in -norace -race; do \
	    flag=$${r/-norace/}; s=$$(date +%s%N); \
	    $(GO) test $$flag -count=1 -timeout $(TEST_TIMEOUT) $$p >/dev/null 2>&1 && st=ok || st=FAIL; \
	    ms=$$(( ($$(date +%s%N) - s) / 1000000 )); \
	    printf '%-72s %-7s %-4s %4d.%01ds\n' $$p $$r $$st $$((ms / 1000)) $$((ms % 1000 / 100)); \
	  done; \
	done

bench: test-deps ## benchmark the ceremony (bare go-webauthn, in-process, plugin) and write docs/benchmarks.md
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/benchreport ./internal/perf/cmd/benchreport
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -benchtime=$(or $(BENCHTIME),2000x) -timeout 30m ./internal/perf/ | tee $(BIN)/bench.txt
	$(BIN)/benchreport -in $(BIN)/bench.txt -out docs/benchmarks.md

generate: ## run go generate
	$(GO) generate ./...

lint: ## gofmt -l (must be empty), go vet and staticcheck (pinned)
	@unformatted=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go' 2>/dev/null || find . -name '*.go' -not -path './.*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

clean: ## remove .bin/ (Hydra included) and the test cache
	rm -rf $(BIN)
	$(GO) clean -testcache

FORCE:
