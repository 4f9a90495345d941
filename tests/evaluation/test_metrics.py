"""Metrics against hand-computed figures."""

import math

import pandas as pd
import pytest

from evaluation.metrics import by_group, expected_calibration_error, reliability, scores


def test_ece_by_hand():
    # bins of 2: (y 0,0 | p .1,.3) gap .2; (y 1,1 | p .6,.8) gap .3 -> (2*.2 + 2*.3) / 4
    assert expected_calibration_error([0, 0, 1, 1], [0.1, 0.3, 0.6, 0.8], bins=2) == pytest.approx(
        0.25
    )
    assert expected_calibration_error([0, 1] * 50, [0.5] * 100) == pytest.approx(0.0)


def test_ece_uses_equal_mass_bins_sorted_by_probability():
    y = [1, 0, 0, 1]
    p = [0.9, 0.2, 0.1, 0.8]  # sorted: (.1,.2 -> y 0,0) (.8,.9 -> y 1,1)
    assert expected_calibration_error(y, p, bins=2) == pytest.approx((2 * 0.15 + 2 * 0.15) / 4)
    table = reliability(y, p, bins=2)
    assert table["rows"].tolist() == [2, 2] and table["observed"].tolist() == [0.0, 1.0]


def test_scores_by_hand():
    figures = scores([0, 1, 1, 0], [0.2, 0.7, 0.9, 0.4])
    assert figures["auc"] == 1.0
    assert figures["brier"] == pytest.approx((0.04 + 0.09 + 0.01 + 0.16) / 4)
    assert figures["log_loss"] == pytest.approx(
        -(math.log(0.8) + math.log(0.7) + math.log(0.9) + math.log(0.6)) / 4
    )


def test_subgroups_leave_out_small_groups_and_one_class_auc_is_nan():
    groups = pd.DataFrame({"sex": ["male"] * 60 + ["female"] * 10})
    table = by_group([0] * 60 + [1, 0] * 5, [0.1] * 70, groups)
    assert table["value"].tolist() == ["male"]
    assert math.isnan(table.loc[0, "auc"])
