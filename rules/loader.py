"""Load and check the whole ruleset: rules, parameters, actions, departments.

Everything a rule names is checked here, at load time, and every error names
the file and the key (OpenFisca's way, not business-rules')::

    ruleset = load_ruleset()            # the rules shipped in rules/data
    ruleset.rule("child.lives_alone").clause  == "3.1.4"
"""

import bisect
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.enums import Category, RiskLevel
from models.fields import catalogue
from rules import conditions
from rules.actions import Action, check_parameter, load_actions
from rules.clauses import load_clauses, quotes_clause
from rules.datafile import check_clause, check_keys, read_yaml
from rules.departments import Department, load_departments
from rules.errors import PeriodError, RuleFileError, RulesError, UnknownRule, did_you_mean
from rules.parameters import Parameter, load_parameters
from rules.routing import action_templates

DATA_DIR = Path(__file__).parent / "data"
RULESET_ID = "shouxian-2016-278"
RULESET_VERSION = "1.2.0"
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


@dataclass(frozen=True)
class Derived:
    """A three-valued derived fact defined by conditions (rules/data/derived.yaml):
    false where ``false`` holds (checked first), true where ``true`` holds, else unknown."""

    false: conditions.Condition
    true: conditions.Condition

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """The facts it reads (its value depends on these alone, and the parameters)."""
        return tuple(sorted(conditions.fields_of(self.false) | conditions.fields_of(self.true)))

    @cached_property
    def params(self) -> tuple[str, ...]:
        """The parameters it compares with."""
        return tuple(sorted(conditions.params_of(self.false) | conditions.params_of(self.true)))

    @cached_property
    def memo(self) -> dict[tuple, bool | None]:
        """Answers remembered by (parameter values, facts read): rules.facts fills it."""
        return {}


@dataclass(frozen=True)
class Gap:
    """A fact a safety rule needs: listed in data_gaps when unknown (and ``when`` holds)."""

    message: str
    when: conditions.Condition | None = None


@dataclass(frozen=True)
class RuleSet:
    """The rules, parameters, actions and departments in force.

    Parameter values depend on the date (OpenFisca's ``parameters(period)``): each
    person is assessed with ``values_at(person.assessment_date)``, the values whose
    effective date is on or before that day. ``overrides`` (an analyst's proposal)
    replace values on every date. ``values`` is a shorthand for ``values_at(as_of)``.
    """

    rules: list[Rule]
    parameters: dict[str, Parameter]
    actions: dict[str, Action]
    departments: dict[str, Department]
    data_gaps: dict[str, dict[str, Gap]]
    as_of: date
    sha256: str
    id: str = RULESET_ID
    version: str = RULESET_VERSION
    score_actions: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    derived: dict[str, dict[str, "Derived"]] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    _by_period: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _templates: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    # rules.assess_bulk's finished patterns, shared by the pieces of a streamed sheet
    patterns: OrderedDict = field(
        default_factory=OrderedDict, init=False, repr=False, compare=False
    )

    @cached_property
    def first_day(self) -> date:
        """The first day on which every parameter has a value."""
        return max(min(p.values) for p in self.parameters.values())

    @cached_property
    def periods(self) -> tuple[date, ...]:
        """The days on which some value changes, from ``first_day`` on, in order."""
        first = self.first_day
        days = {d for p in self.parameters.values() for d in p.values if d > first}
        return (first, *sorted(days))

    def period_of(self, day: date) -> date:
        """The start of the period ``day`` falls in (values are constant within it)."""
        if day < self.first_day:
            raise PeriodError(day, self.first_day)
        return self.periods[bisect.bisect_right(self.periods, day) - 1]

    def values_at(self, day: date) -> dict[str, Any]:
        """Every parameter's value in force on ``day`` (then the overrides); cached per
        period, so that any number of distinct days costs no memory."""
        start = self.period_of(day)
        values = self._by_period.get(start)
        if values is None:
            values = {name: p.value_at(start) for name, p in self.parameters.items()}
            values = self._by_period[start] = {**values, **self.overrides}
        return values

    def templates_at(self, day: date) -> dict[str, dict]:
        """Each action's public fields, deadlines as in force on ``day``; cached per period
        (one person's assessment and a whole table's patterns share them)."""
        start = self.period_of(day)
        templates = self._templates.get(start)
        if templates is None:
            templates = self._templates[start] = action_templates(self, self.values_at(start))
        return templates

    @property
    def values(self) -> dict[str, Any]:
        return self.values_at(self.as_of)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise UnknownRule(rule_id, [r.id for r in self.rules])

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


