"""The calibrated model: reproducible training, exact fast path, the policy's floors, refusals."""

import itertools
import zipfile

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from evaluation import artifact, features
from evaluation.artifact import ModelError
from evaluation.compiled import CompiledModel
from evaluation.estimator import RiskModel
from evaluation.serving import ModelScorer
from evaluation.train import train
from fixtures.population import population, records
from models.enums import RiskLevel
from models.person import PERSON_ADAPTER
from rules.assess import Assessor
from rules.scoring import with_model

LEVELS = list(RiskLevel)
BANDS = ["low", "elevated", "high", None]


@pytest.mark.parametrize(("level", "band"), list(itertools.product(LEVELS, BANDS)))
def test_model_never_lowers_raises_one_step_at_most_and_never_touches_critical(level, band):
    after = with_model(level, band)
    assert after.rank >= level.rank
    assert after.rank - level.rank <= 1
    if level == RiskLevel.critical or after == RiskLevel.critical:
        assert after == level  # critical only from the policy's floors
    if band != "high":
        assert after == level


def test_training_twice_with_the_same_seed_gives_the_same_metrics(small_data, trained):
    again = train(small_data, seed=0, max_iter=60)
    assert again.metadata["metrics"] == trained.metadata["metrics"]
    assert again.metadata["model_version"] == trained.metadata["model_version"]
    assert again.metadata["calibration"] == trained.metadata["calibration"]


def test_calibration_is_chosen_on_held_out_rows_and_helps(trained):
    meta = trained.metadata
    assert meta["calibration"]["method"] in ("isotonic", "sigmoid")
    scores = meta["calibration"]["held_out_brier"]
    assert meta["calibration"]["method"] == min(scores, key=scores.get)
    # Trees with equal class weights overstate risk; calibration brings it back.
    assert meta["metrics"]["brier"] < meta["uncalibrated"]["brier"]
    assert meta["metrics"]["ece"] < meta["uncalibrated"]["ece"]
    assert meta["metrics"]["auc"] > 0.6 and "auc_points" in meta["rule_baseline"]


def test_estimator_follows_scikit_learn_conventions(small_data):
    model = RiskModel(max_iter=5)
    with pytest.raises(NotFittedError):
        model.predict_proba(small_data.X[:2])
    assert clone(model).get_params() == model.get_params()
    fitted = model.fit(small_data.X, small_data.y)
    assert fitted is model and model.n_features_in_ == len(features.schema())
    with pytest.raises(ValueError, match="one class only"):
        RiskModel(max_iter=5).fit(small_data.X[:50], np.zeros(50, dtype=int))


CONVENTIONS = (  # scikit-learn's own checks that apply to an estimator needing real data
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimators_unfitted",
    "check_estimator_repr",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_classifier_not_supporting_multiclass",
    "check_classifiers_regression_target",
    "check_classifiers_one_label",
)


@pytest.mark.parametrize("check", CONVENTIONS)
def test_scikit_learn_convention_checks(check):
    from sklearn.utils import estimator_checks

    getattr(estimator_checks, check)("RiskModel", RiskModel(max_iter=5))


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_compiled_predictor_equals_scikit_learn(small_data, method):
    model = RiskModel(max_iter=40, method=method).fit(small_data.X, small_data.y)
    compiled = CompiledModel.from_model(model)
    assert compiled.check(model, small_data.X[:500]) < 1e-9


def model_assessor(assessor, loaded):
    """The session's rules and engine, with the model (the shared assessor stays rules-only)."""
    return Assessor(assessor.ruleset, assessor.engine, scorer_with(loaded, assessor.ruleset.values))


def scorer_with(loaded, values, high=None):
    values = dict(values)
    if high is not None:
        values["model.band.high"] = high
        values["model.band.elevated"] = min(high, values["model.band.elevated"])
    return ModelScorer(loaded, values)


@pytest.fixture(scope="module")
def loaded(model_file):
    return artifact.load(model_file)


@pytest.fixture(scope="module")
def people():
    return [PERSON_ADAPTER.validate_python(r) for r in records(population(3000, seed=11))]


