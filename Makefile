# Targets mirror .ci/run so that a green `make ci` predicts a green CI.
GO ?= go

.PHONY: run test vet fmt ci bench

run:
	$(GO) run ./cmd/labelguard serve

test:
	$(GO) test ./...

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

ci:
	bash .ci/run

# bench regenerates the Go benchmark part of docs/performance.md: every
# stage on the focused and the heavy request, the decode-only floor in the
# same run, into docs/bench/current.txt, summarized by benchstat when it is
# installed (go install golang.org/x/perf/cmd/benchstat@latest). The load
# tests need running servers: see loadgen/loadtest.sh.
BENCHSTAT ?= $(shell command -v benchstat || echo $(HOME)/go/bin/benchstat)

bench:
	mkdir -p docs/bench
	$(GO) test -run '^$$' -bench 'Perf' -benchmem -count 5 -benchtime 400ms ./pipeline ./engine | tee docs/bench/current.txt
	if [ -x "$(BENCHSTAT)" ]; then $(BENCHSTAT) docs/bench/current.txt; fi
