# transcoder: the front door. `make help` lists every target.
SHELL := /bin/bash
GO ?= go
STACK ?= dev
DATA_DIR ?= ./data
TOOLS := $(CURDIR)/.tools
export PATH := $(TOOLS)/node_modules/.bin:$(PATH)

.DEFAULT_GOAL := help
.PHONY: help dev test bench build build-lambda fuzz vet ci-deps

help: ## List every target
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

dev: ## Run the service locally on the embedded SQLite store
	$(GO) run ./app/cmd/server

build: ## Build the server binary into bin/
	$(GO) build -o bin/server ./app/cmd/server

build-lambda: ## Build dist/lambda.zip: a linux/arm64 bootstrap for provided.al2023
	@mkdir -p dist/lambda
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -tags lambda.norpc -ldflags='-s -w' -o dist/lambda/bootstrap ./app/cmd/server
	$(GO) run ./app/internal/cmd/lambdazip dist/lambda.zip dist/lambda/bootstrap
	@echo "dist/lambda.zip is ready"

test: ## Run every test (race detector on, dynalite started by the tests)
	$(GO) vet ./app/... ./infra/...
	$(GO) test -race -count=1 ./app/...
	$(GO) test -count=1 ./infra/...

fuzz: ## Run each fuzz target briefly
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 10s ./app/sns/
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime 10s ./app/sns/

bench: ## Load-test the real server on loopback and print the figures
	$(GO) test -run '^$$' -bench . -benchtime 1x ./app/bench/

ci-deps: ## Install what the tests need (dynalite into .tools/)
	@mkdir -p $(TOOLS)
	@test -x $(TOOLS)/node_modules/.bin/dynalite || npm install --prefix $(TOOLS) --no-audit --no-fund dynalite@4

# infra:begin
PULUMI ?= pulumi
# State lives in a local file backend unless PULUMI_BACKEND_URL says otherwise
# (s3://bucket, or https://api.pulumi.com for Pulumi Cloud): no account needed.
PULUMI_BACKEND_URL ?= file://$(CURDIR)/infra/.pulumi-state
export PULUMI_BACKEND_URL
# Extra flags for pulumi, e.g. PULUMI_FLAGS=--yes for a non-interactive up.
PULUMI_FLAGS ?=
.PHONY: stack preview up destroy

stack: ## Select (or create) stack STACK (default dev); give it a random secret API token if it has none
	@case "$(PULUMI_BACKEND_URL)" in file://*) mkdir -p "$(patsubst file://%,%,$(PULUMI_BACKEND_URL))";; esac
	@$(PULUMI) stack select --create $(STACK)
	@$(PULUMI) config get --stack $(STACK) transcoder:apiToken >/dev/null 2>&1 || \
		$(PULUMI) config set --stack $(STACK) --secret transcoder:apiToken "$$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"

preview: build-lambda stack ## Show exactly what `make up` would change on stack STACK (default dev)
	$(PULUMI) preview --stack $(STACK) --diff $(PULUMI_FLAGS)

up: build-lambda stack ## Build the Lambda artifact, then deploy stack STACK (default dev)
	$(PULUMI) up --stack $(STACK) $(PULUMI_FLAGS)

destroy: ## Tear down every resource of stack STACK (default dev)
	$(PULUMI) destroy --stack $(STACK) $(PULUMI_FLAGS)
# infra:end
