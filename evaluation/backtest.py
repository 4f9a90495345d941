"""How well the levels pick out the people who later came to harm (a known 0/1 outcome).

For each level cut-off (flag everyone at medium or above, high or above,
critical): how many are flagged, precision, recall and specificity; and the ROC
and precision-recall curves of the rules' ordering (level, then points: rank x
1000 + points), with their areas. A figure with nothing to divide by is None.

>>> at_cutoffs(np.array([3, 2, 0, 1]), np.array([1, 0, 0, 1]))[1]["recall"]
1.0
"""

from typing import Any

import numpy as np
from sklearn.metrics import auc, precision_recall_curve, roc_auc_score, roc_curve

from evaluation.levels import LEVELS


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def at_cutoffs(
    level: np.ndarray, outcome: np.ndarray, weight: np.ndarray | None = None
) -> list[dict[str, Any]]:
    """``weight``: how many persons each entry stands for (default one each)."""
    rows = []
    harmed = outcome.astype(bool)
    w = np.ones(len(level), dtype=np.int64) if weight is None else np.asarray(weight)
    for rank in range(1, len(LEVELS)):
        flagged = level >= rank
        tp = int(w[flagged & harmed].sum())
        fp = int(w[flagged & ~harmed].sum())
        fn = int(w[~flagged & harmed].sum())
        tn = int(w[~flagged & ~harmed].sum())
        rows.append(
            {
                "cutoff": LEVELS[rank],
                "flagged": tp + fp,
                "true_positives": tp,
                "precision": _ratio(tp, tp + fp),
                "recall": _ratio(tp, tp + fn),
                "specificity": _ratio(tn, tn + fp),
            }
        )
    return rows


def curves(
    order: np.ndarray, outcome: np.ndarray, weight: np.ndarray | None = None
) -> dict[str, Any]:
    if len(np.unique(outcome)) != 2:
        return {"roc": None, "pr": None, "roc_auc": None, "pr_auc": None}
    fpr, tpr, _ = roc_curve(outcome, order, sample_weight=weight)
    precision, recall, _ = precision_recall_curve(outcome, order, sample_weight=weight)
    return {
        "roc": {"fpr": fpr.round(6).tolist(), "tpr": tpr.round(6).tolist()},
        "pr": {"recall": recall.round(6).tolist(), "precision": precision.round(6).tolist()},
        "roc_auc": float(roc_auc_score(outcome, order, sample_weight=weight)),
        "pr_auc": float(auc(recall, precision)),
    }


def backtest(
    level: np.ndarray, score: np.ndarray, outcome: np.ndarray, weight: np.ndarray | None = None
) -> dict[str, Any]:
    """``weight``: how many persons each (level, score, outcome) entry stands for, when
    they were counted elsewhere (service.spark.simulate): the same figures as the
    persons one by one (the curves' points are cumulative counts either way)."""
    order = level.astype(np.int64) * 1000 + score
    w = np.ones(len(outcome), dtype=np.int64) if weight is None else np.asarray(weight)
    return {
        "persons": int(w.sum()),
        "harmed": int(w[outcome.astype(bool)].sum()),
        "cutoffs": at_cutoffs(level, outcome, weight),
        **curves(order, outcome, weight),
    }
