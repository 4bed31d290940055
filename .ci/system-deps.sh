#!/usr/bin/env bash
# System packages the test suite needs, installed once (idempotent).
# - chromium: renders the lens HTML report headlessly (tests/test_lens_browser.py).
# Safe to run repeatedly; does nothing when everything is present. Without root
# or without apt-get it says so and exits 0: the browser test then skips with
# that reason instead of failing.
set -uo pipefail

if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: apt-get not found; install Chromium by hand to run the report browser test" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "system-deps: not root and no password-less sudo; skipping the Chromium install" >&2
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || echo "system-deps: apt-get update failed" >&2
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null \
  || echo "system-deps: could not install chromium; the browser test will skip" >&2
exit 0
