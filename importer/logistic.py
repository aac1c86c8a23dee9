"""What the import's learned models share: a logistic regression over standardised features (the claim filter's
``ClaimFilter`` and the re-ranker's ``Reranker``), the way every one of them is fitted (the category model's too) and
the way a committed model file is read.

The fits are deterministic (L-BFGS from zero, to a tight tolerance), so that ``--check`` of each ``fit_*`` command can
compare the committed file with a fresh fit to the byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Self

import numpy as np

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression


class FitError(ValueError):
    """A learned model cannot be fitted on these data (too few labelled articles…); the message says why."""


def logistic_regression(c: float, *, fit_intercept: bool = True, tol: float = 1e-8) -> LogisticRegression:
    """scikit-learn's logistic regression with regularisation ``c``, as every learned model of the import fits it."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, fit_intercept=fit_intercept, max_iter=5000, tol=tol)


def standardise(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The matrix with each column centred on its mean and divided by its standard deviation (1 where a column does
    not vary), with that mean and scale."""
    if not len(matrix):  # an article whose knowledge base holds no claim gives no rows
        return matrix, np.zeros(matrix.shape[1]), np.ones(matrix.shape[1])
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return (matrix - mean) / scale, mean, scale


@cache
def committed(path: Path, make_target: str) -> dict:
    """A committed model file's data (read once per process)."""
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run `make {make_target}` to fit it.")
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class StandardisedLogistic:
    """A logistic regression over standardised ``FEATURES``: the probability of a row is the sigmoid of
    ``((row - mean) / scale) · coef + intercept``. A subclass names its features (the columns, in order), the file its
    coefficients are committed in and the make target that refits it, and adds its own fields after these."""

    FEATURES: ClassVar[tuple[str, ...]]
    COEFFICIENTS: ClassVar[Path]
    MAKE_TARGET: ClassVar[str]

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """The probability of label 1 for each row of ``FEATURES``."""
        z = ((np.asarray(matrix, dtype=float) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1 / (1 + np.exp(-z))

    @classmethod
    def fitted(cls, matrix: np.ndarray, labels: np.ndarray, c: float, **fields) -> Self:
        """A model fitted on these rows with regularisation ``c``; ``fields``: the subclass's own."""
        z, mean, scale = standardise(matrix)
        model = logistic_regression(c).fit(z, labels)
        return cls(mean, scale, model.coef_[0], float(model.intercept_[0]), **fields)

    def as_dict(self) -> dict:
        """The data of the committed file (a subclass adds its own fields after these)."""
        return {
            "features": list(self.FEATURES),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coef": [round(float(v), 6) for v in self.coef],
            "intercept": round(float(self.intercept), 6),
        }

    @classmethod
    def read(cls, data: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """The mean, scale, coefficients and intercept in ``as_dict()``'s data, for a subclass's ``from_dict``;
        refused when they were fitted on other features than the code computes."""
        if data.get("features") != list(cls.FEATURES):
            raise ValueError(
                f"{cls.COEFFICIENTS.name} was fitted on other features than the code computes; "
                f"run `make {cls.MAKE_TARGET}`."
            )
        return np.array(data["mean"]), np.array(data["scale"]), np.array(data["coef"]), float(data["intercept"])
