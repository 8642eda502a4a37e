# dfq build, demo and tests. Everything needed is fetched by the go command
# (modules from the Go module proxy); nothing is installed by hand.
SHELL := /bin/bash
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN := bin/dfq

.PHONY: all build demo test vet fmt-check bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/dfq

demo: build
	./$(BIN) demo --dir data/demo

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

test: fmt-check vet
	$(GO) test -race -count=1 -timeout 20m ./...

clean:
	rm -rf bin data
