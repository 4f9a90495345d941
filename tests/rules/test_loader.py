"""Load-time validation: one fixture file per failure mode, each with its message."""

import shutil
from pathlib import Path

import pytest
import yaml

from rules.errors import RuleFileError
from rules.loader import DATA_DIR, load_ruleset

INVALID = sorted((Path(__file__).parent.parent / "invalid_rules").glob("*.yaml"))


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


@pytest.mark.parametrize("fixture", INVALID, ids=lambda p: p.stem)
def test_invalid_rule_data_is_refused_naming_file_and_key(fixture, data_copy):
    case = yaml.safe_load(fixture.read_text("utf-8"))
    (data_copy / case["replaces"]).write_text(case["content"], "utf-8")
    with pytest.raises(RuleFileError) as excinfo:
        load_ruleset(data_copy)
    for words in case["expect"]:
        assert words in str(excinfo.value)


def test_every_failure_mode_of_the_issue_has_a_fixture():
    names = {p.stem for p in INVALID}
    assert {
        "unknown_field",
        "unknown_operator",
        "unknown_parameter",
        "unknown_department",
        "unknown_clause",
        "duplicate_rule_id",
    } <= names


def test_shipped_rules_load_and_cite_real_clauses(ruleset):
    from rules.clauses import load_clauses, quotes_clause

    clauses = load_clauses()
    assert len(ruleset.rules) >= 14
    for rule in ruleset.rules:
        assert quotes_clause(rule.text, clauses[rule.clause]), rule.id


def test_shipped_policy_text_is_the_shared_policy():
    shared = Path(__file__).resolve().parents[2].parent / "shared/policy/shouxian-2016-278.md"
    if not shared.exists():
        pytest.skip("shared/policy not beside the checkout")
    assert (DATA_DIR / "policy-text.md").read_bytes() == shared.read_bytes()


def test_every_number_is_a_parameter_with_unit_and_reference(ruleset):
    for param in ruleset.parameters.values():
        assert param.unit and param.reference and param.values
    for action in ruleset.actions.values():
        assert action.deadline in ruleset.parameters


def test_value_in_force_follows_effective_dates(ruleset):
    from datetime import date

    from rules.parameters import Parameter

    param = Parameter(
        "x", "d", "yuan_per_year", "3.1.6", {date(2024, 1, 1): 4000, date(2026, 1, 1): 4500}
    )
    assert param.value_at(date(2025, 6, 1)) == 4000
    assert param.value_at(date(2026, 1, 1)) == 4500
    with pytest.raises(KeyError):
        param.value_at(date(2023, 1, 1))


def test_sha256_changes_with_the_data(data_copy, ruleset):
    assert load_ruleset(data_copy).sha256 == ruleset.sha256
    path = data_copy / "parameters.yaml"
    text = path.read_text("utf-8")
    entry = text[text.index("\ndeadline.prompt:") :].split("\n\n")[0]  # that entry only
    hours = ruleset.values["deadline.prompt"]
    value = f'"2016-09-06": {hours}}}'
    assert entry.count(value) == 1, f"{value!r} not in the deadline.prompt entry"
    later = f'"2016-09-06": {hours + 24}}}'
    path.write_text(text.replace(entry, entry.replace(value, later)), "utf-8")
    changed = load_ruleset(data_copy)
    assert changed.sha256 != ruleset.sha256
    assert {k: v for k, v in changed.values.items() if v != ruleset.values[k]} == {
        "deadline.prompt": hours + 24
    }
