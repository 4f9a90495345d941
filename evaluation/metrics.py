"""Scores of predicted probabilities against outcomes: discrimination and calibration.

>>> expected_calibration_error([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5], bins=2)
0.0
"""

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

BINS = 10


def expected_calibration_error(y, p, bins: int = BINS) -> float:
    """Mean |observed rate - mean probability| over ``bins`` equal-mass bins (by
    predicted probability), weighted by bin size."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    total = 0.0
    for chunk in np.array_split(order, bins):
        if len(chunk):
            total += len(chunk) * abs(y[chunk].mean() - p[chunk].mean())
    return float(total / len(y))


def reliability(y, p, bins: int = BINS) -> pd.DataFrame:
    """Per equal-mass bin: rows, mean predicted probability, observed rate."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    return pd.DataFrame(
        [
            {"rows": len(c), "predicted": p[c].mean(), "observed": y[c].mean()}
            for c in np.array_split(order, bins)
            if len(c)
        ]
    )


def scores(y, p) -> dict[str, float]:
    """AUC, Brier score, log loss and ECE (10 equal-mass bins); AUC is NaN for one class."""
    y, p = np.asarray(y), np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    two_classes = len(np.unique(y)) == 2
    return {
        "rows": len(y),
        "prevalence": float(np.mean(y)),
        "auc": float(roc_auc_score(y, p)) if two_classes else float("nan"),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "ece": expected_calibration_error(y, p),
    }


def auc(y, score) -> float:
    return float(roc_auc_score(y, score)) if len(np.unique(y)) == 2 else float("nan")


def by_group(y, p, groups: pd.DataFrame, min_rows: int = 50) -> pd.DataFrame:
    """``scores`` for each value of each grouping column (groups under ``min_rows`` left out)."""
    rows = []
    y, p = np.asarray(y), np.asarray(p)
    for column in groups.columns:
        values = groups[column].to_numpy()
        for value in sorted(pd.unique(values), key=str):
            where = values == value
            if where.sum() >= min_rows:
                rows.append({"group": column, "value": str(value), **scores(y[where], p[where])})
    return pd.DataFrame(rows)
