"""The pipeline for one person: fact → rules → findings → level → interventions.

>>> assessor = Assessor.build()                                   # doctest: +SKIP
>>> assessor.assess(PERSON_ADAPTER.validate_python({...})).risk_level   # doctest: +SKIP
"""

from typing import Any
from uuid import uuid4

from models.assessment import Assessment
from rules.adapter import DurableEngine
from rules.conditions import fields_of
from rules.facts import build_fact
from rules.loader import Rule, RuleSet, load_ruleset
from rules.routing import action_templates, route
from rules.scoring import apply_model, final_level
from rules.vectorized import evaluate, fact_frame, fired_lists

VERIFY_ACTION = "verify_data"


class Assessor:
    """Holds the loaded ruleset and its compiled engine; stateless per call."""

    def __init__(self, ruleset: RuleSet, engine: DurableEngine, model: Any = None):
        self.ruleset, self.engine = ruleset, engine
        self.model = model  # evaluation.serving.ModelScorer, when a model is configured
        self.ref = {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256}
        self._templates = action_templates(ruleset)
        self._rules = {rule.id: rule for rule in ruleset.rules}
        self._evidence = {rule.id: sorted(fields_of(rule.when)) for rule in ruleset.rules}

    @classmethod
    def build(cls, ruleset: RuleSet | None = None) -> "Assessor":
        ruleset = ruleset or load_ruleset()
        return cls(ruleset, DurableEngine.from_ruleset(ruleset))

    def assess(self, person: Any) -> Assessment:
        """The assessment of one validated person."""
        return Assessment.model_validate(self.assess_data(person))

    def assess_data(self, person: Any) -> dict:
        """The same, as the plain data of an Assessment (for the hot HTTP path)."""
        fact = build_fact(person, self.ruleset.values)
        fired = [self._rules[rule_id] for rule_id in self.engine.evaluate(fact)]
        model = self.model.score_fact(fact) if self.model else None
        return self.assemble(person, fact, fired, model)

    def assess_many(self, persons: list) -> list[dict]:
        """Many validated persons at once: the rule stage runs column-wise (rules.vectorized)."""
        facts = [build_fact(person, self.ruleset.values) for person in persons]
        if not facts:
            return []
        frame = fact_frame(facts)
        fired_ids = fired_lists(evaluate(self.ruleset, frame))
        models = self.model.blocks(frame) if self.model else [None] * len(facts)
        return [
            self.assemble(person, fact, [self._rules[rule_id] for rule_id in ids], model)
            for person, fact, ids, model in zip(persons, facts, fired_ids, models, strict=True)
        ]

    def assemble(
        self, person: Any, fact: dict, fired: list[Rule], model: dict | None = None
    ) -> dict:
        """Everything after the rule stage, shared by every evaluator: Assessment data.

        ``model``: the optional model's block; its band may raise the level (rules.scoring).
        """
        values = self.ruleset.values
        findings = [self._finding(rule, fact) for rule in fired]
        score = sum(f["points"] for f in findings)
        level = final_level([rule.level for rule in fired], score, person.category, values)
        if model is not None:
            level, model = apply_model(level, model)
        gaps = self._gaps(person.category, fact)
        extra = [VERIFY_ACTION] if gaps else []
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
            "interventions": route(fired, self._templates, extra),
            "data_gaps": gaps,
            "ruleset": self.ref,
            "assessment_date": person.assessment_date,
            "model": model,
        }

    def _finding(self, rule: Rule, fact: dict) -> dict:
        return {
            "rule_id": rule.id,
            "title_zh": rule.title,
            "clause": rule.clause,
            "level": rule.level,
            "points": self.ruleset.values[rule.points] if rule.points else 0,
            "dimension": rule.dimension,
            "evidence": {name: fact[name] for name in self._evidence[rule.id] if name in fact},
        }

    def _gaps(self, category: str, fact: dict) -> list[dict]:
        needed = self.ruleset.data_gaps.get(category, {})
        return [{"field": f, "message_zh": msg} for f, msg in needed.items() if f not in fact]


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
