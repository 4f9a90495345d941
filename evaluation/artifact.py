"""Saving and loading the model with skops: no pickle, an explicit list of trusted types.

A file holds ``{"estimator": RiskModel, "metadata": {...}}``. Metadata: the
feature schema and its sha256, the model version, the training data's sha256,
the metrics of the held-out test split, and a few probe rows on which the
compiled predictor must agree with scikit-learn.

``load`` refuses, with ModelError naming the reason:
- a file that is not a readable skops archive (corrupted, truncated, tampered);
- any type outside ``TRUSTED_TYPES`` (skops lists them before anything is built);
- a feature schema other than this code's (``evaluation.features``);
- a compiled predictor that disagrees with scikit-learn on the probe rows.
"""

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio

from evaluation import features
from evaluation.compiled import TOLERANCE, CompiledModel
from evaluation.estimator import RiskModel
from models.errors import LiushouError

# Beyond skops' own defaults (numpy arrays, builtins, scikit-learn's common types):
TRUSTED_TYPES = [
    "evaluation.estimator.RiskModel",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]
PROBE_ROWS = 64


class ModelError(LiushouError):
    """The model file cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class LoadedModel:
    estimator: RiskModel
    compiled: CompiledModel
    metadata: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.metadata["model_version"])


def save(estimator: RiskModel, metadata: dict[str, Any], probe: np.ndarray, path) -> None:
    metadata = {
        **metadata,
        "feature_schema": [list(column) for column in features.schema()],
        "feature_schema_sha256": features.schema_sha256(),
    }
    sio.dump(
        {"estimator": estimator, "metadata": metadata, "probe": probe[:PROBE_ROWS]},
        path,
        compression=zipfile.ZIP_DEFLATED,
    )


def load(path) -> LoadedModel:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read the model file {path}: {exc.strerror}") from None
    try:
        untrusted = set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES)
    except Exception as exc:  # skops raises zip, JSON and key errors alike on bad input
        raise ModelError(f"{path.name} is not a readable skops model file ({exc})") from None
    if untrusted:
        raise ModelError(
            f"{path.name} contains types that are not trusted: {', '.join(sorted(untrusted))}"
        )
    try:
        content = sio.loads(data, trusted=TRUSTED_TYPES)
    except Exception as exc:
        raise ModelError(f"{path.name} could not be loaded ({exc})") from None
    return _checked(path.name, content)


def _checked(name: str, content: Any) -> LoadedModel:
    if not isinstance(content, dict) or not isinstance(content.get("estimator"), RiskModel):
        raise ModelError(f"{name} does not hold a liushou RiskModel")
    metadata = content.get("metadata") or {}
    if metadata.get("feature_schema_sha256") != features.schema_sha256():
        raise ModelError(
            f"{name} was trained on a different feature schema "
            f"({str(metadata.get('feature_schema_sha256'))[:12]}, this code has "
            f"{features.schema_sha256()[:12]}): retrain it with `liushou model train`"
        )
    estimator = content["estimator"]
    try:
        compiled = CompiledModel.from_model(estimator)
        difference = compiled.check(estimator, np.asarray(content["probe"], dtype=float))
    except Exception as exc:
        raise ModelError(f"{name}: the model's trees cannot be read ({exc})") from None
    if difference > TOLERANCE:
        raise ModelError(f"{name}: the compiled model differs from scikit-learn by {difference}")
    return LoadedModel(estimator, compiled, metadata)
