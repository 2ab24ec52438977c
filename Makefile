# transcoder: the front door. `make help` lists every target.
SHELL := /bin/bash
GO ?= go
STACK ?= dev
DATA_DIR ?= ./data
TOOLS := $(CURDIR)/.tools
export PATH := $(TOOLS)/node_modules/.bin:$(PATH)

.DEFAULT_GOAL := help
.PHONY: help dev test bench build build-lambda fuzz ci-deps dynalite ffmpeg chromium

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
	@test -x bin/server || echo "building bin/server (the first build fetches modules and compiles them: a few minutes)..."
	$(GO) build -o bin/server ./app/cmd/server

# The Lambda build leaves out what never runs there: the local S3, SNS and
# ffmpeg engine, SQLite, the redrive command (transcoder_lambda), the Lambda
# RPC mode (lambda.norpc) and gin's MessagePack codec (nomsgpack).
LAMBDA_TAGS := lambda.norpc,transcoder_lambda,nomsgpack

build-lambda: ## Build dist/lambda.zip: a linux/arm64 bootstrap for provided.al2023
	@mkdir -p dist/lambda
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -tags $(LAMBDA_TAGS) -ldflags='-s -w' -o dist/lambda/bootstrap ./app/cmd/server
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
	$(GO) test -run '^$$' -fuzz '^FuzzVerifyKeyAgreesWithCryptoRSA$$' -fuzztime $(FUZZTIME) ./app/sns/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./app/events/
	$(GO) test -run '^$$' -fuzz '^FuzzFastReader$$' -fuzztime $(FUZZTIME) ./app/events/

bench: build build-lambda dynalite ffmpeg ## Load-test the real server on loopback, time the Lambda cold start, then the micro-benchmarks
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(LAMBDA_TAGS) -ldflags='-s -w' -o bin/bootstrap ./app/cmd/server
	$(GO) run ./app/internal/cmd/loadtest -server bin/server -coldstart-bootstrap bin/bootstrap
	$(GO) test -run '^$$' -bench . -benchmem ./app/sns/ ./app/events/ ./app/sqlite/

ci-deps: ffmpeg chromium dynalite ## Install what the tests need: dynalite and fauxqs (npm, into .tools/), ffmpeg and chromium (Debian)
	@mkdir -p $(TOOLS)
	@test -f $(TOOLS)/node_modules/fauxqs/dist/app.js || npm install --prefix $(TOOLS) --no-audit --no-fund fauxqs@1.9.2

dynalite: ## Install dynalite (the DynamoDB-API server the tests and the cold-start bench use) into .tools/
	@mkdir -p $(TOOLS)
	@test -x $(TOOLS)/node_modules/.bin/dynalite || npm install --prefix $(TOOLS) --no-audit --no-fund dynalite@4

ffmpeg: ## Make sure ffmpeg and ffprobe are installed (the local engine runs them)
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { $(call apt-install,ffmpeg); }

chromium: ## Make sure Chromium is installed (the browser test drives it)
	@command -v chromium >/dev/null || { $(call apt-install,chromium); }

# redrive hands the dead letters of stack STACK to the service as its
# function runs it: the stack's outputs name the queue (and so the region),
# the table, the topic and the engine.
.PHONY: redrive
redrive: build ## Apply and delete what stack STACK's dead-letter queue holds, as the endpoint would (DRY_RUN=1: only list it)
	@outputs="$$($(PULUMI) stack output --shell --stack $(STACK))" || exit 1; eval "$$outputs"; \
	test -n "$$deadLetterQueueUrl" || { echo "stack $(STACK) has no output deadLetterQueueUrl: deploy it first (make up STACK=$(STACK))" >&2; exit 1; }; \
	case "$$engine" in \
		mediaconvert) set -- MEDIACONVERT_ROLE_ARN="$$roleArn" MEDIACONVERT_QUEUE_ARN="$$queueArn";; \
		elastictranscoder) set -- ELASTICTRANSCODER_PIPELINE_ID="$$pipelineId";; \
		*) echo "stack $(STACK) has engine '$$engine': expected mediaconvert or elastictranscoder" >&2; exit 1;; \
	esac; \
	env AWS_REGION="$$(echo "$$deadLetterQueueUrl" | cut -d. -f2)" \
		STORE=dynamodb DYNAMODB_TABLE="$$tableName" SNS_TOPIC_ARNS="$$topicArn" ENGINE="$$engine" \
		INPUT_BUCKET="$$inputBucket" OUTPUT_BUCKET="$$outputBucket" "$$@" \
		./bin/server redrive $(if $(DRY_RUN),--dry-run) --queue-url "$$deadLetterQueueUrl"

