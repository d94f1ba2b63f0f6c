# The two commands of the README: `make run` (embedded default) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := shared services/records services/explanations services/documents services/notifications \
            services/public-portal deploy/embedded
MODULES := bluemap_shared bluemap_records bluemap_explanations bluemap_documents bluemap_notifications \
           bluemap_portal bluemap_embedded
PYTEST_ARGS ?=

.PHONY: run reset install system-packages test test-unit lint typecheck format servers-start servers-stop asyncapi clean

$(VENV)/.installed: requirements-dev.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(addprefix -e ,$(PACKAGES)) -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed ## Create .venv with every package installed editable

system-packages: ## What the PDFs need (CJK fonts, fontconfig, harfbuzz): installed as root, else named
	bash deploy/local/system-packages.sh deploy/local/apt-packages-run.txt

run: system-packages install ## The embedded default: all five services in one process at http://127.0.0.1:8000/
	$(BIN)/python -m bluemap_embedded $(ARGS)

reset: system-packages install ## Start the embedded default from a clean slate (deletes var/embedded)
	$(BIN)/python -m bluemap_embedded --reset $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy $(addprefix -p ,$(MODULES))

test: install lint typecheck servers-start ## Unit, integration and end-to-end tests on real servers
	@# pytest's exit code 5 means it collected no test: a broken collection, never a pass.
	$(BIN)/pytest $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

test-unit: install ## Only the tests that need no server (not schemathesis's minutes, not the chart's tool builds)
	$(BIN)/pytest -m "not integration and not e2e and not fuzz and not deploy" $(PYTEST_ARGS)

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

servers-start: ## PostgreSQL, Kafka, S3 (s3proxy) and Mailpit on loopback, installed on first use
	bash deploy/local/servers.sh start

servers-stop:
	bash deploy/local/servers.sh stop

asyncapi: install ## Regenerate docs/asyncapi.yaml from the event catalog
	$(BIN)/python -m bluemap_shared.events.asyncapi > docs/asyncapi.yaml
