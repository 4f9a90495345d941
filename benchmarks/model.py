"""The calibrated model: quality on a synthetic county, and what it costs to serve.

Generates ``--n`` persons with outcomes (fixtures.population, seed 0), trains and
calibrates the model (evaluation.train, seed 0), and prints in the same run:
  quality   test-split AUC, Brier, log loss and ECE, calibrated and not, and
            the rules' own AUC on the same rows
  single    one assessment (rules.assess) with and without the model, and the
            compiled predictor alone: microseconds each (best of --repeat)
  batch     model inference over a fact frame (features + predict_proba), persons/s
Targets (issue 5): ECE <= 0.02 and calibrated Brier < uncalibrated on 200,000
persons; <= 0.5 ms added to a single assessment; >= 200,000 persons/s in batch.

    python benchmarks/model.py [--n 200000] [--repeat 3]
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from evaluation import artifact, features
from evaluation.dataset import from_persons
from evaluation.serving import ModelScorer
from evaluation.train import train
from fixtures.population import population, records
from models.person import PERSON_ADAPTER
from rules.assess import Assessor
from rules.facts import build_fact
from rules.vectorized import fact_frame


def best_of(repeat: int, work) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    assessor = Assessor.build()

    start = time.perf_counter()
    frame = population(args.n, seed=0, outcomes=True)
    persons = [PERSON_ADAPTER.validate_python(r) for r in records(frame)]
    data = from_persons(persons, frame["outcome"].to_numpy(), assessor, sha256="benchmark")
    prepared = time.perf_counter() - start
    start = time.perf_counter()
    trained = train(data, seed=0)
    fitted = time.perf_counter() - start
    meta = trained.metadata
    path = Path("/tmp/liushou-benchmark-model.skops")
    artifact.save(trained.estimator, meta, data.X, path)
    scorer = ModelScorer(artifact.load(path), assessor.ruleset.values)
    with_model = Assessor(assessor.ruleset, assessor.engine, scorer)

    print(f"{args.n:,} persons (seed 0): data {prepared:.1f} s, training {fitted:.1f} s")
    calibration = meta["calibration"]
    print(f"calibration: {calibration['method']} (held-out Brier {calibration['held_out_brier']})")
    cal, raw, rules = meta["metrics"], meta["uncalibrated"], meta["rule_baseline"]
    print(f"{'test split':<28}{'AUC':>8}{'Brier':>9}{'log loss':>10}{'ECE':>8}")
    for name, figures in (("calibrated model", cal), ("trees before calibration", raw)):
        print(
            f"{name:<28}{figures['auc']:8.4f}{figures['brier']:9.4f}"
            f"{figures['log_loss']:10.4f}{figures['ece']:8.4f}"
        )
    print(f"{'rules: points':<28}{rules['auc_points']:8.4f}")
    print(f"{'rules: level, then points':<28}{rules['auc_level_then_points']:8.4f}")

    sample = persons[:2000]
    per = len(sample)
    rules_only = best_of(args.repeat, lambda: [assessor.assess_data(p) for p in sample]) / per
    both = best_of(args.repeat, lambda: [with_model.assess_data(p) for p in sample]) / per
    rows = [features.row(build_fact(p, assessor.ruleset)) for p in sample]
    compiled = scorer.model.compiled
    alone = best_of(args.repeat, lambda: [compiled.probability(x) for x in rows]) / per
    added_ms = (both - rules_only) * 1000
    print(
        f"single: rules {rules_only * 1e6:.0f} us, rules + model {both * 1e6:.0f} us "
        f"(+{added_ms:.3f} ms; compiled predictor alone {alone * 1e6:.0f} us)"
    )

    facts = fact_frame([build_fact(p, assessor.ruleset) for p in persons])
    batch = pd.concat([facts] * max(1, 200_000 // len(facts)), ignore_index=True)
    seconds = best_of(args.repeat, lambda: scorer.probabilities(batch))
    rate = len(batch) / seconds
    print(f"batch: {rate:,.0f} persons/s ({len(batch):,} facts in {seconds:.2f} s)")

    met = (
        cal["ece"] <= 0.02
        and cal["brier"] < raw["brier"]
        and added_ms <= 0.5
        and rate >= 200_000
        and args.n >= 200_000
    )
    print(
        "targets met:",
        met,
        "(ECE <= 0.02, calibrated Brier < uncalibrated, +<= 0.5 ms, "
        ">= 200,000 persons/s, on 200,000 persons)",
    )


if __name__ == "__main__":
    main()