# infra:begin
PULUMI ?= pulumi
# State lives in a local file backend unless PULUMI_BACKEND_URL says otherwise
# (s3://bucket, or https://api.pulumi.com for Pulumi Cloud): no account needed.
PULUMI_BACKEND_URL ?= file://$(CURDIR)/infra/.pulumi-state
export PULUMI_BACKEND_URL
# A new stack's secrets provider, e.g. awskms://alias/transcoder-pulumi?region=eu-west-1;
# empty: a passphrase (PULUMI_CONFIG_PASSPHRASE) with a file or S3 backend.
PULUMI_SECRETS_PROVIDER ?=
# Extra flags for pulumi, e.g. PULUMI_FLAGS=--yes for a non-interactive up.
PULUMI_FLAGS ?=
# Pulumi reads and writes each stack's own config file (salt, secrets,
# settings) where Pulumi.yaml's stackConfigDir points: untracked, and private
# to this checkout. A committed Pulumi.$(STACK).yaml at the root, if there is
# one, holds the stack's shared settings and nothing secret.
STACK_CONFIG_DIR := $(CURDIR)/$(shell sed -n 's/^stackConfigDir: *//p' Pulumi.yaml)
STACK_CONFIG = $(STACK_CONFIG_DIR)/Pulumi.$(STACK).yaml
STACK_TEMPLATE = $(wildcard $(CURDIR)/Pulumi.$(STACK).yaml)
.PHONY: stack preview up destroy

# ensure-secret KEY stores a random secret under KEY unless the stack has one;
# any failure but "not found" (a wrong passphrase, say) stops, so that a
# secret is never replaced by accident.
define ensure-secret
out="$$($(PULUMI) config get --stack $(STACK) $(1) 2>&1 >/dev/null)" || case "$$out" in \
		*"not found"*) $(PULUMI) config set --stack $(STACK) --secret $(1) "$$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" && \
			echo "$(STACK): stored a new random $(1)";; \
		*) echo "$$out" >&2; echo "$(STACK): cannot read $(1) (see above); fix that rather than generate a new one" >&2; exit 1;; \
	esac
endef

stack: ## Select (or create) stack STACK (default dev): restore its config from its last deployment if missing, copy in the committed Pulumi.<stack>.yaml, add the secrets it lacks
	@test "$(STACK_CONFIG_DIR)" != "$(CURDIR)/" || { echo "Pulumi.yaml has no stackConfigDir: Pulumi would write the stack's salt and secrets next to it, into a tracked file" >&2; exit 1; }
	@case "$(PULUMI_BACKEND_URL)" in file://*) mkdir -p "$(patsubst file://%,%,$(PULUMI_BACKEND_URL))";; esac
	@mkdir -p -m 700 "$(STACK_CONFIG_DIR)"
	@fresh=; test -f "$(STACK_CONFIG)" || fresh=1; \
	: "another run may create the stack at the same time: then select it"; \
	$(PULUMI) stack select --create $(if $(PULUMI_SECRETS_PROVIDER),--secrets-provider "$(PULUMI_SECRETS_PROVIDER)") $(STACK) || \
		$(PULUMI) stack select $(STACK) || exit 1; \
	if [ -n "$$fresh" ]; then \
		if out="$$($(PULUMI) config refresh --force --stack $(STACK) 2>&1)"; then \
			echo "$(STACK): config restored from its last deployment"; \
		else case "$$out" in \
			*"no previous deployment"*) echo "$(STACK): not deployed yet, so a new config";; \
			*) echo "$$out" >&2; echo "$(STACK): cannot restore its config from the backend (see above)" >&2; exit 1;; \
		esac; fi; \
	fi
	@$(if $(STACK_TEMPLATE),$(GO) run ./infra/ci/stackconfig -template "$(STACK_TEMPLATE)" -config "$(STACK_CONFIG)",true)
	@$(call ensure-secret,transcoder:apiToken)
	@$(call ensure-secret,transcoder:sessionSecret)

preview: build-lambda stack ## Show exactly what `make up` would change on stack STACK (default dev)
	$(PULUMI) preview --stack $(STACK) --diff $(PULUMI_FLAGS)

up: build-lambda stack ## Build the Lambda artifact, then deploy stack STACK (default dev)
	$(PULUMI) up --stack $(STACK) $(PULUMI_FLAGS)

destroy: stack ## Tear down every resource of stack STACK (default dev)
	$(PULUMI) destroy --stack $(STACK) $(PULUMI_FLAGS)
# infra:end
