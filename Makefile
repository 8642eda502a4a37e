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

# test: every package under the race detector, then the large differential
# tests (h2o questions at 1e6 rows against naive references), which are built
# only without -race because the detector makes them take many minutes.
test: fmt-check vet
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -count=1 -timeout 10m -run 'H2O' ./engine/

# bench: the h2o suite on every executor at 1 and 2 workers, over 1e7 rows
# generated once into data/. Writes bench/results.json (every measurement and
# the machine), bench/speedup.svg and bench/results.txt (the table).
BENCH_ROWS ?= 1e7
BENCH_DATA := data/G1_$(BENCH_ROWS)_1e2_0_0.parquet

bench:
	@# -buildvcs: record the commit in the binary (bench/results.json shows it).
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/dfq || $(GO) build -o $(BIN) ./cmd/dfq
	@mkdir -p bench data
	@test -f $(BENCH_DATA) || ./$(BIN) gen h2o --rows $(BENCH_ROWS) --k 100 --seed 1 --format parquet -o data
	set -o pipefail; ./$(BIN) bench --suite h2o --data $(BENCH_DATA) --workers 1,2 --runs 5 \
		--json bench/results.json --plot bench/speedup.svg | tee bench/results.txt

clean:
	rm -rf bin data
