GO ?= go
BIN := bin

.PHONY: build run test bench
build:
	$(GO) build -o $(BIN)/shale-server ./cmd/shale-server

run: build
	$(BIN)/shale-server --bind 127.0.0.1 --port 6379 --dir ./data

test:
	$(GO) test ./...
