# volact — make help lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# TRUSTED_ROOTS=sha256:<hex>[,sha256:<hex>] pins the catalog roots the build
# accepts (a vendor's build); empty: the first catalog installed is pinned.
TRUSTED_ROOTS ?=
LDFLAGS := -s -w -X github.com/volact/volact/internal/build.Version=$(VERSION) -X github.com/volact/volact/internal/build.TrustedRoots=$(TRUSTED_ROOTS)
# Stamp the git commit (volact version) when this is a git checkout, even if
# GOFLAGS says -buildvcs=false; a tarball builds without it.
VCSFLAG := $(shell git rev-parse HEAD >/dev/null 2>&1 && echo -buildvcs=auto)
MANDIR ?= bin/man/man1
BIN := bin/volact
BIND := bin/volactd
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

build: ## Build bin/volact (client) and bin/volactd (servers), static, CGO_ENABLED=0
	CGO_ENABLED=0 $(GO) build -trimpath $(VCSFLAG) -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/volact
	CGO_ENABLED=0 $(GO) build -trimpath $(VCSFLAG) -ldflags "$(LDFLAGS)" -o $(BIND) ./cmd/volactd

test: ## Vet and run every test with the race detector (starts its own PostgreSQL)
	$(GO) vet ./...
	$(GO) test -race -timeout 30m ./...

demo: build ## Run the end-to-end demo on loopback with real processes
	$(GO) run ./scripts/demo $(BIN)

bench: build ## Run every benchmark; writes testdata/bench/latest.md
	bash scripts/bench.sh $(BIN)

lint: ## gofmt, go vet, staticcheck; scripts/lint.sh (shellcheck, systemd-analyze, xmllint)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	$(GO) run github.com/securego/gosec/v2/cmd/gosec@v2.30.0 -quiet -exclude=G104,G115,G304,G404,G101,G705,G301,G306 -exclude-dir=scripts -exclude-dir=pgtest -exclude-dir=abusetest -exclude-dir=dnstest ./...
	bash scripts/lint.sh

man: build ## Generate man pages from the commands into $(MANDIR)
	SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null)} $(BIN) man $(MANDIR)
	SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null)} $(BIND) man $(MANDIR)

cover: ## Coverage report: coverage.out and coverage.html
	$(GO) test -covermode=atomic -coverprofile=coverage.out ./...
	$(GO) tool cover -func=coverage.out | tail -1
	$(GO) tool cover -html=coverage.out -o coverage.html

cross: ## Build volact and volactd for every GOOS/GOARCH into bin/
	@set -e; for p in $(PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
	  echo "$$os/$$arch"; \
	  for b in volact volactd; do \
	    CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath $(VCSFLAG) -ldflags "$(LDFLAGS)" -o bin/$$b-$$os-$$arch$$ext ./cmd/$$b; \
	  done; \
	done

# make package: linux/amd64, and this machine's architecture when it is
# another Linux one. PKGOUT is where the packages go.
PKGOUT ?= dist
PKGARCHS ?= $(sort amd64 $(shell [ "$$($(GO) env GOOS)" = linux ] && $(GO) env GOARCH))

package: build ## .deb and .rpm of volact and volactd into dist/ (PKGOUT=), with nfpm; no Docker or goreleaser
	@set -e; host=$$($(GO) env GOOS)/$$($(GO) env GOARCH); for arch in $(PKGARCHS); do \
	  mkdir -p $(PKGOUT)/linux-$$arch; \
	  if [ $$host = linux/$$arch ]; then cp $(BIN) $(BIND) $(PKGOUT)/linux-$$arch/; continue; fi; \
	  for b in volact volactd; do \
	    CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath $(VCSFLAG) -ldflags "$(LDFLAGS)" -o $(PKGOUT)/linux-$$arch/$$b ./cmd/$$b; \
	  done; \
	done
	VERSION=$(VERSION) bash scripts/package/package.sh $(PKGOUT) $(BIN) $(BIND) $(PKGARCHS)

fuzz: ## Short fuzz run of every parser (FUZZTIME executions or a duration each, default 100000x)
	@set -e; for t in "FuzzParse ./internal/productkey" "FuzzParse ./internal/catalog" "FuzzOpen ./internal/protocol" "FuzzDecodeText ./internal/protocol" "FuzzDecode ./internal/store" "FuzzTranslateArgs ./internal/cli" "FuzzDecodeRecords ./internal/kms" "FuzzDecode ./internal/jsonstrict" "FuzzParseIOReg ./internal/machineid" "FuzzParseSMBIOSUUID ./internal/machineid" "FuzzNonce ./internal/machineid" "FuzzParseHostPort ./internal/hostname" "FuzzWriter ./internal/termsafe" "FuzzParseCheckpoint ./internal/translog" "FuzzVerifyExport ./internal/translog" "FuzzOpenReceipt ./internal/protocol" "FuzzVerify ./internal/trueup" "FuzzParseScenario ./internal/sim"; do \
	  set -- $$t; echo "fuzz $$1 $$2"; $(GO) test -run '^$$' -fuzz "^$$1$$" -fuzztime $${FUZZTIME:-100000x} $$2; done

deps: ## Rewrite cmd/volact/deps.txt, the client's dependency list (review what changed)
	@{ echo "# Packages volact (the client) links on Linux, outside the standard library."; \
	   echo "# Checked by cmd/volact/deps_test.go: a change here is a decision; say why."; \
	   cd cmd/volact && CGO_ENABLED=0 GOOS=linux $(GO) list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' . | sort; } > cmd/volact/deps.txt

bench-sim: ## volactd sim: a year of 100,000 and 1,000,000 machines (seconds, machine-days/s, bytes/machine)
	bash scripts/bench-sim.sh

sim-demo: build ## Run the three scenarios of scripts/sim; HTML reports into bin/sim/
	@mkdir -p bin/sim; for s in scripts/sim/*.yaml; do echo "== $$s"; $(BIND) sim $$s --html bin/sim/$$(basename $$s .yaml).html -q; done

golden: ## Regenerate golden files
	UPDATE_GOLDEN=1 $(GO) test ./internal/cli/... ./internal/e2e/...

help: ## Show targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

.PHONY: build test demo bench bench-sim sim-demo lint man cover cross fuzz golden deps package help
