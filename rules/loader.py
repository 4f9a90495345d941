"""Load and check the whole ruleset: rules, parameters, actions, departments.

Everything a rule names is checked here, at load time, and every error names
the file and the key (OpenFisca's way, not business-rules')::

    ruleset = load_ruleset()            # the rules shipped in rules/data
    ruleset.rule("child.lives_alone").clause  == "3.1.4"
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from models.enums import Category, RiskLevel
from models.fields import catalogue
from rules import conditions
from rules.actions import Action, check_parameter, load_actions
from rules.clauses import load_clauses, quotes_clause
from rules.datafile import check_clause, check_keys, read_yaml
from rules.departments import Department, load_departments
from rules.errors import RuleFileError, RulesError, did_you_mean
from rules.parameters import Parameter, load_parameters

DATA_DIR = Path(__file__).parent / "data"
RULESET_ID = "shouxian-2016-278"
RULESET_VERSION = "1.1.0"
# What the points of the periodic assessment measure: 3.2.3 names income, support and
# health for elders; for children we use guardianship, schooling, family economy, wellbeing.
DIMENSIONS = {
    "child": frozenset({"guardianship", "schooling", "economy", "wellbeing"}),
    "elder": frozenset({"income", "support", "health"}),
    "woman": frozenset(),
}
_RULE_KEYS = {
    "dimension",
    "id",
    "title",
    "clause",
    "text",
    "category",
    "when",
    "level",
    "points",
    "interventions",
    "note",
}
_RULE_REQUIRED = {"id", "title", "clause", "text", "category", "when"}


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    clause: str
    text: str
    category: str
    when: conditions.Condition
    level: RiskLevel | None
    points: str | None  # the name of a point parameter
    dimension: str | None  # what the points measure (DIMENSIONS)
    interventions: tuple[str, ...]
    note: str | None
    file: str


@dataclass
class RuleSet:
    rules: list[Rule]
    parameters: dict[str, Parameter]
    actions: dict[str, Action]
    departments: dict[str, Department]
    data_gaps: dict[str, dict[str, str]]
    as_of: date
    sha256: str
    id: str = RULESET_ID
    version: str = RULESET_VERSION
    values: dict[str, Any] = field(default_factory=dict)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def for_category(self, category: str) -> list[Rule]:
        return [r for r in self.rules if r.category == category]


def _interventions(file: str, where: str, raw: Any, actions: dict) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise RuleFileError(file, where, "must be a list of action codes")
    duplicated = {code for code in raw if raw.count(code) > 1}
    if duplicated:
        raise RuleFileError(file, where, f"action `{sorted(duplicated)[0]}` is listed twice")
    for code in raw:
        if code not in actions:
            hint = did_you_mean(str(code), actions)
            raise RuleFileError(file, where, f"unknown action `{code}`.{hint}")
    return tuple(raw)


def _rule(file: str, i: int, entry: Any, ruleset_parts: dict) -> Rule:
    where = f"rule[{i}]" if not isinstance(entry, dict) else f"rule {entry.get('id', f'[{i}]')}"
    check_keys(file, where, entry, _RULE_KEYS, _RULE_REQUIRED)
    clauses, params = ruleset_parts["clauses"], ruleset_parts["params"]
    clause = check_clause(file, f"{where}.clause", entry["clause"], clauses)
    if not quotes_clause(str(entry["text"]), clauses[clause]):
        raise RuleFileError(file, f"{where}.text", f"is not verbatim in clause {clause}")
    category = entry["category"]
    if category not in Category.__members__:
        raise RuleFileError(
            file, f"{where}.category", f"must be one of {list(Category.__members__)}"
        )
    level = entry.get("level")
    if level is not None and level not in RiskLevel.__members__:
        raise RuleFileError(file, f"{where}.level", f"must be one of {list(RiskLevel.__members__)}")
    points = entry.get("points")
    if points is not None:
        points = check_parameter(file, f"{where}.points", points, params, "point")
    dimension = _dimension(file, where, entry, category)
    ctx = conditions.Context(file, f"{where}.when", catalogue(category), params)
    return Rule(
        id=str(entry["id"]),
        title=str(entry["title"]),
        clause=clause,
        text=str(entry["text"]),
        category=category,
        when=conditions.parse(entry["when"], ctx),
        level=RiskLevel(level) if level else None,
        points=points,
        dimension=dimension,
        interventions=_interventions(
            file, f"{where}.interventions", entry.get("interventions", []), ruleset_parts["actions"]
        ),
        note=entry.get("note"),
        file=file,
    )


def _dimension(file: str, where: str, entry: dict, category: str) -> str | None:
    """Points need a dimension of the periodic assessment (3.2.3) and a dimension needs points."""
    dimension, allowed = entry.get("dimension"), DIMENSIONS[category]
    if ("points" in entry) != (dimension is not None):
        raise RuleFileError(file, f"{where}.dimension", "`points` and `dimension` go together")
    if dimension is not None and dimension not in allowed:
        hint = did_you_mean(str(dimension), allowed)
        raise RuleFileError(
            file, f"{where}.dimension", f"must be one of {sorted(allowed)} for {category}.{hint}"
        )
    return dimension


def _load_rules(policy_dir: Path, parts: dict) -> list[Rule]:
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in sorted(policy_dir.glob("*.yaml")):
        raw = read_yaml(path)
        if not isinstance(raw, list):
            raise RuleFileError(path.name, "(file)", "must be a list of rules")
        for i, entry in enumerate(raw):
            rule = _rule(path.name, i, entry, parts)
            if rule.id in seen:
                raise RuleFileError(
                    path.name, f"rule {rule.id}.id", f"duplicate rule id (first in {seen[rule.id]})"
                )
            seen[rule.id] = path.name
            rules.append(rule)
    if not rules:
        raise RulesError(f"{policy_dir}: no rule files (*.yaml)")
    return rules


def _data_gaps(path: Path) -> dict[str, dict[str, str]]:
    raw = read_yaml(path)
    check_keys(path.name, "data_gaps", raw, Category.__members__, Category.__members__)
    for category, entries in raw.items():
        fields = catalogue(category)
        for name in entries or {}:
            if name not in fields:
                hint = did_you_mean(str(name), fields)
                raise RuleFileError(
                    path.name, f"{category}.{name}", f"unknown field `{name}`.{hint}"
                )
    return {category: dict(entries or {}) for category, entries in raw.items()}


def _digest(data_dir: Path) -> str:
    """sha256 over every data file the ruleset is built from, in a fixed order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in data_dir.rglob("*") if p.suffix in (".yaml", ".md")):
        digest.update(path.relative_to(data_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _check_cutoffs(rules: list[Rule], params: dict[str, Parameter]) -> None:
    for category in {r.category for r in rules if r.points}:
        for level in ("medium", "high"):
            if f"score.{category}.{level}" not in params:
                raise RuleFileError(
                    "parameters.yaml",
                    f"score.{category}.{level}",
                    f"{category} rules give points, so this cut-off is required",
                )


def load_ruleset(data_dir: Path = DATA_DIR, as_of: date | None = None) -> RuleSet:
    """Load everything under ``data_dir``; raise RulesError naming the file and the key."""
    as_of = as_of or date.today()
    clauses = load_clauses(data_dir / "policy-text.md")
    params = load_parameters(data_dir / "parameters.yaml", clauses)
    departments = load_departments(data_dir / "departments.yaml")
    actions = load_actions(data_dir / "actions.yaml", clauses, departments, params)
    parts = {"clauses": clauses, "params": params, "actions": actions}
    rules = _load_rules(data_dir / "policy", parts)
    _check_cutoffs(rules, params)
    values = {name: p.value_at(as_of) for name, p in params.items()}
    return RuleSet(
        rules=rules,
        parameters=params,
        actions=actions,
        departments=departments,
        data_gaps=_data_gaps(data_dir / "data_gaps.yaml"),
        as_of=as_of,
        sha256=_digest(data_dir),
        values=values,
    )


def describe(rule: Rule) -> dict[str, Any]:
    """The public form of a rule (GET /v1/rules)."""
    return {
        "rule_id": rule.id,
        "title_zh": rule.title,
        "clause": rule.clause,
        "text": rule.text,
        "category": rule.category,
        "conditions": conditions.to_data(rule.when),
        "level": rule.level.value if rule.level else None,
        "points": rule.points,
        "dimension": rule.dimension,
        "interventions": list(rule.interventions),
        "note": rule.note,
    }
