# Quick start: `make run` serves http://127.0.0.1:8000 on the embedded defaults;
# `make test` runs `make check`, then the whole suite on PostgreSQL + Redis and on the embedded defaults.
# Inner loop: `make test-fast` (embedded defaults, no end-to-end or fault tests, stops at the first
# failure), `make fmt`, `make check`; `.pre-commit-config.yaml` runs the same before each commit.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint fmt check install migrate

# Installs from the lock (every package pinned with its hashes); `make lock` rewrites it from
# requirements*.txt after a change there.
$(STAMP): requirements.lock requirements-dev.lock requirements.txt requirements-dev.txt
	@$(PYTHON) scripts/check_lock.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $(STAMP)

.PHONY: lock
# Not through $(STAMP): after a change to requirements*.txt the old lock is refused there.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/pip-compile || $(BIN)/pip install --quiet pip-tools==7.6.2
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links -o requirements.lock requirements.txt
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links -o requirements-dev.lock requirements-dev.txt

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

run: migrate
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/daphne -b 127.0.0.1 -p 8000 scoreboard_project.asgi:application

test: $(STAMP) check nginx
	bash scripts/test.sh

# The suite on the embedded defaults (SQLite, in-process layer and cache) without the end-to-end,
# browser and fault tests, stopping at the first failure: about 2 minutes here (docs in README).
test-fast: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -x -q --ignore=tests/e2e -m "not faults and not browser" $(ARGS)

# `ruff format` (configured in pyproject.toml: the line length `ruff check` uses), then the fixes
# `ruff check` can make itself.
fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Throwaway values of every variable production must set (scoreboard_project/secrets.py, tls.py,
# docs/deployment.md): `check --deploy` reads settings and connects to nothing.
DEPLOY_ENV := DEBUG=false HTTPS_ONLY=true ALLOWED_HOSTS=scoreboard.example.com TRUSTED_PROXIES=10.0.0.0/8 \
  DATABASE_URL=postgres://scoreboard@127.0.0.1:5432/not_opened_by_check REDIS_URL=redis://127.0.0.1:6379/15 \
  SECRET_KEY=check-deploy-only-secret-key-0123456789-0123456789-0123456789 \
  JWT_SECRET=check-deploy-only-jwt-secret-0123456789-0123456789 \
  ACTION_TOKEN_SECRETS=check-deploy-only-action-secret-0123456789-0123456789

# Migrations match the models; `check --deploy` is clean (no warning) in the production shape;
# mypy (django-stubs, djangorestframework-stubs; pyproject.toml) passes on the apps. Under a
# minute, so `make test` runs it first.
check: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py makemigrations --check --dry-run
	env -i PATH="$$PATH" HOME="$$HOME" $(DEPLOY_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING
	env -u DATABASE_URL -u REDIS_URL $(BIN)/mypy

lint: $(STAMP) check
	$(BIN)/ruff check .
	$(BIN)/bandit -ll -q -r accounts actions anticheat leaderboard scoreboard_project bench scripts
	BIN=$(BIN) bash scripts/audit.sh

# The production shape (docs/deployment.md): nginx on PORT (default 8080) in front of two
# daphne processes, against DATABASE_URL / REDIS_URL; Ctrl-C stops everything.
.PHONY: serve nginx
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light) || \
	  (echo "nginx is needed: install it (Debian: apt-get install nginx-light)" && false)

serve: $(STAMP) nginx
	$(BIN)/python bench/serve.py

# End-to-end benchmark of that shape (own database scoreboard_bench, Redis DB 14): pgbench
# ceiling, trivial view, reads, fan-out to 1,000 and 10,000 sockets, flows (docs/benchmarks.md).
# bench-quick: every phase small, under a minute; exits 1 when anything is lost or fails.
.PHONY: bench bench-quick
bench: $(STAMP) nginx
	$(BIN)/python bench/run.py

bench-quick: $(STAMP) nginx
	$(BIN)/python bench/run.py --quick

# Anti-cheat efficacy on PostgreSQL + Redis (own database scoreboard_anticheat_bench, Redis DB 13):
# 20 scripted bots, 100 human-like players, 5 mimics through the public API (docs/anticheat.md).
.PHONY: anticheat-bench
anticheat-bench: $(STAMP)
	$(BIN)/python -m bench.anticheat.run $(ARGS)
# Named leaderboards at scale: 1,000 boards, 1,000,000 records in one board (own database
# scoreboard_bench_boards, Redis DB 13; both wiped); in-process server times.
.PHONY: bench-boards
bench-boards: $(STAMP)
	$(BIN)/python bench/phase_boards.py
