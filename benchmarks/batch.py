"""The rule stage for whole populations: vectorized vs durable_rules vs a Python loop.

Prints persons/s (best of --repeat runs each) for, in the same run:
  vectorized   rules.vectorized over a fact DataFrame, with per-person findings lists
  durable      the durable_rules adapter, one fact at a time
  python loop  the plain-Python reference evaluator, one fact at a time
and the peak memory of the vectorized run. Targets (issue 4): >= 1,000,000
persons/s and >= 200x the durable_rules path.

    python benchmarks/batch.py [--n 1000000] [--sample 20000]
"""

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from fixtures.generate import generate
from models.person import PERSON_ADAPTER
from rules.assess import Assessor
from rules.conditions import holds
from rules.facts import build_fact
from rules.vectorized import evaluate, fact_frame, fired_lists


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f} persons/s"


def best_of(repeat: int, work):
    """The fastest of ``repeat`` runs (seconds, the least noisy figure), the first, the result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), times[0], result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="distinct generated persons")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs each")
    args = parser.parse_args()
    assessor = Assessor.build()
    ruleset, values = assessor.ruleset, assessor.ruleset.values
    persons = [PERSON_ADAPTER.validate_python(p) for p in generate(args.sample, seed=0)]
    facts = [build_fact(p, ruleset, values) for p in persons]
    sample = fact_frame(facts)
    repeats = -(-args.n // len(sample))
    frame = pd.concat([sample] * repeats, ignore_index=True).iloc[: args.n]

    vectorized, cold, lists = best_of(args.repeat, lambda: fired_lists(evaluate(ruleset, frame)))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    durable, _, durable_lists = best_of(
        args.repeat, lambda: [assessor.engine.evaluate(f) for f in facts]
    )
    assert durable_lists == [list(ids) for ids in lists[: len(facts)]], "the evaluators disagree"

    by_category = {c: ruleset.for_category(c) for c in ("child", "elder", "woman")}
    start = time.perf_counter()
    for fact in facts:
        [r.id for r in by_category[fact["category"]] if holds(r.when, fact, values)]
    loop = time.perf_counter() - start

    per_vectorized = args.n / vectorized
    print(f"{len(ruleset.rules)} rules; {args.n:,} persons ({args.sample:,} distinct, repeated)")
    print(
        f"vectorized   {rate(args.n, vectorized)}   ({vectorized:.2f} s, findings lists included;"
        f" first run {cold:.2f} s)"
    )
    print(f"durable      {rate(len(facts), durable)}")
    print(f"python loop  {rate(len(facts), loop)}")
    over_durable = per_vectorized / (len(facts) / durable)
    print(f"vectorized / durable     {over_durable:8.0f}x  (target >= 200x)")
    print(f"vectorized / python loop {per_vectorized / (len(facts) / loop):8.0f}x")
    print(f"peak RSS {peak_mb:,.0f} MB (process, after the vectorized run)")
    print(f"targets met: {per_vectorized >= 1_000_000 and over_durable >= 200}")


if __name__ == "__main__":
    main()
