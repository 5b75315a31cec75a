GO ?= go
BIN := bin

# make test: the whole suite, then a -race pass over the packages where
# concurrency lives. Both together stay well under 10 minutes on 2 cores.
TEST_TIMEOUT ?= 8m
RACE_PKGS ?= ./cache/ ./storage/ ./server/ ./engine/ ./commands/
RACE_TIMEOUT ?= 6m
# make fuzz: every Fuzz target, each for FUZZTIME.
FUZZTIME ?= 10s
# make bench: flags for cmd/shale-bench (e.g. BENCH_ARGS="-runs 5 -n 200000").
BENCH_ARGS ?=
# make bench-rdb: the RDB file timed (built with redis-server if absent)
# and its size in keys.
RDB ?= /tmp/shale-bench-10m.rdb
RDB_KEYS ?= 10000000

.PHONY: build server run test test-race bench bench-rdb fuzz conformance vet clean

# Every command in cmd/ into bin/.
build:
	$(GO) build -o $(BIN)/ ./cmd/...

server:
	$(GO) build -o $(BIN)/shale-server ./cmd/shale-server

# Starts Shale like redis-server: 127.0.0.1:6379, data in ./data.
run: server
	$(BIN)/shale-server --bind 127.0.0.1 --port 6379 --dir ./data

test:
	$(GO) test -timeout $(TEST_TIMEOUT) ./...
	$(MAKE) test-race

# -short keeps the randomized tests' iteration counts down under -race.
test-race:
	$(GO) test -race -short -timeout $(RACE_TIMEOUT) $(RACE_PKGS)

# Shale against a real redis-server with redis-benchmark (a report, not a
# test: it always exits 0 once it has run).
bench: build
	$(BIN)/shale-bench -shale $(BIN)/shale-server $(BENCH_ARGS)

# shale-rdb import against redis-server loading the same RDB (3 runs each,
# medians, peak RSS). The default file is about 1 GB, 10M mixed keys.
bench-rdb: build
	@test -f $(RDB) || $(BIN)/shale-bench -make-rdb $(RDB) -rdb-keys $(RDB_KEYS)
	$(BIN)/shale-bench -rdb $(RDB) $(BENCH_ARGS)

# Short bounded runs of every fuzz target (go test runs one -fuzz target
# per invocation). A failure leaves its input in the package's
# testdata/fuzz/ for `go test` to replay.
fuzz:
	@set -e; \
	for f in $$(grep -l '^func Fuzz' $$(find . -name '*_test.go' -not -path './data/*')); do \
		pkg=$$(dirname $$f); \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== $$pkg $$t ($(FUZZTIME))"; \
			$(GO) test $$pkg -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME); \
		done; \
	done

# Shale against a real redis-server: recorded cases, diff and a seeded fuzz.
conformance: build
	$(GO) run ./cmd/shale-conformance ci --shale-server $(BIN)/shale-server

vet:
	$(GO) vet ./...

clean:
	rm -rf $(BIN)
