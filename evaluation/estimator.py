"""The calibrated risk model: gradient-boosted trees, then calibration on held-out rows.

A scikit-learn estimator: parameters in ``__init__``, learning in ``fit``
(fitted attributes end in ``_``), ``predict_proba`` checks it was fitted.

``fit(X, y)`` splits off ``calibration_fraction`` of the rows (stratified,
seeded), fits the trees on the rest, then calibrates the frozen trees on the
held-out rows (``CalibratedClassifierCV(FrozenEstimator(trees))``), never on the
training rows. Isotonic or sigmoid: each is fitted on one half of the held-out
rows and scored (Brier) on the other; the better is refitted on all of them.

>>> model = RiskModel(max_iter=20).fit(X, y)                    # doctest: +SKIP
>>> model.method_, model.predict_proba(X[:1]).shape             # doctest: +SKIP
('isotonic', (1, 2))
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

METHODS = ("isotonic", "sigmoid")


class RiskModel(ClassifierMixin, BaseEstimator):
    def __init__(
        self,
        max_iter: int = 300,
        learning_rate: float = 0.06,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        calibration_fraction: float = 0.25,
        method: str = "auto",
        class_weight: str | None = "balanced",
        random_state: int = 0,
    ):
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.calibration_fraction = calibration_fraction
        self.method = method
        self.class_weight = class_weight
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # unknown values are NaN; the trees route them
        tags.classifier_tags.multi_class = False  # an outcome happened (1) or did not (0)
        return tags

    def fit(self, X, y):
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan")
        check_classification_targets(y)  # "Unknown label type" for a continuous outcome
        kind = type_of_target(y)
        if kind != "binary":
            raise ValueError(
                f"Only binary classification is supported: the outcome must have two classes "
                f"(0 and 1), found {np.unique(y)} ({kind})"
            )
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"the outcome has one class only ({self.classes_}): need 0 and 1")
        # Columns never known in the training rows (the women's fields, say) carry nothing.
        self.columns_ = np.flatnonzero(~np.all(np.isnan(X), axis=0))
        X = X[:, self.columns_]
        X_fit, X_cal, y_fit, y_cal = train_test_split(
            X, y, test_size=self.calibration_fraction, stratify=y, random_state=self.random_state
        )
        self.trees_ = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=True,
            validation_fraction=0.1,
            n_iter_no_change=20,
            class_weight=self.class_weight,
            random_state=self.random_state,
        ).fit(X_fit, y_fit)
        self.n_iter_ = self.trees_.n_iter_
        self.calibration_scores_ = self._method_scores(X_cal, y_cal)
        self.method_ = (
            self.method
            if self.method != "auto"
            else min(self.calibration_scores_, key=self.calibration_scores_.get)
        )
        self.calibrated_ = self._calibrate(self.method_, X_cal, y_cal)
        return self

    def _method_scores(self, X, y) -> dict[str, float]:
        """Held-out Brier score of each calibration method (fit on one half, score the other)."""
        X_a, X_b, y_a, y_b = train_test_split(
            X, y, test_size=0.5, stratify=y, random_state=self.random_state
        )
        return {
            method: float(
                brier_score_loss(y_b, self._calibrate(method, X_a, y_a).predict_proba(X_b)[:, 1])
            )
            for method in METHODS
        }

    def _calibrate(self, method: str, X, y) -> CalibratedClassifierCV:
        return CalibratedClassifierCV(FrozenEstimator(self.trees_), method=method).fit(X, y)

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "calibrated_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        return self.calibrated_.predict_proba(X[:, self.columns_])

    def uncalibrated_proba(self, X) -> np.ndarray:
        """The trees' own probabilities, before calibration (for the report)."""
        check_is_fitted(self, "trees_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        return self.trees_.predict_proba(X[:, self.columns_])

    def raw_score(self, X: np.ndarray) -> np.ndarray:
        """The trees' log-odds for a float64 matrix of all features (no input checks:
        for the serving path, whose features come from ``evaluation.features``)."""
        check_is_fitted(self, "trees_")
        return self.trees_.decision_function(X[:, self.columns_])

    def predict(self, X) -> np.ndarray:
        positive = self.predict_proba(X)[:, 1] >= 0.5
        return self.classes_[positive.astype(int)]
