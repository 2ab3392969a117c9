# Two commands on a fresh machine:  `make run`  and  `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

# Test runs write the project's bytecode (and pytest its rewritten test modules) even where PYTHONDONTWRITEBYTECODE
# is set, so the test workers and the processes the tests start compile each module once, not once per process.
PYTEST := PYTHONDONTWRITEBYTECODE= $(PY) -m pytest
# Everything but the end-to-end tier, on four processes: many of its tests wait (sign-in windows, event streams, timed
# renders), and with its files shuffled among the busy ones (tests/conftest.py) four keep the 2 cores busier than
# three. Its files are not even imported, nor the fuzzer's plugins (schemathesis, hypothesis), which only tests/e2e uses.
FAST_TIER := -m "not e2e" --ignore=tests/e2e -p no:schemathesis -p no:hypothesispytest -n 4

.PHONY: install install-dev run test test-fast check lint bench clean test-api bench-api system-deps

# Installs go through uv: the same pins as pip, in seconds instead of a minute. INSTALLER=pip forces pip, which is
# also the fallback (with a notice) when uv itself cannot be installed.
INSTALLER ?= uv
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv

# $(call install_with,<requirements arguments>)
# uv compiles the bytecode at install (pip does by default): where PYTHONDONTWRITEBYTECODE is set, as on the team's
# machines, nothing else ever writes it, and every process (each test worker, app server, database) would compile
# Streamlit, pydantic and the rest from source again, about a second of CPU each.
define install_with
	@if [ "$(INSTALLER)" = uv ] && { [ -x $(UV) ] || $(PIP) install uv==$(UV_VERSION); }; then \
		$(UV) pip install -q --compile-bytecode --python $(PY) $(1); \
	else \
		echo "Installing with pip ($(if $(filter pip,$(INSTALLER)),INSTALLER=pip,uv could not be installed)): about a minute."; \
		$(PIP) install $(1); \
	fi
endef

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(call install_with,-r requirements.txt)
	$(call install_with,--no-deps -e .)
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(call install_with,-r requirements-dev.txt)
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev system-deps

## Debian packages some tests use: redis-server (shared rate limits). Without root or apt, those tests skip.
system-deps:
	@command -v redis-server >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null) \
		|| echo "redis-server could not be installed: tests/e2e/test_api_rate_limits_redis.py will be skipped"

## Install everything and start the app (UI at http://localhost:8501, API at /api) on embedded defaults.
run: install
	FORWARDED_ALLOW_IPS="$${FORWARDED_ALLOW_IPS-}" $(VENV)/bin/streamlit run app.py $${SERVER_ADDRESS:+--server.address $$SERVER_ADDRESS}

## Install what the tests need (Python packages, Chromium, Redis) and run the whole suite in one session on four
## processes (pytest-xdist). tests/conftest.py orders the end-to-end tier (browsers, kill -9 loops, several servers,
## fuzzing) first, its longest files first, and --maxschedchunk=2 hands tests out two at a time, so the long tests
## start at once and the short ones fill both cores around them: one session keeps the cores about 96% busy, where
## the two tiers run one after the other left the end-to-end tier's waits idle (6:14–6:38 against about 7:45).
test: install-dev chromium redis-server
	$(PYTEST) -n 4 --maxschedchunk=2

## The inner loop: everything but the end-to-end tier (marker e2e), on four processes (pytest-xdist).
test-fast: install-dev
	$(PYTEST) $(FAST_TIER)

## Lint, format and types, as CI gates them (and the pre-commit hooks run): ruff check, ruff format --check, and
## mypy over services, api, ui and app_pages (pyproject.toml, [tool.mypy]).
check: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

lint: check

## Run every benchmark in order (about 17 minutes, 10 of them the soak; SOAK_SECONDS=60 for a quick look,
## SOAK_SECONDS=1800 for the full 30-minute soak), print each one's time, and write bench/RESULTS.md and
## docs/CAPACITY.md. README, Benchmarks, explains the figures.
bench: install-dev chromium redis-server
	$(PY) bench/run_all.py

.PHONY: smoke smoke-list rotate-provider-keys doctor

## Is every configured model served today? Read-only provider calls (nothing paid); says which keys are missing.
doctor: install
	$(PY) scripts/doctor.py

## One real call per provider and role (refinement on Poe, a frame per frame model, the cheapest video per video
## provider) with the keys present; skipped without keys. `make smoke ARGS=--list` (or `make smoke-list`) spends nothing.
smoke: install
	$(PY) scripts/smoke.py $(ARGS)

smoke-list: install
	$(PY) scripts/smoke.py --list

## Re-encrypt users' provider keys under the newest PROVIDER_KEY_MASTER_KEYS entry (safe to rerun).
rotate-provider-keys: install
	$(PY) scripts/rotate_provider_keys.py

## The REST API's tests (tests/api and tests/e2e/test_api_*), and its loopback load benchmark.
test-api: install-dev
	$(PYTEST) -q tests/api tests/e2e/test_api_*.py

bench-api: install-dev
	$(PY) bench/api_load.py

clean:
	rm -rf $(VENV) .pytest_cache

## The browser the end-to-end UI test drives, and the Redis the scale-out tests start on loopback:
## Debian's chromium and redis-server (installed when missing; needs root/apt).
.PHONY: chromium redis-server
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
redis-server:
	@command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server)


## A scale-out job worker (JOB_BACKEND=redis, REDIS_URL and MONGODB_URI as for the app); run one per process.
.PHONY: worker
worker: install
	$(PY) scripts/worker.py

## Media housekeeping (README, Generation jobs and scaling out): copy DATA_DIR/media into GridFS (idempotent,
## resumable; ARGS=--remove-files deletes verified local copies), and sweep media of deleted workflows.
.PHONY: migrate-media sweep-media
migrate-media: install
	$(PY) scripts/migrate_media.py $(ARGS)
sweep-media: install
	$(PY) scripts/sweep_media.py $(ARGS)

## UI timings: server-side render of each wizard step (AppTest) and first paint in Chromium.
.PHONY: bench-ui
bench-ui: install-dev
	$(PY) bench/ui_render.py

## The admin role (admins see everyone's figures on the Analytics page): make grant-admin ADMIN=maya
.PHONY: grant-admin revoke-admin
grant-admin: install
	$(PY) scripts/admins.py grant $(ADMIN)
revoke-admin: install
	$(PY) scripts/admins.py revoke $(ADMIN)

## The bundled examples in an account, for a demo (offline, free, no quota): make demo USER=maya
.PHONY: demo
demo: install
	$(PY) scripts/demo.py $(USER)
