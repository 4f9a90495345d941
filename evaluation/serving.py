"""The loaded model beside the rules: a probability, its band, and the version.

One person: the compiled predictor (tens of microseconds). A frame of facts:
scikit-learn's ``predict_proba`` over the feature matrix (column-wise). Persons
of a category the model was not trained on get no model block.

>>> scorer = ModelScorer(load("model.skops"), ruleset.values)        # doctest: +SKIP
>>> scorer.score_fact({"category": "elder", "age": 83, ...})         # doctest: +SKIP
{'probability': 0.31, 'band': 'high', 'model_version': '2026-11-28.1a2b3c4d'}
"""

from typing import Any

import numpy as np
import pandas as pd

from evaluation import features
from evaluation.artifact import LoadedModel
from rules.vectorized import CATEGORIES

BANDS = ("elevated", "high")  # below the first: "low"


class ModelScorer:
    def __init__(self, model: LoadedModel, values: dict[str, Any]):
        self.model = model
        self.version = model.version
        self.categories = frozenset(model.metadata.get("categories", ()))
        self.cutoffs = [(band, float(values[f"model.band.{band}"])) for band in reversed(BANDS)]

    def band(self, probability: float) -> str:
        return next((band for band, cut in self.cutoffs if probability >= cut), "low")

    def block(self, probability: float) -> dict[str, Any]:
        return {
            "probability": round(float(probability), 4),
            "band": self.band(probability),
            "model_version": self.version,
        }

    def score_fact(self, fact: dict[str, Any]) -> dict[str, Any] | None:
        if fact["category"] not in self.categories:
            return None
        return self.block(self.model.compiled.probability(features.row(fact)))

    def probabilities(self, frame: pd.DataFrame) -> np.ndarray:
        """Column-wise: each row's probability, NaN where the category is not covered."""
        out = np.full(len(frame), np.nan)
        covered = np.isin(
            frame["category"].to_numpy(),
            [CATEGORIES.index(c) for c in self.categories if c in CATEGORIES],
        )
        if covered.any():
            X = features.matrix(frame[covered] if not covered.all() else frame)
            out[covered] = self.model.compiled.probabilities(self.model.estimator, X)
        return out

    def blocks(self, frame: pd.DataFrame) -> list[dict[str, Any] | None]:
        return [None if np.isnan(p) else self.block(p) for p in self.probabilities(frame)]
