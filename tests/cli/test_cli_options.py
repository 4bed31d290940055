"""Option values every command checks the same way while the line is parsed (``cli/_options.py``): one line, exit 2, nothing written."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_helpers import assert_user_error, run
from hiddenlayers.cli._common import UserError
from hiddenlayers.cli._options import MAX_SEED, at_least, check_seed, parse_features, parse_image_shape, positive_seconds

SEED_MESSAGE = "--seed must be an integer in 0..4294967295. Received: {}."


def _seed_commands(table, model, tmp_path):
    """Every command with a --seed, its other arguments such that only the seed can be wrong."""
    return {
        "train": ["train", table, "-t", "label", "-q", "-o", tmp_path / "t.safetensors"],
        "check": ["check", table, "-t", "label"],
        "search": ["search", table, "-t", "label", "--trials", "1", "--epochs", "1", "--out-dir", tmp_path / "sd"],
        "prune": ["prune", model, table, "-o", tmp_path / "p.safetensors"],
        "demo": ["demo", "-o", tmp_path / "d.safetensors"],
        "explain": ["explain"],
    }


@pytest.mark.parametrize("command", ["train", "check", "search", "prune", "demo", "explain"])
@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1])
def test_seed_out_of_range_is_one_rule_everywhere(command, seed, table, table_model, tmp_path):
    args = _seed_commands(table, table_model, tmp_path)[command]
    assert_user_error(run(*args, "--seed", seed), SEED_MESSAGE.format(seed))
    assert list(tmp_path.iterdir()) == []  # nothing written, no search folder made


@settings(max_examples=40, deadline=None)
@given(st.integers(-(2**40), 2**40) | st.sampled_from([-1, 0, MAX_SEED, MAX_SEED + 1]))
def test_seed_range_matches_numpy(seed):
    import numpy as np

    try:
        np.random.RandomState(seed)
        numpy_ok = True
    except ValueError:
        numpy_ok = False
    if numpy_ok:
        assert check_seed(seed) == seed
        # the command goes on past the seed: the missing data file is the error
        assert_user_error(run("train", "no-such-file.csv", "-t", "y", "--seed", seed), "no-such-file.csv")
    else:
        with pytest.raises(UserError, match=f"^{SEED_MESSAGE.format(seed).replace('.', '[.]')}$"):
            check_seed(seed)
        assert_user_error(run("train", "no-such-file.csv", "-t", "y", "--seed", seed), SEED_MESSAGE.format(seed))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "0"], "--workers must be an integer >= 1. Received: 0."),
        (["--workers", "-1"], "--workers must be an integer >= 1. Received: -1."),
        (["--max-restarts", "-1"], "--max-restarts must be an integer >= 0. Received: -1."),
        (["--join-timeout", "0"], "--join-timeout must be a finite number of seconds > 0. Received: 0.0."),
        (["--join-timeout", "inf"], "--join-timeout must be a finite number of seconds > 0. Received: inf."),
        (["--features", ""], "--features names no column (''): give comma-separated column names, or leave --features out to use every other column."),
        (["--features", " , "], "--features names no column (' , '): give comma-separated column names"),
        # a parameter error whose message names no parameter starts with the option at fault: `--hidden 0` said only "dense
        # layer units must be ...", and `--hidden 8:foo` and `--activation foo` the same "unknown activation 'foo'"
        (["--hidden", "0"], "--hidden: dense layer units must be a positive integer. Received: units=0."),
        (["--hidden", "8:foo"], "--hidden: unknown activation 'foo'"),
        (["--activation", "foo"], "--activation: unknown activation 'foo'"),
        (["--hidden", "8:dropout=2"], "--hidden: dropout must be in [0, 1)"),
        (["--epochs", "0"], "--epochs: max_iter must be an integer >= 1"),
    ],
)
def test_train_refuses_bad_process_and_feature_options(table, tmp_path, args, message):
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", table, "-t", "label", "-q", "-o", out, *args), message)
    assert not out.exists()


@pytest.mark.parametrize("command", ["check", "search"])
def test_empty_features_refused_by_check_and_search(table, tmp_path, command):
    assert_user_error(run(command, table, "-t", "label", "--features", ",", "--out-dir" if command == "search" else "--seed",
                          tmp_path / "sd" if command == "search" else 0), "--features names no column (',')")


@given(st.integers(-1000, 1000), st.integers(-5, 5))
def test_at_least(value, low):
    check = at_least("--n", low)
    if value >= low:
        assert check(value) == value
    else:
        with pytest.raises(UserError, match=rf"^--n must be an integer >= {low}\. Received: {value}\.$"):
            check(value)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_positive_seconds(value):
    check = positive_seconds("--t")
    if value > 0 and math.isfinite(value):
        assert check(value) == value
    else:
        with pytest.raises(UserError, match=r"^--t must be a finite number of seconds > 0\. Received: "):
            check(value)


@given(st.lists(st.sampled_from(["a", "b", " c ", "", " ", "d_1"]), max_size=6))
def test_parse_features_keeps_the_named_columns_in_order(parts):
    text = ",".join(parts)
    names = [p.strip() for p in parts if p.strip()]
    if names:
        assert parse_features(text) == names
    else:
        with pytest.raises(UserError, match="--features names no column"):
            parse_features(text)
    assert parse_features(None) is None


@given(
    st.lists(st.integers(1, 999_999), min_size=2, max_size=3),
    st.sampled_from(["x", "X", "×"]),
    st.sampled_from(["", " ", "\t", "  "]),
    st.sampled_from(["", " ", "  "]),
)
def test_parse_image_shape_reads_h_x_w_and_c_x_h_x_w(dims, sep, pad, inner):
    """``8x8``, ``8 x 8``, `` 3 × 32 × 32 ``: spaces around the numbers and any of the three separators."""
    assert parse_image_shape(pad + (inner + sep + inner).join(map(str, dims)) + pad) == tuple(dims)


@pytest.mark.parametrize("text, shape", [("8 x 8", (8, 8)), (" 3 X 32x 32 ", (3, 32, 32)), ("28 × 28", (28, 28))])
def test_parse_image_shape_examples_read(text, shape):
    assert parse_image_shape(text) == shape


@given(st.text(max_size=12))
def test_parse_image_shape_refuses_anything_else_in_one_line(text):
    parts = [p.strip() for p in text.lower().replace("×", "x").split("x")]
    good = 2 <= len(parts) <= 3 and all(p.isascii() and p.isdigit() and 1 <= len(p) <= 6 and p[0] != "0" for p in parts)
    if good:
        assert parse_image_shape(text) == tuple(int(p) for p in parts)
    else:
        with pytest.raises(UserError, match=r"^--image-shape must be HxW or CxHxW in pixels, each a whole number >= 1 \(e\.g\. 8x8 or 3x32x32\)\. Received: "):
            parse_image_shape(text)
    assert parse_image_shape(None) is None


@pytest.mark.parametrize("bad", ["8", "0x8", "8x0", "08x8", "8x8x8x8", "-8x8", "8.5x8", "8 8", "8 8x8", "8xx8", " x8", "", "1234567x8"])
def test_parse_image_shape_examples_refused(bad):
    with pytest.raises(UserError, match="--image-shape must be HxW or CxHxW"):
        parse_image_shape(bad)


@pytest.mark.parametrize("value", ["0.01", "1e-3", "3"])
def test_a_number_for_learning_rate_names_lr(value, table, tmp_path):
    # '--learning-rate 0.01' (Keras' and PyTorch's word for the step size) read 'must be one of constant, ...
    # Received: learning_rate='0.01'.', with no word of --lr
    out = tmp_path / "m.safetensors"
    result = run("train", table, "-t", "label", "-q", "--learning-rate", value, "-o", out)
    assert_user_error(result, f"--learning-rate names the schedule (constant, invscaling, adaptive, cosine, plateau), not the step size. "
                              f"Received: {value}. A number is the step size: pass --lr {value}.")
    assert not out.exists()


def test_a_schedule_name_passes_the_learning_rate_check(table, tmp_path):
    from hiddenlayers.cli._options import check_schedule

    assert check_schedule("cosine") == "cosine" and check_schedule("nan") == "nan"  # names: the estimator checks them
    result = run("train", table, "-t", "label", "-q", "--epochs", "2", "--learning-rate", "cosine", "-o", tmp_path / "m.safetensors")
    assert result.exit_code == 0, result.output
