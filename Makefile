# gokeepalived build and test entry points. `make demo` and `make test` install what they need.
GO      ?= go
BIN     := $(CURDIR)/bin
PKGS    := ./...
TESTFLAGS ?= -count=1 -timeout 20m

.PHONY: all build man deb deps test lint unit race fmt-check vet staticcheck demo fuzz bench bench-bgp chaos clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

## man: manual pages and bash/zsh completion, generated from the flag sets and the keyword table, under bin/share.
man:
	$(GO) run ./internal/cli/mangen -o $(BIN)/share

## deb: the Debian package in bin/ (packaging/build-deb.sh, with dpkg-deb); check it: lintian bin/gokeepalived_*.deb
deb:
	OUT=$(BIN) GO=$(GO) bash packaging/build-deb.sh

deps:
	@bash scripts/deps.sh

## test: everything CI runs: formatting, vet, staticcheck, unit, simulation, kernel and e2e tests.
test: deps lint unit race

lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi; echo "gofmt: ok"

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(BIN)/staticcheck $(PKGS)

unit:
	$(GO) test $(TESTFLAGS) $(PKGS)

## race: the packages with goroutines, under the race detector (about a minute on 2 cores).
RACEPKGS := ./internal/daemon/ ./internal/notify/ ./internal/track/ ./internal/check/... ./internal/ctl/ \
	./internal/metrics/ ./internal/vrrp/... ./internal/lb/ ./internal/dbusapi/ ./internal/director/ ./internal/bgprun/ ./internal/bfdrun/ \
	./internal/cli/ ./internal/linux/nlcmd/
race:
	$(GO) test -race -count=1 -timeout 10m $(RACEPKGS)

## demo: live failover of the seed's nginx pair in network namespaces (nginx dies, then a link fails); installs only ip, curl and nginx if missing.
demo: build
	@bash scripts/demo.sh

## fuzz: every fuzz target for FUZZTIME each (go test runs one -fuzz target per package at a time).
FUZZTIME ?= 60s
FUZZ_TARGETS = \
	FuzzParse:./internal/config/syntax/ \
	FuzzLoad:./internal/config/ \
	FuzzParseAdvert:./internal/vrrp/packet/ \
	FuzzDecodeRequest:./internal/ctl/ \
	FuzzCheckReply:./internal/check/httpget/ \
	FuzzCheckReply:./internal/check/dnscheck/ \
	FuzzCheckReply:./internal/check/smtpcheck/ \
	FuzzCheckReply:./internal/check/udpcheck/

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $${t%%:*} $${t#*:} ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz="^$${t%%:*}\$$" -fuzztime=$(FUZZTIME) "$${t#*:}"; \
	done

## chaos: the long chaos run: CHAOS_STEPS faults in each of the two clusters (make test runs 100 each);
## CHAOS_SEED=N replays a seed (test/chaos/doc.go).
CHAOS_STEPS ?= 1000
chaos:
	CHAOS_STEPS=$(CHAOS_STEPS) $(GO) test -count=1 -timeout 90m -v -run '^TestChaos$$' ./test/chaos/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/vrrp/...

# BFD detection time and false Downs against FRR, gokeepalived and keepalived
# (root, FRR, keepalived, tcpdump; about 10 minutes; writes docs/benchmarks.md).
bench-bfd:
	bench/bfd/run.sh

## bench-bgp: failure → route withdrawn at FRR and BIRD step by step (BFD, BGP, kernel route), BFD 50 ms x 3 vs hold time 3 s (root; about 3 minutes).
bench-bgp:
	GOKEEPALIVED_BGP_BENCH=1 $(GO) test -count=1 -v -run '^TestBGPWithdrawBench$$' ./test/e2e/

clean:
	rm -rf $(BIN)
