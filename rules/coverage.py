"""Which rules implement each clause, and which cases exercise each rule.

A clause is covered by a rule that cites it, or by a rule whose intervention
cites it (3.1.5's emergency handling rides on the 3.1.4 rules). A rule is
exercised positively by a case where it fires, and negatively by a case that
gives a field the rule reads and where it does not fire.

Used by ``liushou rules coverage``.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from models.person import PERSON_ADAPTER
from rules.conditions import fields_of
from rules.datafile import check_clause, check_keys, read_yaml
from rules.facts import build_fact
from rules.loader import DATA_DIR, RuleSet


@dataclass
class Coverage:
    clause_rules: dict[str, list[str]]
    not_individual: dict[str, str]
    positive: dict[str, list[str]] = field(default_factory=dict)
    negative: dict[str, list[str]] = field(default_factory=dict)
    invalid_cases: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        found = [
            f"clause {c}: no rule implements it, and it is not marked not-individual"
            for c, rules in self.clause_rules.items()
            if not rules and c not in self.not_individual
        ]
        for rule_id in self.positive:
            if not self.positive[rule_id]:
                found.append(f"rule {rule_id}: no case where it fires")
            if not self.negative[rule_id]:
                found.append(f"rule {rule_id}: no case where it must not fire")
        return found + [f"case {name}: invalid input" for name in self.invalid_cases]


def load_not_individual(clauses: dict[str, str], data_dir: Path = DATA_DIR) -> dict[str, str]:
    raw = read_yaml(data_dir / "clauses.yaml")
    check_keys("clauses.yaml", "(file)", raw, {"not_individual"}, {"not_individual"})
    return {
        check_clause("clauses.yaml", f"not_individual.{c}", c, clauses): str(reason)
        for c, reason in raw["not_individual"].items()
    }


def load_cases(paths: list[Path]) -> list[tuple[str, dict]]:
    """(name, input) of every case in the YAML files under ``paths``."""
    cases = []
    for root in paths:
        files = sorted(root.rglob("*.yaml")) if root.is_dir() else [root]
        for path in files:
            for case in yaml.safe_load(path.read_text("utf-8")) or []:
                cases.append((f"{path.name}: {case['name']}", case["input"]))
    return cases


def coverage(
    ruleset: RuleSet, clauses: dict[str, str], cases: list[tuple[str, dict]], assessor: Any
) -> Coverage:
    result = Coverage(
        clause_rules={c: _implementing(ruleset, c) for c in clauses},
        not_individual=load_not_individual(clauses),
        positive={r.id: [] for r in ruleset.rules},
        negative={r.id: [] for r in ruleset.rules},
    )
    for name, raw in cases:
        try:
            person = PERSON_ADAPTER.validate_python(raw)
        except ValueError:
            result.invalid_cases.append(name)
            continue
        fired = {f.rule_id for f in assessor.assess(person).findings}
        known = set(build_fact(person, ruleset))  # given and derived facts
        for rule in ruleset.for_category(person.category):
            if rule.id in fired:
                result.positive[rule.id].append(name)
            elif fields_of(rule.when) & known:
                result.negative[rule.id].append(name)
    return result


def _implementing(ruleset: RuleSet, clause: str) -> list[str]:
    return [
        r.id
        for r in ruleset.rules
        if r.clause == clause or any(ruleset.actions[a].clause == clause for a in r.interventions)
    ]


def render(report: Coverage) -> str:
    """A plain-text table: clause, rules, cases (positive/negative)."""
    lines = []
    for clause, rules in report.clause_rules.items():
        if not rules:
            reason = report.not_individual.get(clause, "MISSING: no rule")
            lines.append(f"{clause:<6} not individual-level: {reason}")
            continue
        lines.append(f"{clause:<6} {len(rules)} rule(s)")
        for rule_id in rules:
            pos, neg = len(report.positive[rule_id]), len(report.negative[rule_id])
            lines.append(f"         {rule_id:<42} cases: {pos:>3} fire, {neg:>3} must not fire")
    return "\n".join(lines)
