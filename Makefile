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

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./fhir ./engine ./api
