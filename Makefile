# Zoo: one command sets up and runs the main job, one sets up and runs the tests.
#   make demo   creates .venv, installs everything, serves hub/ on loopback, loads every
#               pretrained model through the Hub path, evaluates it and writes a report
#   make test   creates .venv, installs everything, runs every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PLUGINS := $(wildcard plugins/*/pyproject.toml packages/*/pyproject.toml)
STAMP  := $(VENV)/.zoo-installed

.PHONY: setup test demo bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml $(PLUGINS) examples/zoo-example-plugin/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned: pip takes these two from this machine's local wheel store
	$(BIN)/python -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(BIN)/python -m pip install -q -e '.[test]' $(foreach p,$(PLUGINS),-e '$(patsubst %/,%,$(dir $(p)))[test]') \
		-e examples/zoo-example-plugin timm
	touch $(STAMP)

# Each suite runs in its own pytest process (plugins are independent distributions whose
# test folders share file names); every suite runs, and any failure fails the target.
SUITES := tests $(wildcard packages/*/tests plugins/*/tests) examples/zoo-example-plugin/tests

test: setup
	@status=0; for suite in $(SUITES); do \
		echo "== $$suite"; $(BIN)/python -m pytest -q -p no:cacheprovider $$suite || status=1; \
	done; exit $$status

demo: setup
	$(BIN)/python benchmarks/demo.py --out reports/demo

clean:
	rm -rf $(VENV) reports
