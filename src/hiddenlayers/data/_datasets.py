"""The bundled datasets: real tables that ship inside scikit-learn (no download), read by name wherever a file path is.

>>> find_dataset("Breast-Cancer").name
'breast_cancer'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BundledDataset:
    """A real dataset shipped inside an installed package."""

    name: str
    loader: str  # function name in sklearn.datasets
    task: str  # "classification" or "regression"
    description: str

    def load(self) -> Any:
        """The dataset as a DataFrame: feature columns plus a ``target`` column."""
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, self.loader)(as_frame=True)
        frame = bunch.frame.copy()
        if self.task == "classification" and hasattr(bunch, "target_names") and bunch.target_names is not None:
            names = list(bunch.target_names)
            # digits' target names are the digits themselves: keep the integers
            if not all(str(n) == str(i) for i, n in enumerate(names)):
                frame["target"] = [str(names[int(v)]) for v in frame["target"]]
        return frame


DATASETS: dict[str, BundledDataset] = {
    d.name: d
    for d in [
        BundledDataset("digits", "load_digits", "classification", "8x8 images of handwritten digits 0-9 (1797 rows, 64 pixel columns)"),
        BundledDataset("iris", "load_iris", "classification", "iris flowers, 3 species (150 rows, 4 measurements)"),
        BundledDataset("wine", "load_wine", "classification", "wines from 3 cultivars (178 rows, 13 chemical measurements)"),
        BundledDataset("breast_cancer", "load_breast_cancer", "classification", "breast tumours, malignant or benign (569 rows, 30 features)"),
        BundledDataset("diabetes", "load_diabetes", "regression", "diabetes progression after one year (442 rows, 10 features)"),
    ]
}


#: The target column of every bundled dataset.
DATASET_TARGET = "target"


def find_dataset(name: str) -> BundledDataset | None:
    """The bundled dataset called ``name`` (case and ``-``/``_`` insensitive), else ``None``.

    Parameters
    ----------
    name : str
        The dataset's name.
    """
    key = name.strip().lower().replace("-", "_")
    return DATASETS.get(key)


__all__ = ["DATASETS", "DATASET_TARGET", "BundledDataset", "find_dataset"]
