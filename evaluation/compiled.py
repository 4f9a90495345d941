"""A fitted RiskModel as flat arrays: one person's probability in tens of microseconds.

scikit-learn's ``predict_proba`` costs about a millisecond on a single row (input
checks, thread pools), more than the whole rule assessment. Here every tree's
nodes are laid end to end and all trees are walked at once with numpy, then the
calibrator (sigmoid ``a, b`` or isotonic thresholds) maps the summed raw score
to a probability, exactly as scikit-learn computes it for a numeric-only,
binary HistGradientBoostingClassifier. ``check`` compares the two on given rows;
the loader refuses a model where they disagree, so a change of scikit-learn's
internals cannot pass silently.
"""

from dataclasses import dataclass

import numpy as np
import sklearn
from sklearn.calibration import _SigmoidCalibration
from sklearn.isotonic import IsotonicRegression

TOLERANCE = 1e-9
# The scikit-learn minor version whose private tree internals (``trees_._predictors``,
# the node record fields) and calibrators this module reads; pyproject.toml pins the
# same range and tests/evaluation/test_compiled_version.py fails clearly on another.
SUPPORTED_SKLEARN = (1, 9)


def sklearn_minor() -> tuple[int, int]:
    major, minor = sklearn.__version__.split(".")[:2]
    return int(major), int(minor)


@dataclass(frozen=True)
class CompiledModel:
    feature: np.ndarray  # node -> column of the full feature row
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray  # node -> node (absolute)
    right: np.ndarray
    is_leaf: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    depth: int
    baseline: float
    sigmoid: tuple[float, float] | None  # (a, b): p = 1 / (1 + exp(a * raw + b))
    isotonic: tuple[np.ndarray, np.ndarray] | None

    @classmethod
    def from_model(cls, model) -> "CompiledModel":
        trees = model.trees_
        parts, roots, offset = [], [], 0
        for (predictor,) in trees._predictors:
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                raise ValueError("categorical splits are not supported by the compiled model")
            parts.append((nodes, offset))
            roots.append(offset)
            offset += len(nodes)
        nodes = np.concatenate([n for n, _ in parts])
        shift = np.concatenate([np.full(len(n), o) for n, o in parts])
        calibrator = model.calibrated_.calibrated_classifiers_[0].calibrators[0]
        sigmoid = isotonic = None
        if isinstance(calibrator, _SigmoidCalibration):
            sigmoid = (float(calibrator.a_), float(calibrator.b_))
        elif isinstance(calibrator, IsotonicRegression):
            isotonic = (calibrator.X_thresholds_.copy(), calibrator.y_thresholds_.copy())
        else:
            raise ValueError(f"unsupported calibrator {type(calibrator).__name__}")
        return cls(
            feature=model.columns_[nodes["feature_idx"]].astype(np.intp),
            threshold=nodes["num_threshold"].astype(float),
            missing_left=nodes["missing_go_to_left"].astype(bool),
            left=(nodes["left"] + shift).astype(np.intp),
            right=(nodes["right"] + shift).astype(np.intp),
            is_leaf=nodes["is_leaf"].astype(bool),
            value=nodes["value"].astype(float),
            roots=np.asarray(roots, dtype=np.intp),
            depth=int(nodes["depth"].max()),
            baseline=float(np.ravel(trees._baseline_prediction)[0]),
            sigmoid=sigmoid,
            isotonic=isotonic,
        )

    def raw(self, x: np.ndarray) -> float:
        """The trees' summed score (log-odds) for one full feature row."""
        node = self.roots
        for _ in range(self.depth):
            leaf = self.is_leaf[node]
            if leaf.all():
                break
            v = x[self.feature[node]]
            go_left = np.where(np.isnan(v), self.missing_left[node], v <= self.threshold[node])
            node = np.where(leaf, node, np.where(go_left, self.left[node], self.right[node]))
        return self.baseline + float(self.value[node].sum())

    def probability(self, x: np.ndarray) -> float:
        return float(self.calibrate(np.array([self.raw(x)]))[0])

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Raw scores (log-odds) to calibrated probabilities, as the fitted calibrator does."""
        if self.sigmoid is not None:
            a, b = self.sigmoid
            return 1.0 / (1.0 + np.exp(a * raw + b))
        if self.isotonic is None:
            raise ValueError("the compiled calibrator has neither sigmoid nor isotonic values")
        xs, ys = self.isotonic
        return np.interp(raw, xs, ys)

    def probabilities(self, model, X: np.ndarray) -> np.ndarray:
        """Many rows: scikit-learn's own tree walk (compiled, threaded), then ``calibrate``
        (skipping the input checks that cost a third of ``predict_proba``)."""
        return self.calibrate(model.raw_score(X))

    def check(self, model, X: np.ndarray) -> float:
        """The largest difference from ``model.predict_proba`` on the rows of ``X``,
        one row at a time and all at once."""
        if not len(X):
            return 0.0
        expected = model.predict_proba(X)[:, 1]
        one = np.array([self.probability(x) for x in X])
        many = self.probabilities(model, X)
        return float(max(np.max(np.abs(expected - one)), np.max(np.abs(expected - many))))
