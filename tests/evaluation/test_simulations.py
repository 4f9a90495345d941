"""Simulations, backtests and sweeps: checked against per-person results and by hand."""

import copy
import itertools
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from evaluation import backtest, cohort, overrides, simulate, sweep
from evaluation.levels import LEVELS
from evaluation.overrides import OverrideError, apply
from fixtures.generate import generate
from fixtures.population import population, records
from models.person import PERSON_ADAPTER
from rules.assess import Assessor
from rules.facts import build_fact
from rules.loader import load_ruleset
from rules.vectorized import fact_frame
from service.cli import app

PROPOSAL = {"income.subsistence_line": 9000, "score.elder.high": 5, "points.elder.living_alone": 4}


@pytest.fixture(scope="module")
def persons():
    coverage = [PERSON_ADAPTER.validate_python(p) for p in generate(1500, seed=8)]
    realistic = [PERSON_ADAPTER.validate_python(r) for r in records(population(2500, seed=9))]
    return coverage + realistic


@pytest.fixture(scope="module")
def result(ruleset, persons):
    return simulate.run(
        cohort.from_persons(persons, ruleset), ruleset, PROPOSAL, changed_limit=10**6
    )


def per_person_levels(ruleset, persons, changes):
    scored = Assessor.build(overrides.apply(ruleset, changes)).assess_many(persons)
    return scored, np.array([a["risk_level"].rank for a in scored])


def test_transition_matrix_and_changes_match_per_person_results(ruleset, persons, result):
    base, before = per_person_levels(ruleset, persons, {})
    proposal, after = per_person_levels(ruleset, persons, PROPOSAL)
    for i, j in itertools.product(range(4), range(4)):
        expected = int(((before == i) & (after == j)).sum())
        assert result["transitions"][LEVELS[i]][LEVELS[j]] == expected
    assert result["levels"]["proposal"] == {
        n: int((after == k).sum()) for k, n in enumerate(LEVELS)
    }
    moved = [int(k) + 1 for k in np.flatnonzero(before != after)]
    assert result["changed"]["count"] == len(moved) > 0
    assert [p["row"] for p in result["changed"]["listed"]] == moved
    fired = {r["rule_id"]: r for r in result["rules"]}
    for rule_id, row in fired.items():
        assert row["baseline"] == sum(
            rule_id in [f["rule_id"] for f in a["findings"]] for a in base
        )
        assert row["proposal"] == sum(
            rule_id in [f["rule_id"] for f in a["findings"]] for a in proposal
        )
    actions = sum(len(a["interventions"]) for a in proposal)
    assert sum(w["proposal"] for w in result["workload"]) == actions


def test_divisions_add_up(result, persons):
    divisions = result["divisions"]
    assert sum(d["persons"] for d in divisions) == len(persons)
    assert sum(d["up"] + d["down"] for d in divisions) == result["changed"]["count"]
    for level in LEVELS:
        assert sum(d[f"proposal_{level}"] for d in divisions) == result["levels"]["proposal"][level]


def test_the_rules_in_force_are_never_changed(ruleset, persons):
    values, sha = copy.deepcopy(ruleset.values), ruleset.sha256
    simulate.run(cohort.from_persons(persons[:200], ruleset), ruleset, PROPOSAL)
    assert ruleset.values == values and ruleset.sha256 == sha == load_ruleset().sha256


def test_result_says_how_to_reproduce_it(ruleset, result, persons):
    again = simulate.run(cohort.from_persons(persons, ruleset), ruleset, PROPOSAL)
    assert result["reproduce"]["ruleset"]["sha256"] == ruleset.sha256
    assert result["reproduce"]["overrides"] == PROPOSAL
    assert again["reproduce"]["population"] == result["reproduce"]["population"]
    assert again["transitions"] == result["transitions"]
    other = cohort.from_persons(persons[:-1], ruleset)
    assert other.sha256 != result["reproduce"]["population"]["sha256"]


