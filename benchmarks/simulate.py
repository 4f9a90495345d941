"""Analysts' sweeps: 20 values of a parameter over 100,000 persons, beside one evaluation.

Generates ``--n`` persons (fixtures.population, seed 0, with outcomes), takes
their facts once, then times in the same run:
  one evaluation   the baseline scored column-wise (evaluation.levels)
  one simulation   baseline against a proposal, with every table of the result
  sweep            ``--points`` values of income.subsistence_line (facts re-derived each time)
Target (issue 6): a 20-point sweep over 100,000 persons in under 5 s on 2 cores.

    python benchmarks/simulate.py [--n 100000] [--points 20]
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluation import cohort, levels, simulate, sweep
from fixtures.population import population, records
from models.person import PERSON_ADAPTER
from rules.loader import load_ruleset


def timed(work):
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=20)
    args = parser.parse_args()
    ruleset = load_ruleset()
    frame = population(args.n, seed=0, outcomes=True)
    load, group = timed(
        lambda: cohort.from_persons(
            [PERSON_ADAPTER.validate_python(r) for r in records(frame)], ruleset, frame["outcome"]
        )
    )
    one, _ = timed(lambda: levels.score_cohort(ruleset, group))
    proposal = {"income.subsistence_line": 9000, "score.elder.high": 5}
    simulation, _ = timed(lambda: simulate.run(group, ruleset, proposal))
    spec = f"income.subsistence_line=4000:{4000 + 500 * (args.points - 1)}:500"
    name, values = sweep.parse(spec, ruleset)
    swept, rows = timed(lambda: sweep.run(group, ruleset, name, values))
    print(f"{args.n:,} persons (validated and their facts taken once: {load:.1f} s)")
    print(f"one evaluation            {one:7.3f} s")
    print(f"one simulation, all tables{simulation:7.3f} s")
    print(
        f"sweep of {len(rows)} values        {swept:7.3f} s   ({swept / one:.1f}x one evaluation)"
    )
    met = swept < 5 and args.n >= 100_000 and len(rows) >= 20
    print(f"targets met: {met} (20 values, 100,000 persons, < 5 s)")


if __name__ == "__main__":
    main()
