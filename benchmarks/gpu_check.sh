#!/usr/bin/env bash
# One prepared device run: the CUDA tests, then the GPU benchmark; logs under $OUT.
# Run from the repository root; where the tree is the lead's checkout, the changed files come in .gpu_carry/.
set -o pipefail
export PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu_out}; mkdir -p "$OUT"
if [ -d .gpu_carry ]; then cp -r .gpu_carry/. . ; fi
# wheels the device image lacks (captum, for the lens test), carried in .gpu_wheels/ (git-ignored)
if [ -d .gpu_wheels ]; then python3 -m pip install --no-deps -q .gpu_wheels/*.whl 2>&1 | tail -1; fi
export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH}  # pip install -e fails there (no build deps offline)
nvidia-smi --query-gpu=name,clocks.sm,memory.used --format=csv | tee "$OUT/gpu.txt"
timeout 240 python3 -m pytest tests/test_cuda.py tests/training/test_precision.py -q -p no:cacheprovider -n 0 2>&1 | tee "$OUT/tests.log" | tail -25
cd benchmarks && timeout 235 python3 bench_gpu.py --repeats 2 2>&1 | tee "$OUT/bench.log"
