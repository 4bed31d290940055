"""Render the lens report in headless Chromium: it loads, no console errors, every section, a screenshot.

Chromium comes from ``.ci/system-deps.sh`` (Debian package ``chromium``); if it
cannot be installed the test skips and says why.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

import hiddenlayers as hl
from hiddenlayers.lens._report import SECTIONS

_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
    "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0",
]
# Chromium's own start-up chatter in containers (no D-Bus, no GPU), unrelated to the page.
_NOISE = re.compile(r"dbus|DBus|gpu|GPU|viz|angle|fontconfig|sandbox|Fontconfig|crashpad|power|GLES|EGL|shared_image|ui/gl|ozone|object_proxy|mojo|vaapi|drm|idle_linux", re.I)


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        script = Path(__file__).resolve().parents[2] / ".ci" / "system-deps.sh"
        if script.exists():
            subprocess.run(["bash", str(script)], check=False, capture_output=True, timeout=600)
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("Chromium is not installed and .ci/system-deps.sh could not install it (needs root and apt-get)")
    return exe


def test_report_renders_in_headless_chromium(tmp_path):
    exe = _chromium()
    from sklearn.datasets import load_wine
    from sklearn.preprocessing import StandardScaler

    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((16, 8), max_iter=20, random_state=0, callbacks=[hl.lens.GradientFlow(X[:64])]).fit(X, y)
    page = tmp_path / "report.html"
    import numpy as np

    checked = hl.data.check(np.vstack([X, X[:1]]), np.r_[y, y[:1]], fast=True)  # one planted duplicate for the Data section
    hl.lens.report(clf, X, y, data_report=checked).save(page)
    profile = tmp_path / "profile"
    url = page.as_uri()
    dom = subprocess.run([exe, *_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    for sid in SECTIONS:
        assert f'id="{sid}"' in dom.stdout, f"section {sid} missing from the rendered DOM"
    assert "duplicates" in dom.stdout.split('id="data"')[1]  # the Data section shows the check's findings
    console = [ln for ln in dom.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln or "Refused" in ln]
    assert console == [], "\n".join(console)
    errors = [ln for ln in dom.stderr.splitlines() if ":ERROR:" in ln and not _NOISE.search(ln)]
    assert errors == [], "\n".join(errors)
    shot = tmp_path / "report.png"
    run = subprocess.run(
        [exe, *_FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1280,4000", url],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 50_000  # a real page, not a blank one
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
