# transcoder: the front door. `make help` lists every target.
SHELL := /bin/bash
GO ?= go
STACK ?= dev
DATA_DIR ?= ./data
TOOLS := $(CURDIR)/.tools
export PATH := $(TOOLS)/node_modules/.bin:$(PATH)

.DEFAULT_GOAL := help
.PHONY: help dev test bench build build-lambda fuzz ci-deps ffmpeg chromium

# apt-install NAME... installs Debian packages when run as root, and otherwise
# says exactly what to run.
define apt-install
if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(1) with apt-get..."; \
		(apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(1); \
	else \
		echo "$(1) is missing: run  sudo apt-get install $(1)" >&2; exit 1; \
	fi
endef

help: ## List every target
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

dev: ffmpeg build ## Run the whole pipeline locally (SQLite, local S3 and SNS, ffmpeg); Ctrl-C stops it
	DATA_DIR=$(DATA_DIR) ./bin/server

build: ## Build the server binary into bin/
	$(GO) build -o bin/server ./app/cmd/server

build-lambda: ## Build dist/lambda.zip: a linux/arm64 bootstrap for provided.al2023
	@mkdir -p dist/lambda
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -tags lambda.norpc -ldflags='-s -w' -o dist/lambda/bootstrap ./app/cmd/server
	$(GO) run ./app/internal/cmd/lambdazip dist/lambda.zip dist/lambda/bootstrap
	@echo "dist/lambda.zip is ready"

test: ci-deps ## Run every test (race detector on; dynalite, ffmpeg and chromium installed first)
	$(GO) vet ./app/... ./infra/...
	$(GO) test -race -count=1 ./app/...
	$(GO) test -count=1 ./infra/...

FUZZTIME ?= 10s
fuzz: ## Run each fuzz target briefly (FUZZTIME each, default 10s)
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./app/sns/
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./app/sns/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./app/events/

bench: build ## Load-test the real server on loopback, then the micro-benchmarks
	$(GO) run ./app/internal/cmd/loadtest -server bin/server
	$(GO) test -run '^$$' -bench . -benchmem ./app/sns/ ./app/events/ ./app/sqlite/

ci-deps: ffmpeg chromium ## Install what the tests need: dynalite (npm, into .tools/), ffmpeg and chromium (Debian)
	@mkdir -p $(TOOLS)
	@test -x $(TOOLS)/node_modules/.bin/dynalite || npm install --prefix $(TOOLS) --no-audit --no-fund dynalite@4

ffmpeg: ## Make sure ffmpeg and ffprobe are installed (the local engine runs them)
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { $(call apt-install,ffmpeg); }

chromium: ## Make sure Chromium is installed (the browser test drives it)
	@command -v chromium >/dev/null || { $(call apt-install,chromium); }

# infra:begin
PULUMI ?= pulumi
# State lives in a local file backend unless PULUMI_BACKEND_URL says otherwise
# (s3://bucket, or https://api.pulumi.com for Pulumi Cloud): no account needed.
PULUMI_BACKEND_URL ?= file://$(CURDIR)/infra/.pulumi-state
export PULUMI_BACKEND_URL
# Extra flags for pulumi, e.g. PULUMI_FLAGS=--yes for a non-interactive up.
PULUMI_FLAGS ?=
.PHONY: stack preview up destroy

stack: ## Select (or create) stack STACK (default dev); give it a random secret API token and session secret if it has none
	@case "$(PULUMI_BACKEND_URL)" in file://*) mkdir -p "$(patsubst file://%,%,$(PULUMI_BACKEND_URL))";; esac
	@$(PULUMI) stack select --create $(STACK)
	@$(PULUMI) config get --stack $(STACK) transcoder:apiToken >/dev/null 2>&1 || \
		$(PULUMI) config set --stack $(STACK) --secret transcoder:apiToken "$$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
	@$(PULUMI) config get --stack $(STACK) transcoder:sessionSecret >/dev/null 2>&1 || \
		$(PULUMI) config set --stack $(STACK) --secret transcoder:sessionSecret "$$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"

preview: build-lambda stack ## Show exactly what `make up` would change on stack STACK (default dev)
	$(PULUMI) preview --stack $(STACK) --diff $(PULUMI_FLAGS)

up: build-lambda stack ## Build the Lambda artifact, then deploy stack STACK (default dev)
	$(PULUMI) up --stack $(STACK) $(PULUMI_FLAGS)

destroy: ## Tear down every resource of stack STACK (default dev)
	$(PULUMI) destroy --stack $(STACK) $(PULUMI_FLAGS)
# infra:end
