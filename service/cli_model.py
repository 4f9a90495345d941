"""``liushou fixtures …`` and ``liushou model …``: synthetic data and the calibrated model.

    liushou fixtures generate --n 100000 --seed 0 --out people.csv [--outcomes]
    liushou model train people.csv --out model.skops [--card model-card.md] [--seed 0]
    liushou model evaluate model.skops test.csv --report model-report.html

Exit codes: 0 ok, 2 bad input (unreadable sheet, no outcome column, refused model).
"""

import json
from pathlib import Path

import typer

fixtures_app = typer.Typer(help="Synthetic data.", no_args_is_help=True)
model_app = typer.Typer(help="The optional calibrated model.", no_args_is_help=True)


@fixtures_app.command("generate")
def generate(
    n: int = typer.Option(100_000, min=1, help="persons"),
    seed: int = typer.Option(0, help="the same seed gives the same file"),
    out: Path = typer.Option(Path("people.csv"), help="CSV, contract field names as headers"),
    outcomes: bool = typer.Option(False, help="add the synthetic 12-month outcome column (0/1)"),
) -> None:
    """A synthetic county of children and elders (fixtures/population.py says how)."""
    from fixtures.population import population

    frame = population(n, seed=seed, outcomes=outcomes)
    frame.to_csv(out, index=False, float_format="%.10g")
    typer.echo(f"wrote {n:,} persons to {out}" + (" with outcomes" if outcomes else ""))


def _dataset(path: Path):
    from evaluation.dataset import from_sheet
    from models.sheets.files import SheetError
    from rules.assess import Assessor

    try:
        return from_sheet(path, Assessor.build())
    except (SheetError, ValueError) as exc:
        typer.echo(f"{path}: {exc}", err=True)
        raise typer.Exit(2) from None


@model_app.command("train")
def train_command(
    data: Path = typer.Argument(..., exists=True, dir_okay=False, help="labelled CSV or XLSX"),
    out: Path = typer.Option(Path("model.skops"), help="the model file (skops)"),
    card: Path | None = typer.Option(None, help="the model card (default: beside --out, .md)"),
    seed: int = typer.Option(0, help="splits and trees; the same seed gives the same metrics"),
    max_iter: int = typer.Option(300, min=1, help="boosting rounds at most (early stopping)"),
) -> None:
    """Train the trees, calibrate them on held-out rows, score them on a test split."""
    from evaluation.artifact import save
    from evaluation.report import model_card
    from evaluation.train import train

    dataset = _dataset(data)
    try:
        trained = train(dataset, seed=seed, max_iter=max_iter)
    except ValueError as exc:
        typer.echo(f"{data}: {exc}", err=True)
        raise typer.Exit(2) from None
    save(trained.estimator, trained.metadata, dataset.X, out)
    card = card or out.with_suffix(".md")
    card.write_text(model_card(trained.metadata, trained.metadata), "utf-8")
    meta = trained.metadata
    figures, uncalibrated = meta["metrics"], meta["uncalibrated"]
    typer.echo(
        f"model {meta['model_version']}: {len(dataset):,} rows used, "
        f"{len(dataset.skipped):,} skipped; test AUC {figures['auc']:.4f}, "
        f"Brier {figures['brier']:.4f} (uncalibrated {uncalibrated['brier']:.4f}), "
        f"ECE {figures['ece']:.4f}; rules' AUC {meta['rule_baseline']['auc_points']:.4f}"
    )
    typer.echo(f"wrote {out} and {card}")


@model_app.command("evaluate")
def evaluate_command(
    model: Path = typer.Argument(..., exists=True, dir_okay=False, help="model.skops"),
    data: Path = typer.Argument(..., exists=True, dir_okay=False, help="labelled CSV or XLSX"),
    report: Path = typer.Option(Path("model-report.html"), help="HTML report"),
    png: Path | None = typer.Option(None, help="also the reliability diagram as PNG"),
) -> None:
    """Score a model on labelled rows: figures, reliability diagram, subgroups, rules' AUC."""
    from evaluation.artifact import ModelError, load
    from evaluation.report import html_report, reliability_png
    from evaluation.train import evaluate

    try:
        loaded = load(model)
    except ModelError as exc:
        typer.echo(f"model refused: {exc}", err=True)
        raise typer.Exit(2) from None
    dataset = _dataset(data)
    if len(set(dataset.y.tolist())) != 2:
        typer.echo(f"{data}: the outcome column needs both 0 and 1", err=True)
        raise typer.Exit(2)
    figures = evaluate(loaded.estimator, dataset)
    report.write_text(html_report(loaded.metadata, figures, f"liushou model {loaded.version}"))
    if png:
        png.write_bytes(reliability_png(figures))
    typer.echo(
        json.dumps(
            {
                "model_version": loaded.version,
                **figures["metrics"],
                "rules_auc_points": figures["rule_baseline"]["auc_points"],
            }
        )
    )
    typer.echo(f"wrote {report}")