@pytest.mark.parametrize("high", [0.0, 0.1, 1.01])
def test_assessments_with_the_model_respect_the_floors(assessor, loaded, people, high):
    """Every person: the model's level is the rules' level or one step up, never critical."""
    with_model_assessor = Assessor(
        assessor.ruleset, assessor.engine, scorer_with(loaded, assessor.ruleset.values, high)
    )
    rules_only = assessor.assess_many(people)
    both = with_model_assessor.assess_many(people)
    raised = 0
    for before, after in zip(rules_only, both, strict=True):
        step = after["risk_level"].rank - before["risk_level"].rank
        assert step in (0, 1)
        if before["risk_level"] in (RiskLevel.critical, RiskLevel.high):
            assert after["risk_level"] == before["risk_level"]
        assert (step == 1) == (after["model"]["raised_from"] is not None)
        assert (step == 1) == (after["model"]["band"] == "high" and before["risk_level"].rank < 2)
        assert (
            after["findings"] == before["findings"]
            and after["interventions"] == before["interventions"]
        )
        raised += step
    if high == 0.0:  # every band is high: every low and medium goes up one step
        assert raised == sum(a["risk_level"].rank < 2 for a in rules_only) > 0
    if high > 1:
        assert raised == 0


def test_single_and_batch_paths_agree(assessor, loaded, people):
    scored = Assessor(
        assessor.ruleset, assessor.engine, scorer_with(loaded, assessor.ruleset.values)
    )
    batch = scored.assess_many(people[:400])
    for person, many in zip(people[:400], batch, strict=True):
        one = scored.assess_data(person)
        one.pop("assessment_id"), many.pop("assessment_id")
        assert one == many


def test_women_get_no_model_block(assessor, loaded):
    scored = Assessor(
        assessor.ruleset, assessor.engine, scorer_with(loaded, assessor.ruleset.values)
    )
    woman = PERSON_ADAPTER.validate_python({"category": "woman", "husband_migrant": True})
    assert scored.assess_data(woman)["model"] is None
    assert scored.assess_many([woman])[0]["model"] is None


def test_artifact_round_trip_keeps_metadata(loaded, trained):
    assert loaded.version == trained.metadata["model_version"]
    assert loaded.metadata["feature_schema_sha256"] == features.schema_sha256()
    assert loaded.metadata["training_data_sha256"] == "test"
    assert set(loaded.metadata["metrics"]) >= {"auc", "brier", "log_loss", "ece"}


def test_corrupted_file_is_refused(model_file, tmp_path):
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\0" * 64
    broken = tmp_path / "broken.skops"
    broken.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"broken\.skops"):
        artifact.load(broken)
    truncated = tmp_path / "truncated.skops"
    truncated.write_bytes(model_file.read_bytes()[:1000])
    with pytest.raises(ModelError, match="not a readable skops"):
        artifact.load(truncated)
    with pytest.raises(ModelError, match="cannot read"):
        artifact.load(tmp_path / "absent.skops")


class Intruder:
    """A type no one trusted."""


def test_untrusted_types_are_refused_before_anything_is_built(tmp_path):
    path = tmp_path / "intruder.skops"
    sio.dump({"estimator": Intruder(), "metadata": {}}, path, compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(ModelError, match=r"not trusted: tests\.evaluation\.test_model\.Intruder"):
        artifact.load(path)


def test_a_different_feature_schema_is_refused(trained, small_data, tmp_path):
    path = tmp_path / "old.skops"
    content = {
        "estimator": trained.estimator,
        "metadata": {**trained.metadata, "feature_schema_sha256": "0" * 64},
        "probe": small_data.X[:8],
    }
    sio.dump(content, path)
    with pytest.raises(ModelError, match="different feature schema"):
        artifact.load(path)


def test_a_model_whose_fast_path_disagrees_is_refused(trained, small_data, tmp_path, monkeypatch):
    path = tmp_path / "model.skops"
    artifact.save(trained.estimator, trained.metadata, small_data.X, path)
    monkeypatch.setattr(CompiledModel, "probability", lambda self, x: 0.5)
    with pytest.raises(ModelError, match="differs from scikit-learn"):
        artifact.load(path)


def test_the_village_review_scores_with_the_model_column_wise(assessor, loaded):
    from service.review import review

    frame = population(300, seed=21).astype(str).replace({"None": "", "nan": ""})
    rules_only = review(frame, assessor, township="寿春镇", village="01村", period="2026Q4")
    everyone_high = Assessor(
        assessor.ruleset, assessor.engine, scorer_with(loaded, assessor.ruleset.values, high=0.0)
    )
    with_model = review(frame, everyone_high, township="寿春镇", village="01村", period="2026Q4")
    assert rules_only.rows_in == with_model.rows_in == with_model.scored == 300
    for i in range(300):
        level, raised = (
            rules_only.assessment(i)["risk_level"],
            with_model.assessment(i)["risk_level"],
        )
        assert raised.rank == min(level.rank + 1, 2) if level.rank < 3 else raised == level
        assert with_model.assessment(i)["model"]["model_version"] == loaded.version
