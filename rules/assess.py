"""The pipeline for one person: fact → rules → findings → level → interventions.

>>> assessor = Assessor.build()                                   # doctest: +SKIP
>>> assessor.assess(PERSON_ADAPTER.validate_python({...})).risk_level   # doctest: +SKIP
"""

from uuid import uuid4

from models.assessment import Assessment
from rules.adapter import DatedEngine
from rules.conditions import fields_of, holds
from rules.facts import build_fact
from rules.loader import Rule, RuleSet, load_ruleset
from rules.outcome import VERIFY_ACTION, outcome
from rules.scoring import apply_model
from rules.seams import ModelScorer, PersonInput
from rules.vectorized import fact_frame

__all__ = ["VERIFY_ACTION", "Assessor"]


class Assessor:
    """Holds the loaded ruleset and its compiled engines; stateless per call.

    Each person is assessed with the parameter values in force on their
    ``assessment_date`` (``RuleSet.values_at``): facts, thresholds, points, cut-offs
    and deadlines alike.
    """

    def __init__(self, ruleset: RuleSet, engine: DatedEngine, model: ModelScorer | None = None):
        self.ruleset, self.engine = ruleset, engine
        self.model = model  # the optional calibrated model, passed in (rules.seams)
        self.ref = {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256}
        self._rules = {rule.id: rule for rule in ruleset.rules}
        self._evidence = {rule.id: sorted(fields_of(rule.when)) for rule in ruleset.rules}

    @classmethod
    def build(cls, ruleset: RuleSet | None = None, model: ModelScorer | None = None) -> "Assessor":
        """The one way to build an assessor (API, CLI, tests): rules compiled, model given."""
        ruleset = ruleset or load_ruleset()
        return cls(ruleset, DatedEngine(ruleset), model)

    def with_model(self, model: ModelScorer | None) -> "Assessor":
        """The same rules and compiled engines with another model (or none)."""
        return Assessor(self.ruleset, self.engine, model)

    def assess(self, person: PersonInput) -> Assessment:
        """The assessment of one validated person."""
        return Assessment.model_validate(self.assess_data(person))

    def assess_data(self, person: PersonInput) -> dict:
        """The same, as the plain data of an Assessment (for the hot HTTP path)."""
        day = person.assessment_date
        fact = build_fact(person, self.ruleset)
        fired = [self._rules[rule_id] for rule_id in self.engine.evaluate(fact, day)]
        model = self.model.score_fact(fact) if self.model else None
        return self.assemble(person, fact, fired, model)

    def assess_many(self, persons: list[PersonInput]) -> list[dict]:
        """Many validated persons at once: rules and assembly run column-wise
        (``rules.assess_bulk.assess_table``), findings and evidence per person."""
        from rules.assess_bulk import assess_table  # the column-wise assembler calls ours

        if not persons:
            return []
        facts = [build_fact(p, self.ruleset) for p in persons]
        days = [p.assessment_date for p in persons]
        table = assess_table(self.ruleset, fact_frame(facts), days, model=self.model)
        return [
            self._data(person, fact, table.patterns[k], table.level[i], table.model, i)
            for i, (person, fact, k) in enumerate(zip(persons, facts, table.pattern, strict=True))
        ]

    def _data(self, person, fact, pattern, level, blocks, i) -> dict:
        values = self.ruleset.values_at(person.assessment_date)
        fired = [self._rules[rule_id] for rule_id in pattern.rule_ids]
        findings = [self._finding(rule, fact, values) for rule in fired]
        return self._assessment(
            person,
            fact,
            findings,
            pattern.score,
            level,
            pattern.interventions,
            pattern.data_gaps,
            blocks[i] if blocks else None,
        )

    def assemble(
        self, person: PersonInput, fact: dict, fired: list[Rule], model: dict | None = None
    ) -> dict:
        """Everything after the rule stage of one person: Assessment data.

        ``model``: the optional model's block; its band may raise the level (rules.scoring).
        """
        day = person.assessment_date
        values = self.ruleset.values_at(day)
        findings = [self._finding(rule, fact, values) for rule in fired]
        gaps = self._gaps(person.category, fact, values)
        score, level, _, interventions = outcome(
            self.ruleset, person.category, fired, values, bool(gaps), self.ruleset.templates_at(day)
        )
        if model is not None:
            level, model = apply_model(level, model)
        return self._assessment(person, fact, findings, score, level, interventions, gaps, model)

    def _assessment(self, person, fact, findings, score, level, interventions, gaps, model):
        day = person.assessment_date
        return {
            "assessment_id": uuid4(),
            "person_id": person.person_id,
            "category": person.category,
            "left_behind": fact.get("left_behind"),
            "risk_level": level,
            "risk_level_zh": level.zh,
            "score": score,
            "score_breakdown": _breakdown(findings),
            "findings": findings,
            "interventions": interventions,
            "data_gaps": gaps,
            "ruleset": {**self.ref, "values_as_of": day},
            "assessment_date": day,
            "model": model,
        }

    def _finding(self, rule: Rule, fact: dict, values: dict) -> dict:
        return {
            "rule_id": rule.id,
            "title_zh": rule.title,
            "clause": rule.clause,
            "level": rule.level,
            "points": values[rule.points] if rule.points else 0,
            "dimension": rule.dimension,
            "evidence": {name: fact[name] for name in self._evidence[rule.id] if name in fact},
        }

    def _gaps(self, category: str, fact: dict, values: dict) -> list[dict]:
        """The needed facts that are unknown (where their gap's condition holds)."""
        needed = self.ruleset.data_gaps.get(category, {})
        return [
            {"field": f, "message_zh": gap.message}
            for f, gap in needed.items()
            if f not in fact and (gap.when is None or holds(gap.when, fact, values))
        ]


def _breakdown(findings: list[dict]) -> list[dict]:
    """Points per dimension, in the order the dimensions first appear."""
    parts: dict[str, dict] = {}
    for finding in findings:
        if finding["points"]:
            part = parts.setdefault(
                finding["dimension"],
                {"dimension": finding["dimension"], "points": 0, "rule_ids": []},
            )
            part["points"] += finding["points"]
            part["rule_ids"].append(finding["rule_id"])
    return list(parts.values())
