"""rules/scoring.py, exactly: the points' level at and around each cut-off, the highest
of floors and points, and the model's one-step raise for every level and band."""

import pytest

from models.enums import RiskLevel
from rules.scoring import apply_model, final_level, points_level, with_model

LOW, MEDIUM, HIGH, CRITICAL = RiskLevel.low, RiskLevel.medium, RiskLevel.high, RiskLevel.critical
CUTOFFS = {"score.elder.medium": 3, "score.elder.high": 6, "score.child.medium": 4}


@pytest.mark.parametrize(
    ("category", "total", "level"),
    [
        ("elder", 0, LOW),
        ("elder", 2, LOW),
        ("elder", 3, MEDIUM),
        ("elder", 5, MEDIUM),
        ("elder", 6, HIGH),
        ("elder", 40, HIGH),
        ("child", 3, LOW),
        ("child", 4, MEDIUM),
        ("child", 40, MEDIUM),  # no high cut-off for this category: never high on points
        ("woman", 40, LOW),  # no cut-offs at all
    ],
)
def test_points_level_at_each_cut_off(category, total, level):
    assert points_level(category, total, CUTOFFS) is level


@pytest.mark.parametrize(
    ("floors", "total", "level"),
    [
        ([], 0, LOW),
        ([None, None], 0, LOW),
        ([None, MEDIUM], 0, MEDIUM),
        ([MEDIUM], 6, HIGH),  # points above the floor
        ([HIGH], 3, HIGH),  # the floor above the points
        ([MEDIUM, CRITICAL, HIGH], 0, CRITICAL),
        ([CRITICAL], 40, CRITICAL),
        ([None], 3, MEDIUM),
    ],
)
def test_final_level_is_the_highest_of_floors_and_points(floors, total, level):
    assert final_level(floors, total, "elder", CUTOFFS) is level


@pytest.mark.parametrize(
    ("level", "band", "after"),
    [
        (LOW, "high", MEDIUM),
        (MEDIUM, "high", HIGH),
        (HIGH, "high", HIGH),
        (CRITICAL, "high", CRITICAL),
        *[(level, band, level) for level in RiskLevel for band in ("low", "elevated", None)],
    ],
)
def test_the_model_raises_one_step_only_from_its_high_band(level, band, after):
    assert with_model(level, band) is after


def test_apply_model_says_what_it_raised_from_and_keeps_the_block():
    block = {"probability": 0.4, "band": "high", "model_version": "1.x"}
    level, out = apply_model(MEDIUM, block)
    assert level is HIGH and out == {**block, "raised_from": MEDIUM}
    assert "raised_from" not in block  # the caller's block is not changed
    level, out = apply_model(HIGH, block)
    assert level is HIGH and out == {**block, "raised_from": None}
    level, out = apply_model(LOW, {**block, "band": "elevated"})
    assert level is LOW and out["raised_from"] is None and out["band"] == "elevated"
