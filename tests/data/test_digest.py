"""``rows_digest``: the fingerprint of a fit's rows (the search's data record, the in-memory fit's backup): equal rows give
equal digests, one changed value, weight or row order another; a sparse ``X`` is fingerprinted by its CSR parts."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hiddenlayers.data import rows_digest

finite = st.floats(-1e6, 1e6, allow_nan=False, width=32)


@settings(max_examples=40, deadline=None)
@given(X=arrays(np.float32, st.tuples(st.integers(2, 6), st.integers(1, 4)), elements=finite), data=st.data())
def test_equal_rows_equal_digest_any_change_another(X, data) -> None:
    n = X.shape[0]
    y = np.arange(n) % 3
    w = np.ones(n)
    digest = rows_digest(X, y, True, w)
    assert digest == rows_digest(X.copy(), y.copy(), True, w.copy()) and len(digest) == 16
    i, j = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, X.shape[1] - 1))
    changed = X.copy()
    changed[i, j] = changed[i, j] + 1 if abs(changed[i, j]) < 1e5 else 0.5
    assert rows_digest(changed, y, True, w) != digest
    w2 = w.copy()
    w2[i] = 2.0
    assert rows_digest(X, y, True, w2) != digest
    assert rows_digest(X, y, True) != digest  # no weights is not weights of 1


def test_sparse_digest_by_its_values() -> None:
    X = np.array([[0.0, 1.5], [2.0, 0.0]])
    one = rows_digest(sp.csr_matrix(X), [0, 1], True)
    assert one == rows_digest(sp.csc_matrix(X), [0, 1], True)  # the same values however stored
    assert one != rows_digest(sp.csr_matrix(X * 2), [0, 1], True)