def _data_gaps(path: Path, params: dict[str, Parameter]) -> dict[str, dict[str, Gap]]:
    """``{category: {field: Gap}}``; an entry is a message, or ``{message, when}``."""
    raw = read_yaml(path)
    check_keys(path.name, "data_gaps", raw, Category.__members__, Category.__members__)
    gaps: dict[str, dict[str, Gap]] = {}
    for category, entries in raw.items():
        fields = catalogue(category)
        gaps[category] = {}
        for name, entry in (entries or {}).items():
            where = f"{category}.{name}"
            if name not in fields:
                hint = did_you_mean(str(name), fields)
                raise RuleFileError(path.name, where, f"unknown field `{name}`.{hint}")
            if not isinstance(entry, dict):
                gaps[category][name] = Gap(str(entry))
                continue
            check_keys(path.name, where, entry, {"message", "when"}, {"message", "when"})
            ctx = conditions.Context(path.name, f"{where}.when", fields, params)
            gaps[category][name] = Gap(str(entry["message"]), conditions.parse(entry["when"], ctx))
    return gaps


def _score_actions(path: Path, actions: dict) -> dict[str, dict[str, tuple[str, ...]]]:
    """``{category: {level: action codes}}``: what the periodic assessment's points order."""
    raw = read_yaml(path) or {}
    check_keys(path.name, "score_actions", raw, Category.__members__, set())
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for category, by_level in raw.items():
        check_keys(path.name, category, by_level, {"medium", "high"}, set())
        out[category] = {
            level: _interventions(path.name, f"{category}.{level}", codes, actions)
            for level, codes in by_level.items()
        }
    return out


def _derived(path: Path, params: dict[str, Parameter]) -> dict[str, dict[str, Derived]]:
    """``{category: {fact: Derived}}`` from derived.yaml; a fact may not read itself."""
    raw = read_yaml(path)
    check_keys(path.name, "derived", raw, {"left_behind"}, {"left_behind"})
    out: dict[str, dict[str, Derived]] = {c: {} for c in Category.__members__}
    for name, by_category in raw.items():
        check_keys(path.name, name, by_category, Category.__members__, Category.__members__)
        for category, entry in by_category.items():
            where = f"{name}.{category}"
            # YAML reads the keys false/true as booleans
            entry = {str(k).lower(): v for k, v in (entry or {}).items()}
            check_keys(path.name, where, entry, {"false", "true"}, {"false", "true"})
            fields = catalogue(category)
            parsed = {
                key: conditions.parse(
                    entry[key], conditions.Context(path.name, f"{where}.{key}", fields, params)
                )
                for key in ("false", "true")
            }
            for key, node in parsed.items():
                if name in conditions.fields_of(node):
                    raise RuleFileError(path.name, f"{where}.{key}", f"`{name}` cannot read itself")
            out[category][name] = Derived(parsed["false"], parsed["true"])
    return out


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
    return RuleSet(
        rules=rules,
        parameters=params,
        actions=actions,
        departments=departments,
        data_gaps=_data_gaps(data_dir / "data_gaps.yaml", params),
        score_actions=_score_actions(data_dir / "score_actions.yaml", actions),
        derived=_derived(data_dir / "derived.yaml", params),
        as_of=as_of,
        sha256=_digest(data_dir),
    )


def as_days(days) -> np.ndarray:
    """Days (dates, date texts, datetime64) as datetime64[D]. An object column of dates is
    converted once per distinct day (numpy converts each date object on its own: a
    tenth of a column-wise review's time before)."""
    values = days if isinstance(days, np.ndarray) else np.asarray(days)
    if values.dtype != object or not len(values):
        return values.astype("datetime64[D]", copy=False)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.append(np.asarray(uniques, dtype="datetime64[D]"), np.datetime64("NaT", "D"))
    return table[codes]


def period_groups(ruleset: RuleSet, days) -> list[tuple[date, np.ndarray]]:
    """Row positions grouped by the parameter period their day falls in, in period order.

    >>> period_groups(ruleset, [date(2025, 12, 31), date(2026, 1, 1)])   # doctest: +SKIP
    [(datetime.date(2016, 9, 6), array([0])), (datetime.date(2026, 1, 1), array([1]))]
    """
    days = as_days(days)
    if len(days) == 0:  # no rows: one empty group, so that callers need no special case
        return [(ruleset.period_of(ruleset.as_of), np.arange(0))]
    starts = np.array(ruleset.periods, dtype="datetime64[D]")
    index = np.searchsorted(starts, days, side="right") - 1
    if len(index) and index.min() < 0:
        raise PeriodError(days[index.argmin()].item(), ruleset.first_day)
    if len(index) and index.min() == index.max():  # the common case: one period
        return [(ruleset.periods[int(index[0])], np.arange(len(index)))]
    return [(ruleset.periods[i], np.flatnonzero(index == i)) for i in np.unique(index)]


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
