# Emporium developer commands. `make run` and `make test` work from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP := $(VENV)/.installed-dev

.DEFAULT_GOAL := help
.PHONY: help install run worker beat test lint fmt typecheck migrate schema-check deploy-check check clean

help: ## List the commands
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements/dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Emporium needs Python 3.11 or newer (set PYTHON=python3.x).")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	@touch $@

install: $(STAMP) ## Create .venv and install the locked dependencies

run: install ## Migrate, create demo logins and a demo catalog, serve on http://127.0.0.1:8000 (SQLite, no services)
	$(MANAGE) migrate --noinput
	@echo ""
	@echo "Demo logins (e-mail / password):"
	@$(MANAGE) create_demo_users
	@echo ""
	@$(MANAGE) seed_demo --products 200
	@$(MANAGE) create_demo_checkout
	@SANDBOX_WEBHOOK_URL= EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend LOG_LEVEL=WARNING \
		$(MANAGE) seed_demo_orders
	@echo ""
	@echo "  Storefront  http://127.0.0.1:8000/"
	@echo "  API docs    http://127.0.0.1:8000/api/docs/   (Redoc: /api/redoc/, schema: /api/schema/)"
	@echo "  Back office http://127.0.0.1:8000/$${ADMIN_URL:-admin/}   (sales dashboard: $${ADMIN_URL:-admin/}dashboard/)"
	@echo "  Health      http://127.0.0.1:8000/healthz  /readyz  /version"
	@echo ""
	$(MANAGE) runserver 127.0.0.1:8000

worker: install ## A Celery worker against Redis (REDIS_URL or CELERY_BROKER_URL; set CELERY_TASK_ALWAYS_EAGER=false for the web process)
	$(BIN)/celery --app=config worker --loglevel=INFO

beat: install ## The Celery beat scheduler (run exactly one)
	$(BIN)/celery --app=config beat --loglevel=INFO

test: install ## Run the whole test suite with coverage (real services when DATABASE_URL/REDIS_URL are set)
	$(BIN)/pytest --cov --cov-report=term-missing:skip-covered --cov-fail-under=90 $(PYTEST_ARGS)

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install ## mypy with django-stubs
	$(BIN)/mypy .

migrate: install ## Apply database migrations
	$(MANAGE) migrate --noinput

schema-check: install ## Fail on missing migrations or any OpenAPI schema warning
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) spectacular --validate --fail-on-warn --file /dev/null

deploy-check: install ## `check --deploy` under production settings (placeholder secrets)
	SECRET_KEY=deploy-check-$$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n') \
	DATABASE_URL=postgres://emporium@127.0.0.1:5432/emporium \
	ALLOWED_HOSTS=shop.example.com REDIS_URL=redis://127.0.0.1:6379/0 \
	DJANGO_SETTINGS_MODULE=config.settings.production \
	$(MANAGE) check --deploy --fail-level WARNING

check: lint typecheck schema-check deploy-check test ## Everything CI checks

clean: ## Remove the virtualenv, caches and the local database
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov db.sqlite3 db.sqlite3-*

.PHONY: bench bench-smoke
bench: install ## HTTP load benchmark (gunicorn + wrk, own database), e.g. BENCH_ARGS="--products 100000 --servers all"
	$(BIN)/python bench/load.py $(BENCH_ARGS)

bench-smoke: install ## Every endpoint answers 2xx under a few seconds of load (50 products; drops its database)
	$(BIN)/python bench/load.py --smoke

.PHONY: k8s-check stack-smoke fault-test
k8s-check: install ## Validate the Kubernetes manifests (kustomize + schemas, offline), nginx -t, compose
	./deploy/k8s-check.sh

stack-smoke: install ## nginx + gunicorn + Celery worker and beat on loopback: health, headers, checkout-and-pay, graceful stop (needs DATABASE_URL, REDIS_URL)
	./deploy/stack-smoke.sh

fault-test: install ## Redis stopped and PostgreSQL crashed under load, on their own throwaway instances (as root)
	$(BIN)/python deploy/fault_test.py
