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


def at_cutoffs(level: np.ndarray, outcome: np.ndarray) -> list[dict[str, Any]]:
    rows = []
    harmed = outcome.astype(bool)
    for rank in range(1, len(LEVELS)):
        flagged = level >= rank
        tp = int((flagged & harmed).sum())
        fp = int((flagged & ~harmed).sum())
        fn = int((~flagged & harmed).sum())
        tn = int((~flagged & ~harmed).sum())
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


def curves(order: np.ndarray, outcome: np.ndarray) -> dict[str, Any]:
    if len(np.unique(outcome)) != 2:
        return {"roc": None, "pr": None, "roc_auc": None, "pr_auc": None}
    fpr, tpr, _ = roc_curve(outcome, order)
    precision, recall, _ = precision_recall_curve(outcome, order)
    return {
        "roc": {"fpr": fpr.round(6).tolist(), "tpr": tpr.round(6).tolist()},
        "pr": {"recall": recall.round(6).tolist(), "precision": precision.round(6).tolist()},
        "roc_auc": float(roc_auc_score(outcome, order)),
        "pr_auc": float(auc(recall, precision)),
    }


def backtest(level: np.ndarray, score: np.ndarray, outcome: np.ndarray) -> dict[str, Any]:
    order = level.astype(np.int64) * 1000 + score
    return {
        "persons": len(outcome),
        "harmed": int(outcome.sum()),
        "cutoffs": at_cutoffs(level, outcome),
        **curves(order, outcome),
    }
