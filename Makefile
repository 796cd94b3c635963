# China Crypto Brief — the build graph. `make` (or `make help`) lists the targets.
#
# Each stage's target is its product manifest, build/products/<key>.json: the files its last
# successful run published, with their checksums (src/chinabrief/pipeline/products.py). Its
# prerequisites (the notebook, the package modules it imports, its parameters, its inputs, the
# stages before it) are generated from the one list of stages, src/chinabrief/pipeline/stages.py,
# and the notebooks' imports into build/params/params.mk: none is listed here by hand. A deleted
# or edited product marks its stage out of date. `make -n report` shows the plan.

.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON3 ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
RUN := $(PY) -m chinabrief run
PKG := src/chinabrief
PRODUCTS := build/products
PARAMS_DIR := build/params

# Parameter overrides from the command line, e.g. `make report TOKENS=TRX,NEO BENCHMARK=ETH`.
# Any other parameter: `make report PARAMS="min_estimation_obs=90 cutoff_hour_utc=21"`.
# No shell and no make expansion ever sees their values: each one's raw text ($(value), so even
# `$(shell ...)` stays text) is exported to the runner as CHINABRIEF_MAKE_<NAME> and read by
# `python -m chinabrief params`, which validates it (src/chinabrief/pipeline/params.py). No recipe names
# them. SNAPSHOT, when not given, is params.yaml's `snapshot:`.
PARAM_VARS := SNAPSHOT SOURCE TOKENS BENCHMARK MINING_MONTH CUTOFF_HOUR EVENTS PARAMS
$(foreach v,$(PARAM_VARS),$(eval export CHINABRIEF_MAKE_$(v) := $$(value $(v))))
# make exports command-line variables to recipes itself, expanding them on the way: not these.
unexport $(PARAM_VARS)

# `make -n` (also -q, -t) runs no stage and rewrites no stage parameter file (see plan.mk below).
DRY_RUN := $(if $(findstring n,$(firstword -$(MAKEFLAGS)))$(findstring q,$(firstword -$(MAKEFLAGS)))$(findstring t,$(firstword -$(MAKEFLAGS))),yes)

##@ Main

.PHONY: help
help: ## Show this help (the default goal)
	@awk 'BEGIN {FS = ":.*## "; printf "Usage: make TARGET [SNAPSHOT=path] [TOKENS=TRX,NEO] [PARAMS=\"name=value ...\"]\n"} \
	  /^##@/ {printf "\n%s\n", substr($$0, 5)} \
	  /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: report
report: reports/index.html ## Build every brief and reports/index.html (incremental)

.PHONY: test
test: $(INSTALLED) ## Run the test suite (sets up .venv first)
	$(PY) -m pytest

.PHONY: test-fast
test-fast: $(INSTALLED) ## Run the tests that do not build the whole pipeline (about 4 minutes)
	$(PY) -m pytest -m "not slow"

.PHONY: lint
lint: $(INSTALLED) ## ruff (lint and format check) and mypy on the package, as CI runs them
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

.PHONY: format
format: $(INSTALLED) ## Format the code and notebooks with ruff and apply its safe fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

.PHONY: data
data: $(PRODUCTS)/prepare.json ## Import the data and build data/processed (SOURCE=live fetches the APIs)

.PHONY: lab
lab: $(INSTALLED) ## JupyterLab at the repository root, notebooks/ open, on the project's kernel (LAB_ARGS=...)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks \
	  $(LAB_AS_ROOT) $(LAB_ARGS)

##@ Maintenance

.PHONY: bench
bench: $(INSTALLED) ## Benchmarks: event-study scale run, then cold/no-op/one-parameter builds (reports/bench*.json)
	$(PY) bench/bench_eventstudy.py --out reports/bench_eventstudy.json
	$(PY) bench/bench_pipeline.py --out reports/bench.json
	$(PY) bench/bench_premium.py --out reports/bench_premium.json

.PHONY: verify
verify: $(INSTALLED) ## Build twice in fresh copies and compare every output byte
	$(PY) -m chinabrief verify

.PHONY: clean
clean: ## Remove generated data, reports and build records (keeps .venv)
	rm -rf build
	find data/raw data/processed reports -mindepth 1 ! -name README.md ! -name .gitkeep -exec rm -rf {} +

.PHONY: git-filter
git-filter: $(INSTALLED) ## Install the git filter that keeps notebook outputs out of git (the set-up does it)
	@$(call install_git_filter,force)

.PHONY: distclean
distclean: clean ## Also remove .venv
	rm -rf $(VENV)

# --- environment --------------------------------------------------------------------------
# The project's Jupyter kernel, in the venv: JupyterLab (`make lab`) runs the notebooks on it, and
# the committed notebooks name it. `make report` runs them on the interpreter running the build,
# the same .venv/bin/python (see src/chinabrief/pipeline/kernels.py).
KERNEL := chinabrief
KERNEL_DISPLAY := China Crypto Brief (.venv)
# JupyterLab refuses to start as root (as in a container) unless told; expanded only by `make lab`.
LAB_AS_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root)

