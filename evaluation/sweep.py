"""One parameter over a range: what each value does to levels, workload and recall.

``name=start:stop:step`` (stop included) is checked like any override: every
value must pass the parameter's guard rails before anything runs. The facts are
taken once; each value costs one column-wise evaluation.
"""

import numpy as np

from evaluation import levels as lv
from evaluation.backtest import at_cutoffs
from evaluation.cohort import Cohort
from evaluation.overrides import OverrideError, apply, check
from rules.loader import RuleSet
from rules.seams import ModelScorer

MAX_POINTS = 200


SWEEP = "sweep"  # where a refused sweep is reported (OverrideError.where)


def parse(text: str, ruleset: RuleSet) -> tuple[str, list[int | float]]:
    name, sep, spec = text.partition("=")
    parts = spec.split(":")
    if not sep or len(parts) != 3:
        raise OverrideError(
            text,
            "write a sweep as name=start:stop:step, e.g. score.elder.high=3:8:1",
            SWEEP,
            kind="syntax",
        )
    try:
        start, stop, step = (float(p) for p in parts)
    except ValueError:
        raise OverrideError(
            name, f"{spec!r}: start, stop and step must be numbers", SWEEP, kind="sweep_numbers"
        ) from None
    if step <= 0 or stop < start:
        raise OverrideError(
            name, "the step must be positive and stop at least start", SWEEP, kind="sweep_step"
        )
    count = int(np.floor((stop - start) / step + 1e-9)) + 1
    if count > MAX_POINTS:
        raise OverrideError(
            name,
            f"{count} values; a sweep takes at most {MAX_POINTS}",
            SWEEP,
            kind="sweep_too_many",
            count=count,
            most=MAX_POINTS,
        )
    values = [start + i * step for i in range(count)]
    whole = all(float(v).is_integer() for v in (start, step))
    values = [round(v) if whole else round(v, 10) for v in values]
    name = name.strip()
    try:
        return name, [check({name: v}, ruleset)[name] for v in values]
    except OverrideError as exc:  # the parameter or a value refused: the sweep's fault
        raise OverrideError(
            exc.parameter, exc.message, SWEEP, kind=exc.kind, **exc.values
        ) from None


def run(
    cohort: Cohort,
    ruleset: RuleSet,
    name: str,
    values: list,
    overrides: dict | None = None,
    model: ModelScorer | None = None,
) -> list[dict]:
    """One row per value: levels, persons flagged high or above, workload, recall if known.
    ``model``: a ModelScorer applied at every value, or None (rules only)."""
    rows = []
    for value in values:
        rules = apply(ruleset, {**(overrides or {}), name: value})
        scored = lv.score_cohort(rules, cohort, model)
        row = {
            name: value,
            **lv.level_counts(scored.level),
            "workload": int(scored.actions.sum()),
            "persons_with_actions": int(scored.actions.any(axis=1).sum()),
        }
        if cohort.outcome is not None:
            for cut in at_cutoffs(scored.level, cohort.outcome):
                row[f"recall_{cut['cutoff']}"] = cut["recall"]
                row[f"precision_{cut['cutoff']}"] = cut["precision"]
        rows.append(row)
    return rows


def plot(rows: list[dict], name: str) -> bytes:
    """Recall (where outcomes are known) and workload against the parameter: PNG bytes."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [row[name] for row in rows]
    figure, workload_axis = plt.subplots(figsize=(7, 4.5), dpi=100)
    workload_axis.plot(
        x,
        [r["workload"] for r in rows],
        color="dimgrey",
        marker="s",
        label="workload (person-actions)",
    )
    workload_axis.set_xlabel(name)
    workload_axis.set_ylabel("workload: person-actions")
    handles = workload_axis.get_legend_handles_labels()
    if "recall_high" in rows[0]:
        recall_axis = workload_axis.twinx()
        lines = (
            ("medium", ":", "tab:blue"),
            ("high", "-", "tab:red"),
            ("critical", "--", "tab:green"),
        )
        for cut, style, color in lines:
            recall_axis.plot(
                x,
                [r[f"recall_{cut}"] or 0 for r in rows],
                linestyle=style,
                color=color,
                marker="o",
                label=f"recall at {cut}+",
            )
        recall_axis.set_ylabel("recall of later serious harm")
        recall_axis.set_ylim(0, 1)
        more = recall_axis.get_legend_handles_labels()
        handles = (handles[0] + more[0], handles[1] + more[1])
    workload_axis.legend(
        *handles, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize="small"
    )
    workload_axis.set_title(f"Sweep of {name}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()
