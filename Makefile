# tcpviz — the two set-up commands are `make run` and `make test`.
GO      ?= go
BIN     := bin/tcpviz
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
export CGO_ENABLED ?= 0

.PHONY: run build test bench fuzz lint clean

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/tcpviz

# Builds, then opens the TUI on the default simulated session.
run: build
	./$(BIN)

# vet, then every test under the race detector (the race detector needs cgo).
test:
	$(GO) vet ./...
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 30m ./...

# Every benchmark, then the README's capture table: 1,000,000 packets of
# 100,000 connections through tcpviz and through tshark, in the same run.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	GO=$(GO) capture/bench/compare.sh

# Short runs of every fuzz target.
FUZZTIME ?= 15s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# staticcheck pinned: go run fetches it from the module proxy on first use.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build ./...
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf bin
