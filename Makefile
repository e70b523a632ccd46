# Quick start: `make run` serves http://127.0.0.1:8000 on the embedded defaults;
# `make test` runs the whole suite on PostgreSQL + Redis and on the embedded defaults.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install migrate

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

run: migrate
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/daphne -b 127.0.0.1 -p 8000 scoreboard_project.asgi:application

test: $(STAMP)
	bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check .

# End-to-end benchmark on PostgreSQL + Redis (own database scoreboard_bench, Redis DB 14):
# fan-out to 1,000 sockets over two daphne processes, completion throughput, reads.
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python bench/run.py

# Named leaderboards at scale: 1,000 boards, 1,000,000 records in one board (own database
# scoreboard_bench_boards, Redis DB 13; both wiped); in-process server times.
.PHONY: bench-boards
bench-boards: $(STAMP)
	$(BIN)/python bench/phase_boards.py
