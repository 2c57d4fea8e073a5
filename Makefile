# Emporium developer commands. `make run` and `make test` work from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP := $(VENV)/.installed-dev

.DEFAULT_GOAL := help
.PHONY: help install lock lock-upgrade lock-check audit run worker beat test lint fmt typecheck migrate schema-check \
	deploy-check check clean

help: ## List the commands
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

# Wheels only, exactly the locked files, no resolver: what is installed cannot depend on what
# has been released since the lock was made (docs/decisions/0004-reproducible-install.md).
PIP_INSTALL := $(BIN)/python -m pip install --quiet --require-hashes --no-deps --only-binary :all:

$(STAMP): requirements/pip.txt requirements/dev.txt
	@$(PYTHON) scripts/check_python.py
	$(PYTHON) -m venv --clear $(VENV)
	$(PIP_INSTALL) -r requirements/pip.txt
	$(PIP_INSTALL) -r requirements/dev.txt
	$(BIN)/python -m pip check
	@touch $@

install: $(STAMP) ## Create .venv and install the locked dependencies (again, from scratch, when a lock changes)

lock: install ## Compile requirements/*.txt from pyproject.toml, keeping every pin that still fits
	$(BIN)/python scripts/lock.py --uv $(BIN)/uv

lock-upgrade: install ## Move the resolution date to now and take the newest releases
	$(BIN)/python scripts/lock.py --uv $(BIN)/uv --upgrade

lock-check: install ## Fail if `make lock` would change a lock (needs the package index)
	$(BIN)/python scripts/lock.py --uv $(BIN)/uv --check

audit: install ## Supply chain: bandit and the secret scan (gating), pip-audit of the locks
	$(BIN)/bandit --quiet --recursive apps config --severity-level medium
	$(BIN)/python scripts/scan_secrets.py
	$(BIN)/python scripts/audit_dependencies.py --pip-audit $(BIN)/pip-audit \
		requirements/production.txt requirements/dev.txt

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
	@echo "  The shop's own error pages are on; DEBUG=true make run shows Django's technical ones."
	@echo ""
	DEBUG=$${DEBUG:-false} $(MANAGE) runserver 127.0.0.1:8000

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

check: lint typecheck audit schema-check deploy-check test ## Everything CI checks (but the drills)

clean: ## Remove the virtualenv, caches and the local database
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov db.sqlite3 db.sqlite3-*

.PHONY: screenshots
screenshots: install ## Pictures of home, category (mobile), product, cart, checkout with errors and an admin order into screenshots/
	SCREENSHOTS_DIR=$(CURDIR)/screenshots $(BIN)/pytest -p no:cacheprovider -q tests/browser/test_screenshots.py
	@echo "Screenshots in screenshots/"

.PHONY: bench bench-smoke
bench: install ## HTTP load benchmark at 10k and 100k products; rewrites the goals table of docs/performance.md
	$(BIN)/python bench/suite.py $(BENCH_ARGS)

.PHONY: bench-one
bench-one: install ## One load benchmark run, e.g. BENCH_ARGS="--products 100000 --servers all"
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
