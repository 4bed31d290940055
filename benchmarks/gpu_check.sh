#!/usr/bin/env bash
# One prepared device run: the CUDA-graph tests (watched: a stall is dumped with py-spy and
# stopped), the profiles, the other CUDA tests, then the GPU benchmark; logs under $OUT.
# Run from the repository root. Wheels the device image lacks (captum for the lens test,
# py-spy for the stall dump) come in .gpu_wheels/ (git-ignored), fetched beforehand for the device's Python:
#   pip download --no-deps --only-binary=:all: -d .gpu_wheels captum py-spy
# Figures: benchmarks/RESULTS.md, "Training on a GPU".
set -o pipefail
export PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu_out}; mkdir -p "$OUT"
if [ -d .gpu_carry ]; then cp -r .gpu_carry/. . ; fi
if [ -d .gpu_wheels ]; then python3 -m pip install --no-deps -q .gpu_wheels/*.whl 2>&1 | tail -1; fi
export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH}  # pip install -e fails there (no build deps offline)
nvidia-smi --query-gpu=name,clocks.sm,memory.used --format=csv | tee "$OUT/gpu.txt"
PYTEST="python3 -m pytest -q -p no:cacheprovider -n 0 -o faulthandler_timeout=40"

# 1. the graph tests, watched for 100 s
$PYTEST tests/test_cuda.py -k "graph" >"$OUT/graph_tests.log" 2>&1 &
pid=$!
for _ in $(seq 100); do sleep 1; kill -0 $pid 2>/dev/null || break; done
if kill -0 $pid 2>/dev/null; then
    echo "graph tests still running after 100 s: dumping the stacks" | tee -a "$OUT/graph_tests.log"
    py-spy dump --native --pid $pid >"$OUT/stall.txt" 2>&1 || true
    kill -9 $pid
fi
tail -30 "$OUT/graph_tests.log"

# 2. where the time goes (kernels of the big MLP's step; host side of a fit at scale)
timeout 120 python3 benchmarks/profile_gpu.py >"$OUT/profile.log" 2>&1; head -32 "$OUT/profile.log"; grep -m1 "whole fit" "$OUT/profile.log"

# 2b. the host work before the first step, ours beside a plain loop's
timeout 60 python3 benchmarks/bench_fit_setup.py --device cuda --repeats 3 >"$OUT/setup.log" 2>&1; head -6 "$OUT/setup.log"

# 3. every other CUDA test of tests/test_cuda.py and the precision tests (before the benchmark: the
# tests of code that never ran on a GPU matter more than the figures measured on 2026-12-04, should the
# run's 10 minutes end early; the pickling tests start two subprocesses)
timeout 180 $PYTEST tests/test_cuda.py tests/training/test_precision.py -k "not graph" 2>&1 | tee "$OUT/tests.log" | tail -25

# 4. the CUDA tests that live beside their CPU twins (transfer of a CPU-fitted speech or translator source to a GPU model)
timeout 120 $PYTEST tests/apps/test_apps_speech_init.py tests/apps/test_apps_translate_init.py -k "gpu_model" 2>&1 | tee "$OUT/apps_tests.log" | tail -8

# 5. the benchmark
(cd benchmarks && timeout 230 python3 bench_gpu.py --repeats 2 2>&1 | tee "$OUT/bench.log")
