"""What a change of parameters does to a population: baseline against proposal.

Both are evaluated column-wise (``evaluation.levels``) on the same facts, the
proposal on a copy of the ruleset (the rules in force are never changed). The
result is plain data (JSON): level distributions, the transition matrix, fire
counts per rule, changes by township and village, the workload per department
and deadline, the persons whose level changed (masked), a backtest where the
outcome is known, and what it takes to reproduce it (ruleset sha256, overrides,
population sha256).
"""

import numpy as np
import pandas as pd

from evaluation import levels as lv
from evaluation.backtest import backtest
from evaluation.cohort import Cohort
from evaluation.overrides import apply
from rules.loader import RuleSet
from rules.seams import ModelScorer

CHANGED_LIMIT = 1000  # persons listed; the count is always whole


def run(
    cohort: Cohort,
    ruleset: RuleSet,
    overrides: dict,
    changed_limit: int = CHANGED_LIMIT,
    model: ModelScorer | None = None,
) -> dict:
    """``model``: a ModelScorer applied to baseline and proposal alike, or None (rules
    only); the result's ``model`` says which."""
    proposal_rules = apply(ruleset, overrides)
    base = lv.score_cohort(ruleset, cohort, model)
    proposal = lv.score_cohort(proposal_rules, cohort, model)
    result = {
        "reproduce": {
            "ruleset": {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256},
            "overrides": dict(overrides),
            "population": {"persons": len(cohort), "sha256": cohort.sha256},
            "model": model_used(model),
        },
        "levels": {
            "baseline": lv.level_counts(base.level),
            "proposal": lv.level_counts(proposal.level),
        },
        "transitions": transitions(base.level, proposal.level),
        "rules": _rules(ruleset, base, proposal),
        "divisions": _divisions(cohort, base.level, proposal.level),
        "workload": _workload(ruleset, proposal_rules, base, proposal),
        "changed": _changed(cohort, base.level, proposal.level, changed_limit),
    }
    if cohort.outcome is not None:
        result["backtest"] = {
            "baseline": backtest(base.level, base.score, cohort.outcome),
            "proposal": backtest(proposal.level, proposal.score, cohort.outcome),
        }
    return result


def model_used(model: ModelScorer | None) -> dict:
    """Whether the optional model raised levels in this run, and which one."""
    if model is None:
        return {"applied": False, "model_version": None}
    return {"applied": True, "model_version": model.version}


def transitions(before: np.ndarray, after: np.ndarray) -> dict[str, dict[str, int]]:
    """``{from level: {to level: persons}}``, every level present."""
    table = np.zeros((len(lv.LEVELS), len(lv.LEVELS)), dtype=np.int64)
    np.add.at(table, (before.astype(np.intp), after.astype(np.intp)), 1)
    return transition_dict(table)


def transition_dict(table: np.ndarray) -> dict[str, dict[str, int]]:
    """``transitions`` from its table: persons by (baseline rank, proposal rank)."""
    return {
        source: {target: int(table[i, j]) for j, target in enumerate(lv.LEVELS)}
        for i, source in enumerate(lv.LEVELS)
    }


def _rules(ruleset: RuleSet, base: lv.Scored, proposal: lv.Scored) -> list[dict]:
    return rule_changes(ruleset, base.fires.sum(axis=0), proposal.fires.sum(axis=0))


def rule_changes(ruleset: RuleSet, before, after) -> list[dict]:
    """Persons each rule fires for, baseline and proposal (in ruleset order)."""
    return [
        {
            "rule_id": rule.id,
            "clause": rule.clause,
            "baseline": int(b),
            "proposal": int(a),
            "change": int(a) - int(b),
        }
        for rule, b, a in zip(ruleset.rules, before, after, strict=True)
    ]


def _workload(
    ruleset: RuleSet, proposal_rules: RuleSet, base: lv.Scored, proposal: lv.Scored
) -> list[dict]:
    return workload_changes(lv.workload(ruleset, base), lv.workload(proposal_rules, proposal))


def workload_changes(before: pd.DataFrame, after: pd.DataFrame) -> list[dict]:
    """Person-actions per department and deadline (a person given two of a department's
    actions counts twice; an action's deadline may itself be a proposal), from the
    baseline's and the proposal's ``levels.workload``."""
    keys = ["department", "department_zh", "deadline_hours"]
    baseline = before.groupby(keys)["persons"].sum().rename("baseline")
    proposal = after.groupby(keys)["persons"].sum().rename("proposal")
    table = pd.concat([baseline, proposal], axis=1).fillna(0).astype(int).reset_index()
    table["change"] = table["proposal"] - table["baseline"]
    table = table[(table["baseline"] > 0) | (table["proposal"] > 0)]
    return table.sort_values(["deadline_hours", "department"]).to_dict("records")


def _divisions(cohort: Cohort, before: np.ndarray, after: np.ndarray) -> list[dict]:
    frame = cohort.people[["township", "village"]].copy()
    frame["up"] = after > before
    frame["down"] = after < before
    for rank, name in enumerate(lv.LEVELS):
        frame[f"baseline_{name}"] = before == rank
        frame[f"proposal_{name}"] = after == rank
    table = frame.groupby(["township", "village"], sort=True).sum()
    table.insert(0, "persons", frame.groupby(["township", "village"], sort=True).size())
    places = table.index.to_frame(index=False)
    return [
        {"township": t, "village": v, **{k: int(x) for k, x in row.items()}}
        for t, v, (_, row) in zip(
            places["township"], places["village"], table.iterrows(), strict=True
        )
    ]


def _changed(cohort: Cohort, before: np.ndarray, after: np.ndarray, limit: int) -> dict:
    moved = np.flatnonzero(before != after)
    people = cohort.people.iloc[moved[:limit]]
    listed = [
        {
            **{k: (None if pd.isna(v) else v) for k, v in person.items()},
            "from": lv.LEVELS[before[i]],
            "to": lv.LEVELS[after[i]],
        }
        for i, person in zip(moved[:limit], people.to_dict("records"), strict=True)
    ]
    return {"count": len(moved), "listed": listed}
