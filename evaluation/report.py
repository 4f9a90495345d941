"""What a trained model is worth, for people: reliability diagram (PNG), HTML report, model card.

All three read the same figures (``evaluation.train.evaluate`` plus the
metadata), so the card, the report and ``GET /v1/model`` cannot disagree.
"""

import base64
import html
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no screen: render to files only
import matplotlib.pyplot as plt

WEAK_SUBGROUP_ECE = 0.02
METRICS = ("rows", "prevalence", "auc", "brier", "log_loss", "ece")


def reliability_png(figures: dict[str, Any]) -> bytes:
    """Observed rate against mean predicted probability, 10 equal-mass bins."""
    bins = figures["reliability"]
    predicted = [b["predicted"] for b in bins]
    observed = [b["observed"] for b in bins]
    top = max([*predicted, *observed, 0.05]) * 1.1
    figure, axes = plt.subplots(figsize=(5, 5), dpi=100)
    axes.plot([0, top], [0, top], linestyle="--", color="grey", label="perfect calibration")
    axes.plot(predicted, observed, marker="o", label="calibrated model")
    axes.set(
        xlim=(0, top),
        ylim=(0, top),
        xlabel="mean predicted probability",
        ylabel="observed rate of serious adverse events",
        title=f"Reliability, 10 equal-mass bins (ECE {figures['metrics']['ece']:.4f})",
    )
    axes.legend(loc="upper left")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _fmt(value: Any, escape=html.escape) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if value == value else "n/a"
    return escape(str(value))


def _plain(value: Any) -> str:
    return _fmt(value, escape=str)


def _table(rows: list[dict], columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_fmt(row.get(c))}</td>" for c in columns) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def summary_rows(figures: dict[str, Any]) -> list[dict]:
    base = figures["rule_baseline"]
    return [
        {"scorer": "calibrated model", **figures["metrics"]},
        {"scorer": "trees before calibration", **figures["uncalibrated"]},
        {"scorer": "rules: points", "auc": base["auc_points"]},
        {"scorer": "rules: level, then points", "auc": base["auc_level_then_points"]},
    ]


def html_report(metadata: dict[str, Any], figures: dict[str, Any], title: str) -> str:
    png = base64.b64encode(reliability_png(figures)).decode()
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em}}
table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:.25em .6em;text-align:right}}
th{{background:#f3f3f3}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Model {html.escape(str(metadata.get("model_version")))}, trained on data sha256
<code>{html.escape(str(metadata.get("training_data_sha256", ""))[:16])}…</code>;
calibration: {html.escape(str(metadata.get("calibration", {}).get("method")))}.</p>
<p><b>Intended use.</b> {html.escape(str(metadata.get("intended_use", "")))}</p>
<p><b>Limits.</b> {html.escape(str(metadata.get("limits", "")))}</p>
<h2>Scores on the evaluation rows</h2>
{_table(summary_rows(figures), ["scorer", *METRICS])}
<h2>Reliability diagram</h2>
<img alt="reliability diagram" src="data:image/png;base64,{png}">
{_table(figures["reliability"], ["rows", "predicted", "observed"])}
<h2>By subgroup</h2>
{_table(figures["subgroups"], ["group", "value", *METRICS])}
<p>{html.escape(subgroup_note(figures))}</p>
</body></html>
"""


def subgroup_note(figures: dict[str, Any]) -> str:
    """Which subgroups are calibrated worse than ``WEAK_SUBGROUP_ECE``, and why that can be."""
    weak = [
        f"{g['group']} {g['value']} (ECE {g['ece']:.4f}, {g['rows']} rows)"
        for g in figures["subgroups"]
        if g["ece"] > WEAK_SUBGROUP_ECE
    ]
    return (
        "Subgroups calibrated worse than ECE "
        f"{WEAK_SUBGROUP_ECE}: {'; '.join(weak)}. The model has no place or identity "
        "features, so a township or age group whose risk differs for reasons the facts do "
        "not record is under- or over-predicted there."
        if weak
        else f"Every subgroup's ECE is within {WEAK_SUBGROUP_ECE}."
    )


def model_card(metadata: dict[str, Any], figures: dict[str, Any]) -> str:
    """The model card (markdown)."""

    def row(item: dict) -> str:
        return "| " + " | ".join(_plain(item.get(c)) for c in ["scorer", *METRICS]) + " |"

    groups = "\n".join(
        "| " + " | ".join(_plain(g.get(c)) for c in ["group", "value", *METRICS]) + " |"
        for g in figures["subgroups"]
    )
    calibration = metadata.get("calibration", {})
    return f"""# Model card: liushou risk model {metadata.get("model_version")}

## What it is
The probability that a child or elder suffers a serious adverse event in the next
12 months, from the same validated facts the rules read ({len(metadata.get("feature_schema", []))}
features; no name, identity number, place or date). Gradient-boosted trees
(scikit-learn HistGradientBoostingClassifier, classes weighted equally, so that the rare
outcome shapes the trees as much as the common one; their raw probabilities therefore
overstate risk), calibrated on held-out rows ({calibration.get("method")}; held-out Brier
by method: {calibration.get("held_out_brier")}).

## Intended use
{metadata.get("intended_use")}

## Limits
{metadata.get("limits")}

## Data
Categories: {", ".join(metadata.get("categories", []))}. Training rows:
{metadata.get("training_rows")} (of which a quarter calibrates), test rows:
{metadata.get("test_rows")}. Training data sha256: `{metadata.get("training_data_sha256")}`.
Seed: {metadata.get("seed")}. scikit-learn {metadata.get("sklearn_version")}.

## Figures (test split)
| scorer | {" | ".join(METRICS)} |
|{"---|" * (len(METRICS) + 1)}
{chr(10).join(row(r) for r in summary_rows(figures))}

ECE: expected calibration error over 10 equal-mass bins.

## By subgroup (test split)
| group | value | {" | ".join(METRICS)} |
|{"---|" * (len(METRICS) + 2)}
{groups}

{subgroup_note(figures)}
"""
