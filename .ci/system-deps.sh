#!/usr/bin/env bash
# System packages the test suite needs, installed once (idempotent):
# - chromium: renders the lens HTML report headlessly (tests/lens/test_lens_browser.py);
# - postgresql: server binaries (initdb, pg_ctl) for the shared-search test
#   (tests/rightsize/test_search.py), started and stopped by the test itself.
# - dataset-fashion-mnist: the Fashion-MNIST images that the example smoke tests
#   (tests/test_examples.py: image_fashion_mnist, transfer_fashion_mnist) and
#   benchmarks/bench_transfer_pairs.py read from /usr/share/datasets/fashion-mnist.
# - wrk (passed by `make bench`): the HTTP load generator of benchmarks/bench_serve.py.
# Extra packages can be named as arguments (`make examples` passes the data sets).
# Never fails: without root or apt-get it says so, and the tests that need a
# missing part skip with that reason.
set -uo pipefail

missing=()
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium fonts-dejavu-core)
fi
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || missing+=(dataset-fashion-mnist)
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: apt-get not found; install by hand: ${missing[*]}" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "system-deps: not root and no password-less sudo; not installing: ${missing[*]}" >&2
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || echo "system-deps: apt-get update failed" >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || echo "system-deps: could not install some of: ${missing[*]}; the tests that need them will skip" >&2
exit 0
