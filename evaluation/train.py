"""Train, calibrate and score the model on a labelled dataset, reproducibly from a seed.

Splits (stratified on the outcome, seeded): ``test_fraction`` is set aside and
touched only for the report; of the rest, RiskModel itself holds out a share
for calibration. The report compares, on the same test rows, the calibrated
model, the uncalibrated trees and the rules' own score.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sklearn
from sklearn.model_selection import train_test_split

from evaluation import features
from evaluation.dataset import Dataset
from evaluation.estimator import RiskModel
from evaluation.metrics import auc, by_group, reliability, scores

TEST_FRACTION = 0.2
INTENDED_USE = (
    "A decision aid for village committees and county departments: it can draw attention "
    "to a person the rules rate low or medium. Never an automatic decision: it never lowers "
    "a level, raises one by at most one step, and never makes or removes 'critical'."
)
LIMITS = (
    "Trained on what the file it was given records; the shipped demonstration is trained on "
    "synthetic data (fixtures/population.py), whose outcome process is made up, so its "
    "figures say nothing about real people. Unknown values are modelled as missing at random. "
    "Check the subgroup table before use; retrain on the county's own labelled history."
)


@dataclass
class Trained:
    estimator: RiskModel
    metadata: dict[str, Any]
    test: Dataset
    probabilities: np.ndarray  # calibrated, on the test rows


def train(data: Dataset, seed: int = 0, test_fraction: float = TEST_FRACTION, **params) -> Trained:
    if len(np.unique(data.y)) != 2:
        raise ValueError("the outcome column needs both 0 and 1 among the usable rows")
    rows = np.arange(len(data))
    fit_rows, test_rows = train_test_split(
        rows, test_size=test_fraction, stratify=data.y, random_state=seed
    )
    estimator = RiskModel(random_state=seed, **params).fit(data.X[fit_rows], data.y[fit_rows])
    test = data.take(test_rows)
    report = evaluate(estimator, test)
    version = _version(data.sha256, seed, estimator.get_params())
    metadata = {
        "model_version": version,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "categories": sorted(_categories(data)),
        "feature_schema": [list(column) for column in features.schema()],
        "feature_schema_sha256": features.schema_sha256(),
        "training_data_sha256": data.sha256,
        "training_rows": len(fit_rows),
        "test_rows": len(test_rows),
        "seed": seed,
        "parameters": {k: v for k, v in estimator.get_params().items() if v is not None},
        "calibration": {
            "method": estimator.method_,
            "held_out_brier": estimator.calibration_scores_,
        },
        "intended_use": INTENDED_USE,
        "limits": LIMITS,
        "sklearn_version": sklearn.__version__,
        **report,
    }
    return Trained(estimator, metadata, test, estimator.predict_proba(test.X)[:, 1])


def evaluate(estimator: RiskModel, test: Dataset) -> dict[str, Any]:
    """Figures on labelled rows: the model's, the trees' before calibration, the rules'."""
    calibrated = estimator.predict_proba(test.X)[:, 1]
    raw = estimator.uncalibrated_proba(test.X)[:, 1]
    return {
        "metrics": scores(test.y, calibrated),
        "uncalibrated": scores(test.y, raw),
        "rule_baseline": {
            "auc_points": auc(test.y, test.rule_score),
            "auc_level_then_points": auc(test.y, test.rule_rank),
        },
        "subgroups": by_group(test.y, calibrated, test.groups).to_dict("records"),
        "reliability": reliability(test.y, calibrated).to_dict("records"),
    }


def _categories(data: Dataset) -> set[str]:
    return {band.split(" ")[0] for band in data.groups["age_band"]}


def _version(data_sha256: str, seed: int, params: dict) -> str:
    """Same data, seed and parameters: same version."""
    text = json.dumps([data_sha256, seed, params], sort_keys=True, default=str)
    return "1." + hashlib.sha256(text.encode()).hexdigest()[:10]
