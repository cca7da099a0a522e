# The two commands of the README: `make run` and `make test`. Everything else serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1
export UV_LINK_MODE := copy

.PHONY: run test setup serve migrate demo lint test-sqlite test-postgres browser-deps openapi clean

# A virtual environment with uv inside it, then the locked dependencies.
$(BIN)/yiwang: pyproject.toml uv.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv sync --frozen --python $(BIN)/python
	@touch $@

setup: $(BIN)/yiwang

migrate: setup
	$(BIN)/yiwang migrate --noinput -v0

demo: migrate
	$(BIN)/yiwang load_demo
	$(BIN)/yiwang registries generate --persons 500 --organizations 100
	$(BIN)/yiwang identity demo
	$(BIN)/yiwang licenses demo

run: demo
	@$(BIN)/yiwang collectstatic --noinput -v0
	@echo ""
	@echo "  一网 Yiwang (embedded profile: SQLite in var/, in-process event worker)"
	@echo "  门户 portal:       http://$(HOST):$(PORT)/"
	@echo "  工作台 workbench:  http://$(HOST):$(PORT)/workbench/   (staff admin, security, auditor, window, changsha, approver, furong-mz, furong-scj, supervisor; password yiwang-demo-2026;"
	@echo "                     动态口令 TOTP secret YIWANGDEMOTOTPKEYFORSTAFFONLY234, or the current code: .venv/bin/yiwang identity totp)"
	@echo "  个人用户 citizens: http://$(HOST):$(PORT)/login/   (张丽华 / 李建国, ID numbers printed above, password yiwang-demo-2026)"
	@echo "  后台 back office:  http://$(HOST):$(PORT)/admin/   (after the workbench login)"
	@echo "  单点登录 OIDC:     http://$(HOST):$(PORT)/.well-known/openid-configuration"
	@echo "  API docs:          http://$(HOST):$(PORT)/api/docs   (OpenAPI: /api/openapi.json)"
	@echo ""
	$(BIN)/yiwang runserver $(HOST):$(PORT)

# Chromium for the browser tests comes from Debian; a CJK font so screenshots are legible.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

lint: setup
	$(BIN)/ruff check src
	$(BIN)/ruff format --check src
	$(BIN)/lint-imports
	env -u DATABASE_URL $(BIN)/yiwang makemigrations --check --dry-run -v0

test-sqlite: setup browser-deps
	env -u DATABASE_URL $(BIN)/pytest -q

test-postgres: setup browser-deps
	@if [ -n "$$DATABASE_URL" ]; then $(BIN)/pytest -q; else echo "DATABASE_URL unset: PostgreSQL run skipped"; fi

test: lint test-sqlite test-postgres

openapi: setup
	env -u DATABASE_URL $(BIN)/yiwang export_openapi > docs/openapi.json.tmp && mv docs/openapi.json.tmp docs/openapi.json

clean:
	rm -rf $(VENV) var
