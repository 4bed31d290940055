#!/usr/bin/env bash
# One prepared device run: the CUDA tests, then the GPU benchmark; logs under $OUT.
# Run from the repository root; where the tree is the lead's checkout, the changed files come in .gpu_carry/.
set -o pipefail
export PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu_out}; mkdir -p "$OUT"
if [ -d .gpu_carry ]; then cp -r .gpu_carry/. . ; fi
python3 -m pip install -q -e . --no-deps >"$OUT/pip.log" 2>&1 || echo "pip install failed (see pip.log)"
nvidia-smi --query-gpu=name,clocks.sm,memory.used --format=csv | tee "$OUT/gpu.txt"
timeout 150 python3 -m pytest tests/test_cuda.py tests/test_precision.py -q -p no:cacheprovider -x -n 0 2>&1 | tee "$OUT/tests.log" | tail -25
cd benchmarks && timeout 235 python3 bench_gpu.py --repeats 2 2>&1 | tee "$OUT/bench.log"
