"""Per-assessment cost of the rule stage, with the full ruleset loaded.

Prints, in the same run, microseconds per fact for:
  reference   the plain-Python condition evaluator (rules.conditions.holds), baseline
  durable     the durable_rules adapter (assert + actions + delete, under its lock)
  assess      the whole pipeline for one person (fact, rules, level, interventions)
and the ratios to the baseline.

    python benchmarks/engine.py [--n 20000]
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.person import PERSON_ADAPTER
from rules.assess import Assessor
from rules.conditions import holds
from rules.facts import build_fact


def population(n: int, seed: int = 0) -> list:
    rng = random.Random(seed)
    flags = [
        "lives_alone",
        "missing",
        "suspected_injury",
        "suspected_domestic_violence",
        "abandoned",
        "serious_harm",
        "unsupervised_in_danger",
        "guardian_refuses_correction",
    ]
    elder_flags = [
        "wandering_begging",
        "critical_condition",
        "major_difficulty",
        "severe_mental_illness",
        "suspected_unlawful_harm",
    ]
    people = []
    for _ in range(n):
        if rng.random() < 0.5:
            raw = {
                "category": "child",
                "age": rng.randint(0, 17),
                "guardian_capacity": rng.choice(["full", "limited", "none", None]),
                "father_status": rng.choice(["home", "migrant", "deceased", None]),
                "mother_status": rng.choice(["home", "migrant", None]),
            }
            chosen = flags
        else:
            raw = {
                "category": "elder",
                "age": rng.randint(55, 95),
                "children_count": 2,
                "children_away_count": rng.randint(0, 2),
            }
            chosen = elder_flags
        for flag in chosen:
            if rng.random() < 0.1:
                raw[flag] = rng.random() < 0.6
        people.append(
            PERSON_ADAPTER.validate_python({k: v for k, v in raw.items() if v is not None})
        )
    return people


def per_item(fn, items) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return (time.perf_counter() - start) / len(items) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    args = parser.parse_args()
    assessor = Assessor.build()
    ruleset, values = assessor.ruleset, assessor.ruleset.values
    people = population(args.n)
    facts = [build_fact(p, ruleset, values) for p in people]
    by_category = {c: ruleset.for_category(c) for c in ("child", "elder", "woman")}

    def reference(fact):
        return [r.id for r in by_category[fact["category"]] if holds(r.when, fact, values)]

    assert all(reference(f) == assessor.engine.evaluate(f) for f in facts[:2000])
    per_item(assessor.engine.evaluate, facts[:500])  # warm-up
    timings = {
        "reference": per_item(reference, facts),
        "durable": per_item(assessor.engine.evaluate, facts),
        "assess": per_item(assessor.assess_data, people),
    }
    fired = sum(len(assessor.engine.evaluate(f)) for f in facts) / len(facts)
    print(f"{len(ruleset.rules)} rules, {args.n} persons, {fired:.2f} rules fired per person")
    for name, micro in timings.items():
        ratio = micro / timings["reference"]
        print(
            f"{name:<10} {micro:8.1f} µs/person   {1e6 / micro:10.0f} persons/s   "
            f"{ratio:5.2f}x reference"
        )


if __name__ == "__main__":
    main()
