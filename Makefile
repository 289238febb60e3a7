# prodbench: see README.md. Every target works on a fresh clone with Go
# installed; tools are installed into $(GOBIN) on first use.

GO        ?= go
GOBIN     ?= $(shell $(GO) env GOPATH)/bin
BIN       := bin/prodbench
SCENARIO  ?= scenarios/quickstart.yaml
STATICCHECK_VERSION := 2026.2.2

.PHONY: all build run test test-short bench lint fmt vet clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/prodbench

# The main job: the quickstart scenario on the embedded broker.
run: build
	./$(BIN) run $(SCENARIO)

# The test command CI runs (.ci/run). Race detector on; about 2 minutes on
# 2 cores.
test:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) test -race -count=1 -timeout 8m ./...

test-short:
	$(GO) test -count=1 -short ./...

# Go microbenchmarks of the hot path, with allocations.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./...

lint: vet
	@test -x $(GOBIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(GOBIN)/staticcheck ./...

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
