"""The vectorized evaluator gives exactly the durable_rules findings, for every input."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from fixtures.generate import generate
from models.person import PERSON_ADAPTER
from rules.facts import build_fact
from rules.vectorized import evaluate, fact_frame, fired_lists

ROOT = Path(__file__).resolve().parents[2]


def _inputs(folder: Path) -> list[dict]:
    return [
        c["input"] for p in sorted(folder.glob("*.yaml")) for c in yaml.safe_load(p.read_text())
    ]


def _same_findings(assessor, raw_people):
    persons = [PERSON_ADAPTER.validate_python(p) for p in raw_people]
    facts = [build_fact(p, assessor.ruleset) for p in persons]
    vectorized = [list(ids) for ids in fired_lists(evaluate(assessor.ruleset, fact_frame(facts)))]
    durable = [assessor.engine.evaluate(f) for f in facts]
    differences = [(f, d, v) for f, d, v in zip(facts, durable, vectorized, strict=True) if d != v]
    assert not differences, differences[:3]
    return durable


def test_case_tables_and_scenarios(assessor):
    fired = _same_findings(
        assessor, _inputs(ROOT / "tests" / "cases") + _inputs(ROOT / "fixtures" / "scenarios")
    )
    assert sum(map(len, fired)) > 200


def test_20000_generated_persons_with_unknowns(assessor):
    fired = _same_findings(assessor, generate(20_000, seed=3))
    every_rule = {rule_id for ids in fired for rule_id in ids}
    assert every_rule == {r.id for r in assessor.ruleset.rules}, "the generator misses some rules"


def test_whole_assessments_are_identical(assessor):
    persons = [PERSON_ADAPTER.validate_python(p) for p in generate(2_000, seed=5)]
    many = assessor.assess_many(persons)
    for person, data in zip(persons, many, strict=True):
        one = assessor.assess_data(person)
        one.pop("assessment_id"), data.pop("assessment_id")
        assert data == one


def test_unknown_columns_and_known_false():
    from rules.conditions import Known

    frame = fact_frame([{"category": "child"}, {"category": "child", "guardian_type": "none"}])
    assert mask_of(Known("guardian_type", False), frame).tolist() == [True, False]
    assert mask_of(Known("lives_alone", False), frame).tolist() == [True, True]


def mask_of(node, frame):
    from rules.vectorized import mask

    return mask(node, frame, {})


def test_not_equal_is_false_on_unknown():
    from rules.conditions import Compare

    frame = fact_frame([{"category": "child", "guardian_type": "parent"}, {"category": "child"}])
    assert mask_of(Compare("guardian_type", "ne", "none"), frame).tolist() == [True, False]


@pytest.mark.parametrize("income", [7799.99, 7800.0])
def test_income_at_the_line_matches(assessor, income):
    _same_findings(
        assessor, [{"category": "elder", "annual_income": income, "self_care": "partial"}]
    )


def test_empty_frame():
    assert fired_lists(evaluate_empty()) == []


def evaluate_empty():
    from rules.loader import load_ruleset

    return evaluate(load_ruleset(), fact_frame([{"category": "woman"}]).iloc[0:0])


def test_rows_with_more_than_64_rules_get_multiword_keys():
    from rules.vectorized import RuleMatrix

    values = np.zeros((3, 70), dtype=bool, order="F")
    values[0, 65] = values[1, 3] = values[2, 65] = True
    ids = tuple(f"r{j}" for j in range(70))
    assert fired_lists(RuleMatrix.from_values(values, ids)) == [("r65",), ("r3",), ("r65",)]


def test_matrix_is_boolean(assessor):
    frame = fact_frame(
        [
            build_fact(PERSON_ADAPTER.validate_python(p), assessor.ruleset)
            for p in generate(50, seed=9)
        ]
    )
    matrix = evaluate(assessor.ruleset, frame)
    assert matrix.values.dtype == np.bool_ and matrix.to_frame().shape == (50, len(matrix.rule_ids))