# nbstripout as the git filter of *.ipynb (.gitattributes): what git stores of a notebook saved
# in JupyterLab has no outputs, no execution counts, and none of Lab's or papermill's run metadata
# (below); cell tags, the cell metadata the brief template reads, cell ids and the kernelspec stay.
NBSTRIPOUT := "$(abspath $(PY))" -m chinabrief.pipeline.strip_outputs --keep-id
NBSTRIPOUT_EXTRA_KEYS := metadata.papermill cell.metadata.papermill metadata.language_info.codemirror_mode \
  metadata.language_info.file_extension metadata.language_info.mimetype metadata.language_info.nbconvert_exporter \
  metadata.language_info.pygments_lexer metadata.language_info.version
# Installed in the repository's own git config, only at the top of a plain checkout: a linked
# worktree shares its config with the other worktrees, so there it takes `make git-filter`.
define install_git_filter
if [ "$$(git rev-parse --show-toplevel 2>/dev/null)" != "$(CURDIR)" ]; then \
  true; \
elif [ "$(1)" != force ] && [ "$$(git rev-parse --absolute-git-dir)" != "$$(cd "$$(git rev-parse --git-common-dir)" && pwd)" ]; then \
  echo "[chinabrief] linked git worktree: notebook output filter not installed (it would change the config all worktrees share); run 'make git-filter' to install it"; \
else \
  $(PY) -m nbstripout --install --attributes .gitattributes && \
  git config filter.nbstripout.clean '$(NBSTRIPOUT)' && \
  git config diff.ipynb.textconv '$(NBSTRIPOUT) --textconv' && \
  git config filter.nbstripout.extrakeys '$(strip $(NBSTRIPOUT_EXTRA_KEYS))'; \
fi
endef

# No snapshot: stop at once, before setting anything up (live runs need none; standard library only).
$(INSTALLED): requirements.lock pyproject.toml
	$(if $(NEEDS_PARAMS),@$(PYTHON3) src/chinabrief/pipeline/precheck.py)
	@test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e '.[test,dev]'
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "$(KERNEL_DISPLAY)" >/dev/null
	@$(call install_git_filter)
	@touch $@

# --- parameters: validated once per make run; files rewritten only when their content changes
NEEDS_PARAMS := $(filter-out help test test-fast lint format lab git-filter clean distclean bench verify,$(MAKECMDGOALS))
ifneq ($(NEEDS_PARAMS),)
ifeq ($(DRY_RUN),)
include $(PARAMS_DIR)/params.mk
# params.mk carries a digest of every stage file, so it changes (and make re-reads the graph)
# exactly when a parameter does; the stage files themselves have no rule on purpose.
# First of all, this make takes the build lock (build/lock, held until it exits; see
# src/chinabrief/locks.py): a second build in this checkout stops here, naming the first.
# A dry run has no such rule (below): it takes no lock.
$(PARAMS_DIR)/params.mk: FORCE | $(INSTALLED)
	@$(PY) -m chinabrief lock --holder $$PPID
	@$(PY) -m chinabrief params --dir $(PARAMS_DIR)
else ifneq ($(wildcard $(PY)),)
# A dry run validates the parameters too (make remakes included makefiles even under -n; the
# values travel in the environment, no shell sees them) but writes no stage file: only plan.mk,
# which marks the stage files that would change, so the plan shows what a real run would do.
include $(PARAMS_DIR)/plan.mk
$(PARAMS_DIR)/plan.mk: FORCE
	@$(PY) -m chinabrief params --dir $(PARAMS_DIR) --plan $@
else
# A dry run before .venv exists: nothing can validate; every stage is planned.
$(PARAMS_DIR)/%.json: ;
endif
endif

.PHONY: FORCE
FORCE:

# --- stages -------------------------------------------------------------------------------
# The prerequisites of every run come from params.mk (above), and so does the grouped rule of the
# per-event briefs (one command: each brief in a fresh kernel, the next one started meanwhile).
# This is the recipe of the other stages. --changed $?: when only the notebook is newer and its code
# cells are unchanged (a markdown edit), the runner carries the last run's outputs over instead of
# running it (src/chinabrief/pipeline/reuse.py).

# One run per claims file of data/articles/ (params.mk lists them, with each file as a prerequisite).
$(PRODUCTS)/article_check-%.json:
	@$(RUN) article_check --params $(PARAMS_DIR)/article_check.json --article-id $* --changed $?

$(PRODUCTS)/%.json:
	@$(RUN) $* --params $(PARAMS_DIR)/$*.json --changed $?

# Each run publishes its products as one set (src/chinabrief/publish.py); make must never delete
# one on Ctrl-C (it would, for a target whose mtime changed during the recipe).
.PRECIOUS: $(PRODUCTS)/%.json

# params.mk changes with any parameter: then the index also removes the products of events no
# longer in focus_events (brief, notebook, record, card).
reports/index.html: $(STAGE_TARGETS) $(INDEX_SOURCES) $(PARAMS_DIR)/params.mk
	@$(PY) -m chinabrief index --events $(FOCUS_EVENTS) --articles $(ARTICLES)
