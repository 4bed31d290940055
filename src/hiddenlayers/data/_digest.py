"""The fingerprint of a fit's rows: which ``X``, ``y`` and weights a stored result was made from.

One job, low in the stages so every later one can use it: the search's data record and
validation rows (``rightsize/_search``), and the in-memory fit's backup
(``training.BackupAndRestore``), which must not resume on other rows.
"""

from __future__ import annotations

import hashlib

import numpy as np
import scipy.sparse as sp


def rows_digest(X: object, y: object, classifier: bool, w: object = None) -> str:
    """The first 16 hex digits of the SHA-256 of ``X``, ``y`` and, given, the weights ``w``.

    Equal rows give equal digests; one changed value, row order or weight gives another.

    Parameters
    ----------
    X : array-like of shape (n, d)
        float64; a sparse ``X`` by its CSR parts.
    y : array-like of shape (n,) or (n, k)
        As text for labels, else float64.
    classifier : bool
        Whether ``y`` holds labels.
    w : array-like of shape (n,), optional
        The weights (float64).
    """
    digest = hashlib.sha256()
    if sp.issparse(X):
        csr = sp.csr_matrix(X)
        csr.sort_indices()
        digest.update(repr(csr.shape).encode())
        for part in (csr.indptr.astype(np.int64), csr.indices.astype(np.int64), csr.data.astype(np.float64)):
            digest.update(np.ascontiguousarray(part).tobytes())
    else:
        digest.update(np.ascontiguousarray(np.asarray(X, dtype=np.float64)).tobytes())
    yy = np.asarray(y)
    digest.update((yy.astype(str) if yy.dtype == object or classifier else np.asarray(yy, dtype=np.float64)).tobytes())
    if w is not None:
        digest.update(np.asarray(w, dtype=np.float64).tobytes())
    return digest.hexdigest()[:16]


__all__ = ["rows_digest"]
