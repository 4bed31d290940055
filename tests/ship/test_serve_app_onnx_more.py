"""`hiddenlayers serve` of the Recommender's, SequenceClassifier's and Forecaster's ONNX exports (ship/_serve/app_onnx.py):
onnxruntime alone, no PyTorch in the server's process, the request form and checks of the app's .safetensors server, the
app's answers within float32 tolerance."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")
pytest.importorskip("onnxruntime")

import hiddenlayers as hl  # noqa: E402
from hiddenlayers.exceptions import ModelFileError  # noqa: E402
from hiddenlayers.ship._serve.app_model import open_served  # noqa: E402
from hiddenlayers.ship._serve.model import RequestError  # noqa: E402
from serve_helpers import Client  # noqa: E402

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Tiny fitted apps, each exported, and a server of each export that the tests post to over HTTP."""
    import pandas as pd

    from hiddenlayers.apps import Recommender

    d = tmp_path_factory.mktemp("serve_onnx_more")
    rng = np.random.default_rng(0)
    pairs = pd.DataFrame({"user": rng.integers(0, 20, 300), "item": rng.integers(0, 15, 300)})
    rec = Recommender(hidden_layer_sizes=(4,), max_iter=3, random_state=0, device="cpu").fit(pairs, rng.normal(3, 1, 300))
    hl.export_onnx(rec, d / "rec.onnx")
    named = pd.DataFrame({"user": [f"u{u}" for u in pairs["user"]], "item": [f"i{i}" for i in pairs["item"]]})
    rec_s = Recommender(max_iter=2, random_state=0, device="cpu").fit(named, rng.normal(3, 1, 300))
    hl.export_onnx(rec_s, d / "rec_s.onnx")
    apps = {"rec": rec, "rec_s": rec_s}
    clients = {name: Client(d / f"{name}.onnx", max_rows=16) for name in ("rec",)}
    yield {"dir": d, "clients": clients, **apps}
    for c in clients.values():
        c.stop()


def test_the_server_of_these_exports_imports_no_torch(exports: dict) -> None:
    paths = [str(exports["dir"] / f"{n}.onnx") for n in ("rec", "rec_s")]
    code = ("import sys; from hiddenlayers.ship._serve.serve import make_app, ServeConfig; "
            f"[make_app(ServeConfig(model=p)) for p in {paths!r}]; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": SRC}, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


def _rated(model: Any, body: dict) -> dict:
    return model.answer(model.predict(model.rows(body, 16), False), False)


def test_recommender_export_rates_pairs_as_the_recommender_unseen_ids_included(exports: dict) -> None:
    rec, client = exports["rec"], exports["clients"]["rec"]
    users, items = [0, 3, 19, 25, 2**70, 7, 40], [1, 14, 99, 2, 5, 3.0, 77]  # unseen: rows 2 to 4 (one side each, a huge id) and 6 (both)
    status, got = client.post("/predict", {"users": users, "items": items})
    assert status == 200 and got["unseen"] == [2, 3, 4, 6]
    with pytest.warns(UserWarning, match="4 of 7 rows"):
        want = rec.predict((users, [int(i) for i in items]))
    np.testing.assert_allclose(got["predictions"], want, rtol=1e-5, atol=1e-5)
    assert len(set(np.round(got["predictions"], 6))) > 3  # distinct ratings: equal answers mean something
    safe = open_served(rec)
    assert _rated(safe, {"users": users, "items": items})["unseen"] == got["unseen"]  # as the .safetensors server says
    status, meta = client.request("GET", "/metadata")
    assert meta["format"] == "onnx" and meta["estimator"] == "Recommender" and "torch" not in meta["versions"]
    assert meta["input"] == {**safe.inputs()} and meta["input"]["n_users"] == 20
    assert client.request("GET", "/ready")[0] == 200
    assert client.post("/predict", {"users": ["a"], "items": [1]}) == (
        422, {"error": "users[0] is 'a', but the model's user ids are integers: send them as integers, so that known ids are found."})
    assert client.post("/predict", {"users": [1, 2], "items": [1]})[0] == 400
    assert client.post("/predict_proba", {"users": [1], "items": [1]})[0] == 400


def test_recommender_export_of_string_ids(exports: dict) -> None:
    rec, model = exports["rec_s"], open_served(exports["dir"] / "rec_s.onnx")
    users, items = ["u1", "u19", "nobody", "u4"], ["i0", "i3", "i2", "new"]
    got = _rated(model, {"users": users, "items": items})
    assert got["unseen"] == [2, 3]
    with pytest.warns(UserWarning, match="2 of 4 rows"):
        want = rec.predict((users, items))
    np.testing.assert_allclose(got["predictions"], want, rtol=1e-5, atol=1e-5)
    with pytest.raises(RequestError, match="the model's item ids are strings"):
        model.rows({"users": ["u1"], "items": [3]}, 16)


def test_a_recommender_export_without_its_fitted_ids_is_refused_saying_to_export_again(exports: dict, tmp_path: Path) -> None:
    import onnx

    proto = onnx.load(str(exports["dir"] / "rec.onnx"))
    kept = [p for p in proto.metadata_props if p.key != "recommender_ids"]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    onnx.save(proto, str(tmp_path / "old.onnx"))
    with pytest.raises(ModelFileError, match=r"without the fitted ids .* export it again with `hiddenlayers export`, or serve the Recommender's "
                                             r"\.safetensors file\.$"):
        open_served(tmp_path / "old.onnx")