@pytest.mark.parametrize("name", [n for n, p in load_ruleset().parameters.items() if p.tunable])
def test_derived_facts_follow_every_tunable_parameter(ruleset, persons, name):
    """facts_for recomputes exactly what rules.facts.build_fact would under the proposal."""
    parameter = ruleset.parameters[name]
    value = parameter.max if parameter.max is not None else ruleset.values[name] * 2
    proposal = apply(ruleset, {name: value})
    sample = persons[::10]
    expected = fact_frame([build_fact(p, proposal) for p in sample])
    got = cohort.from_persons(sample, ruleset).facts_for(proposal)
    for column in expected.columns:
        np.testing.assert_array_equal(got[column].to_numpy(), expected[column].to_numpy(), column)


def test_backtest_by_hand():
    level = np.array([3, 2, 1, 0, 2, 0])
    outcome = np.array([1, 1, 0, 0, 0, 1])
    figures = backtest.backtest(level, np.zeros(6, dtype=int), outcome)
    medium, high, critical = figures["cutoffs"]
    assert (medium["flagged"], medium["precision"], medium["recall"]) == (4, 0.5, 2 / 3)
    assert medium["specificity"] == pytest.approx(1 / 3)
    assert (high["flagged"], high["precision"], high["recall"]) == (3, 2 / 3, 2 / 3)
    assert high["specificity"] == pytest.approx(2 / 3)
    assert (critical["flagged"], critical["precision"], critical["recall"]) == (1, 1.0, 1 / 3)
    assert critical["specificity"] == 1.0
    # positives 3000, 2000, 0 against negatives 1000, 0, 2000: 3 + 2.5 + 0.5 of 9 pairs
    assert figures["roc_auc"] == pytest.approx(6 / 9)
    assert figures["roc"]["fpr"][0] == 0 and figures["roc"]["tpr"][-1] == 1
    nobody = backtest.at_cutoffs(np.zeros(3, dtype=int), np.array([0, 1, 0]))
    assert nobody[0]["flagged"] == 0 and nobody[0]["precision"] is None


def test_backtest_of_counted_persons_equals_the_persons_one_by_one():
    """Weights (persons per level, points and outcome, as Spark counts them) give every
    figure the persons one by one give: cut-offs, curves and their areas."""
    rng = np.random.default_rng(3)
    level = rng.integers(0, 4, 5000)
    score = rng.integers(0, 12, 5000)
    outcome = (rng.random(5000) < 0.1 + 0.2 * level / 3).astype(np.int8)
    triples, counts = np.unique(np.c_[level, score, outcome], axis=0, return_counts=True)
    counted = backtest.backtest(triples[:, 0], triples[:, 1], triples[:, 2], counts)
    assert counted == backtest.backtest(level, score, outcome)
    assert counted["persons"] == 5000 and 0.5 < counted["roc_auc"] < 1


def test_simulation_backtest_side_by_side(ruleset):
    frame = population(3000, seed=4, outcomes=True)
    persons = [PERSON_ADAPTER.validate_python(r) for r in records(frame)]
    group = cohort.from_persons(persons, ruleset, frame["outcome"])
    result = simulate.run(group, ruleset, {"score.elder.high": 3})
    base, proposal = result["backtest"]["baseline"], result["backtest"]["proposal"]
    assert base["harmed"] == proposal["harmed"] == int(frame["outcome"].sum())
    # a lower cut-off flags more at high and above, so recall there cannot fall
    assert proposal["cutoffs"][1]["flagged"] >= base["cutoffs"][1]["flagged"]
    assert proposal["cutoffs"][1]["recall"] >= base["cutoffs"][1]["recall"]
    assert proposal["cutoffs"][2] == base["cutoffs"][2]  # critical comes from floors only


def test_sweep_evaluates_every_value_as_a_simulation_would(ruleset, persons):
    name, values = sweep.parse("income.subsistence_line=4000:9000:2500", ruleset)
    assert (name, values) == ("income.subsistence_line", [4000, 6500, 9000])
    group = cohort.from_persons(persons, ruleset)
    rows = sweep.run(group, ruleset, name, values)
    for row, value in zip(rows, values, strict=True):
        levels = simulate.run(group, ruleset, {name: value})["levels"]["proposal"]
        assert {k: row[k] for k in LEVELS} == levels
    assert rows[0]["workload"] <= rows[-1]["workload"]  # a higher line: more income rules fire
    assert sweep.plot(rows, name)[:4] == b"\x89PNG"
    assert sweep.parse("child.absence_days_threshold=1:5:2", ruleset)[1] == [1, 3, 5]


