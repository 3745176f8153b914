# Tidbok. `make run` serves the demo on http://127.0.0.1:8080; `make test`
# runs every check CI runs.

GO       ?= go
BIN      := bin/tidbok
DATA_DIR ?= ./var
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS  := -s -w -X main.version=$(VERSION)

# The PostgreSQL half of the store tests runs against this server; set it
# empty (TIDBOK_TEST_POSTGRES_URL= make test) to skip that half locally.
TIDBOK_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export TIDBOK_TEST_POSTGRES_URL

.PHONY: all build run test lint fmt-check vet race bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tidbok

# Build, migrate, load the demo on first start, then serve with demo logins.
run: build
	@mkdir -p $(DATA_DIR)
	TIDBOK_DATA_DIR=$(DATA_DIR) $(BIN) migrate
	@if [ ! -f $(DATA_DIR)/demo-credentials.json ]; then TIDBOK_DATA_DIR=$(DATA_DIR) $(BIN) seed --demo; fi
	@echo "Demo logins: $(DATA_DIR)/demo-credentials.json"
	TIDBOK_DATA_DIR=$(DATA_DIR) TIDBOK_DEV=true $(BIN) serve

test: fmt-check vet race

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

race:
	$(GO) test -race -count=1 -timeout 20m ./...

lint: fmt-check vet
	@if command -v staticcheck >/dev/null; then staticcheck ./...; else echo "staticcheck not installed; ran gofmt and go vet"; fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
