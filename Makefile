# composeconv: make demo, make test.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-installed
DEMO := examples/demo/compose.yaml
# pytest-xdist workers. Many tests wait on container engines rather than on the CPU, so three
# workers beat two on a 2-core machine; worksteal keeps the long engine tests from piling up at
# the end of one worker. PYTEST_ARGS adds options, e.g. make test PYTEST_ARGS='-k swarm -x'
WORKERS ?= 3
XDIST = -n $(WORKERS) --dist worksteal
PYTEST_ARGS ?=

.PHONY: all venv demo test test-fast bench clean distclean

all: test

venv: $(STAMP)

# Redone when pyproject.toml changes; otherwise a no-op.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# Convert the demo project with every target the CLI knows, then list what was written.
demo: venv
	@targets="$$($(BIN)/composeconv targets)" || exit 1; \
	for t in $$(printf '%s\n' "$$targets" | awk 'NF { print $$1 }'); do \
		rm -rf "out/$$t"; \
		echo "composeconv convert -f $(DEMO) --to $$t -o out/$$t/"; \
		$(BIN)/composeconv convert -f $(DEMO) --to "$$t" -o "out/$$t/" || exit 1; \
	done
	@echo "wrote:"
	@find out -type f | sort

test: venv
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

test-fast: venv
	$(BIN)/python -m pytest $(XDIST) -m "not slow and not engine" $(PYTEST_ARGS)

bench: venv
	$(BIN)/python bench/run.py --runs 7 --compose-max 1000

clean:
	rm -rf out build dist .pytest_cache .hypothesis *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
