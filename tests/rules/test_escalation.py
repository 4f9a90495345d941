"""Escalation delays (4.4): loaded as parameters, checked, looked up by date."""

from datetime import date

import pytest

from rules.errors import RuleFileError
from rules.escalation import COUNTY, TOWNSHIP, Escalation, load_escalation

GOOD = """
escalation.township_after_hours:
  description: 乡镇督办
  unit: hour
  reference: "4.4"
  values: {"2016-09-06": 24, "2027-01-01": 12}
escalation.county_after_hours:
  description: 县级督办
  unit: hour
  reference: "4.4"
  values: {"2016-09-06": 48}
"""
COUNTY_PART = GOOD.split("escalation.county_after_hours")[1]


def _county(old: str, new: str) -> str:
    return GOOD.replace(COUNTY_PART, COUNTY_PART.replace(old, new))


def test_the_shipped_delays_cite_4_4_in_hours():
    rules = load_escalation()
    for parameter in rules.parameters.values():
        assert (parameter.reference, parameter.unit) == ("4.4", "hour")
    assert rules.at(date(2026, 11, 28)) == Escalation(24 * 3600, 48 * 3600)


def test_delays_follow_their_effective_dates(tmp_path):
    (tmp_path / "escalation.yaml").write_text(GOOD, "utf-8")
    rules = load_escalation(tmp_path)
    assert rules.at(date(2026, 12, 31)).township_after_s == 24 * 3600
    assert rules.at(date(2027, 1, 1)).township_after_s == 12 * 3600


def test_levels_at_the_boundaries():
    esc = Escalation(township_after_s=100, county_after_s=50)
    assert [esc.level(0, now) for now in (0, 1, 99, 100, 149, 150)] == [
        None, None, None, TOWNSHIP, TOWNSHIP, COUNTY,
    ]  # fmt: skip
    assert Escalation(0, 0).level(0, 0) is None and Escalation(0, 0).level(0, 1) == COUNTY


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (_county("unit: hour", "unit: hours"), "unknown unit `hours`"),
        (GOOD.split("escalation.county_after_hours")[0], "escalation.county_after_hours"),
        (_county('reference: "4.4"', 'reference: "9.9"'), "9.9"),
        (_county('"2016-09-06": 48', '"2016-09-06": "two days"'), "must be a number"),
    ],
)
def test_a_bad_file_names_the_key(tmp_path, text, words):
    (tmp_path / "escalation.yaml").write_text(text, "utf-8")
    with pytest.raises(RuleFileError, match=r"escalation\.yaml") as error:
        load_escalation(tmp_path)
    assert words in str(error.value)
