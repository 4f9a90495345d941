"""The pipeline for one person: fact → rules → findings → level → interventions.

>>> assessor = Assessor.build()                                   # doctest: +SKIP
>>> assessor.assess(PERSON_ADAPTER.validate_python({...})).risk_level   # doctest: +SKIP
"""

from typing import Any

from models.assessment import Assessment, DataGap, Finding, RulesetRef
from rules.adapter import DurableEngine
from rules.conditions import fields_of
from rules.facts import build_fact
from rules.loader import Rule, RuleSet, load_ruleset
from rules.routing import route
from rules.scoring import final_level

VERIFY_ACTION = "verify_data"


class Assessor:
    """Holds the loaded ruleset and its compiled engine; stateless per call."""

    def __init__(self, ruleset: RuleSet, engine: DurableEngine):
        self.ruleset, self.engine = ruleset, engine
        self.ref = RulesetRef(id=ruleset.id, version=ruleset.version, sha256=ruleset.sha256)

    @classmethod
    def build(cls, ruleset: RuleSet | None = None) -> "Assessor":
        ruleset = ruleset or load_ruleset()
        return cls(ruleset, DurableEngine.from_ruleset(ruleset))

    def assess(self, person: Any) -> Assessment:
        fact = build_fact(person, self.ruleset.values)
        fired = [self.ruleset.rule(rule_id) for rule_id in self.engine.evaluate(fact)]
        return self.assemble(person, fact, fired)

    def assemble(self, person: Any, fact: dict, fired: list[Rule]) -> Assessment:
        """Everything after the rule stage; shared by every evaluator."""
        values = self.ruleset.values
        findings = [self._finding(rule, fact) for rule in fired]
        score = sum(f.points for f in findings)
        level = final_level([f.level for f in findings], score, person.category, values)
        gaps = self._gaps(person.category, fact)
        extra = [(VERIFY_ACTION, "")] if gaps else []
        return Assessment(
            person_id=person.person_id,
            category=person.category,
            left_behind=fact.get("left_behind"),
            risk_level=level,
            risk_level_zh=level.zh,
            score=score,
            findings=findings,
            interventions=route(fired, self.ruleset, extra),
            data_gaps=gaps,
            ruleset=self.ref,
            assessment_date=person.assessment_date,
        )

    def _finding(self, rule: Rule, fact: dict) -> Finding:
        evidence = {name: fact[name] for name in sorted(fields_of(rule.when)) if name in fact}
        points = self.ruleset.values[rule.points] if rule.points else 0
        return Finding(
            rule_id=rule.id,
            title_zh=rule.title,
            clause=rule.clause,
            level=rule.level,
            points=points,
            evidence=evidence,
        )

    def _gaps(self, category: str, fact: dict) -> list[DataGap]:
        needed = self.ruleset.data_gaps.get(category, {})
        return [
            DataGap(field=name, message_zh=msg) for name, msg in needed.items() if name not in fact
        ]