@pytest.mark.parametrize(
    ("assignment", "message", "kind", "values"),
    [
        ("elder.income_line=4200", "unknown parameter", "unknown", {}),
        ("score.elder.hihg=5", "Did you mean `score.elder.high`?", "unknown", {}),
        ("child.age_limit=14", "fixed by the policy", "fixed", {"reference": "3.1.1"}),
        ("child.revocation_neglect_months=3", "fixed by the policy", "fixed", {}),
        ("score.elder.high=five", "is not a number", "not_a_number", {"unit": "point"}),
        ("score.elder.high=5.5", "whole number", "not_whole", {"unit": "point"}),
        (
            "income.subsistence_line=4200 percent",
            "the unit is yuan_per_year",
            "unit",
            {"unit": "yuan_per_year", "given": "percent"},
        ),
        (
            "income.subsistence_line=500",
            "outside the declared range [1000, 30000]",
            "outside_range",
            {"value": 500, "low": 1000, "high": 30000, "unit": "yuan_per_year"},
        ),
        ("deadline.prompt=1000", "outside the declared range", "outside_range", {}),
        ("score.elder.high", "name=value", "syntax", {}),
    ],
)
def test_guard_rails(ruleset, assignment, message, kind, values):
    """Each guard rail says why in English and names its kind and values (for a page)."""
    with pytest.raises(
        OverrideError, match=message.replace("[", r"\[").replace("]", r"\]").replace("?", r"\?")
    ) as refused:
        overrides.parse([assignment], ruleset)
    assert refused.value.kind == kind
    assert values.items() <= refused.value.values.items()


def test_values_with_their_unit_are_accepted(ruleset):
    assert overrides.parse(["income.subsistence_line=9000 yuan_per_year"], ruleset) == {
        "income.subsistence_line": 9000
    }
    assert overrides.check({"model.band.high": 0.3}, ruleset) == {"model.band.high": 0.3}
    with pytest.raises(OverrideError, match="is not a number"):
        overrides.check({"score.elder.high": True}, ruleset)


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("score.elder.high=1:300:1", "sweep_too_many"),
        ("score.elder.high=5:3:1", "sweep_step"),
        ("score.elder.high=0:5:1", "outside_range"),
        ("score.elder.high=a:5:1", "sweep_numbers"),
        ("child.age_limit=14:16:1", "fixed"),
        ("x", "syntax"),
    ],
)
def test_sweep_guard_rails(ruleset, spec, kind):
    with pytest.raises(OverrideError) as refused:
        sweep.parse(spec, ruleset)
    assert refused.value.kind == kind


runner = CliRunner()


def test_cli_simulate_and_sweep(tmp_path):
    people = tmp_path / "people.csv"
    population(2000, seed=6, outcomes=True).to_csv(people, index=False)
    out, png = tmp_path / "result.json", tmp_path / "sweep.png"
    result = runner.invoke(
        app, ["simulate", str(people), "--set", "score.elder.high=4", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "2,000 persons scored, 0 rows rejected" in result.output and "backtest" in result.output
    saved = json.loads(out.read_text("utf-8"))
    assert saved["reproduce"]["overrides"] == {"score.elder.high": 4}
    result = runner.invoke(
        app, ["simulate", str(people), "--sweep", "score.elder.high=3:6:1", "--plot", str(png)]
    )
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:4] == b"\x89PNG" and "recall_high" in result.output
    for bad in (
        ["--set", "child.age_limit=14"],
        ["--set", "nope=1"],
        ["--sweep", "score.elder.high=1:2"],
    ):
        refused = runner.invoke(app, ["simulate", str(people), *bad])
        assert refused.exit_code == 2 and "simulate:" in refused.output
