"""``liushou simulate``: what a change of parameters would do to a population.

    liushou simulate people.csv --set income.subsistence_line=9000 --set score.elder.high=5
    liushou simulate people.csv --sweep income.subsistence_line=4000:13500:500 --plot sweep.png
    liushou simulate people.parquet --engine spark --set score.elder.high=5   (service.spark)

Exit codes: 0 ok, 2 bad input (an override refused by its guard rail, an unreadable sheet).
"""

import json
from pathlib import Path

import typer

# Options review and simulate share (service.cli's review uses them too); one definition
ENGINE = typer.Option("local", help="local (this machine) or spark (Apache Spark: docs/spark.md)")
MASTER = typer.Option(
    None, help="with --engine spark: local[2], yarn, spark://… (default: spark-submit's)"
)
INPUT_FORMAT = typer.Option(
    None, help="with --engine spark: csv or parquet (default: from the path)"
)


def simulate(
    file: str = typer.Argument(
        ..., help="people.csv or .xlsx; with --engine spark also Parquet, any path Spark reads"
    ),
    set_: list[str] = typer.Option(
        [], "--set", help="name=value, repeatable (see GET /v1/parameters)"
    ),
    sweep: str | None = typer.Option(None, help="name=start:stop:step (stop included)"),
    out: Path | None = typer.Option(None, help="the whole result as JSON"),
    plot: Path | None = typer.Option(None, help="with --sweep: recall and workload, PNG"),
    listed: int = typer.Option(20, min=0, help="persons whose level changed, to print"),
    apply_model: bool = typer.Option(
        False, "--apply-model", help="raise levels with the model of LIUSHOU_MODEL_PATH"
    ),
    engine: str = ENGINE,
    master: str | None = MASTER,
    input_format: str | None = INPUT_FORMAT,
) -> None:
    """Baseline against proposal on the vectorized engine; the rules in force are unchanged."""
    from evaluation import cohort, overrides, simulate
    from evaluation import sweep as sweeps
    from models.sheets.files import SheetError
    from models.sheets.labelled import read
    from rules.loader import load_ruleset

    model = None
    if apply_model:
        from service.cli import configured_assessor

        model = configured_assessor().model
        if model is None:
            typer.echo("simulate: --apply-model needs LIUSHOU_MODEL_PATH", err=True)
            raise typer.Exit(2)
    ruleset = load_ruleset()
    if engine not in ("local", "spark"):
        typer.echo(f"simulate: --engine {engine!r}: expected local or spark", err=True)
        raise typer.Exit(2)
    if engine == "spark":
        if sweep or plot:
            typer.echo("simulate: --sweep is not for --engine spark", err=True)
            raise typer.Exit(2)
        try:
            proposal = overrides.parse(set_, ruleset)
        except (overrides.OverrideError, ValueError) as exc:
            typer.echo(f"simulate: {exc}", err=True)
            raise typer.Exit(2) from None
        result = _simulate_spark(file, ruleset, proposal, model, master, input_format)
        _report(result, listed, out)
        return
    if not Path(file).is_file():
        typer.echo(f"simulate: {file}: no such file", err=True)
        raise typer.Exit(2)
    try:
        proposal = overrides.parse(set_, ruleset)
        swept = sweeps.parse(sweep, ruleset) if sweep else None
        sheet = read(file)
    except (overrides.OverrideError, SheetError, ValueError) as exc:
        typer.echo(f"simulate: {exc}", err=True)
        raise typer.Exit(2) from None
    population = cohort.from_table(sheet.table, ruleset, sheet.outcomes, sheet.sha256)
    typer.echo(
        f"{len(population):,} persons scored, {len(sheet.rejected):,} rows rejected "
        f"(population sha256 {population.sha256[:12]}…, ruleset {ruleset.sha256[:12]}…)"
    )
    for row, reason in sheet.rejected[:10]:
        typer.echo(f"  row {row}: {reason}")
    if swept:
        name, values = swept
        rows = sweeps.run(population, ruleset, name, values, proposal, model)
        _print_table(rows)
        if plot:
            plot.write_bytes(sweeps.plot(rows, name))
        result = {"sweep": {"parameter": name, "overrides": proposal, "rows": rows}}
    else:
        result = simulate.run(population, ruleset, proposal, model=model)
        _print_simulation(result, listed)
    result["rejected"] = [{"row": r, "reason": why} for r, why in sheet.rejected]
    _write(result, out)


def _write(result: dict, out: Path | None) -> None:
    if out:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")
        typer.echo(f"wrote {out}")


def _simulate_spark(file: str, ruleset, proposal: dict, model, master, input_format) -> dict:
    """``simulate --engine spark``: the same result, worked out on Spark."""
    from models.sheets.files import SheetError
    from service.spark import java_missing, session
    from service.spark.simulate import run_simulate

    if why := java_missing():
        typer.echo(f"simulate: --engine spark: {why}", err=True)
        raise typer.Exit(2)
    try:
        return run_simulate(
            session(master), file, ruleset, proposal, model=model, input_format=input_format
        )
    except SheetError as exc:
        typer.echo(f"simulate: {exc}", err=True)
        raise typer.Exit(2) from None


def _report(result: dict, listed: int, out: Path | None) -> None:
    """What `liushou simulate` prints of a result worked out elsewhere (Spark)."""
    reproduce = result["reproduce"]
    sha256 = reproduce["population"]["sha256"] or "none: not one local file"
    typer.echo(
        f"{reproduce['population']['persons']:,} persons scored, "
        f"{len(result['rejected']):,} rows rejected "
        f"(population sha256 {sha256[:12]}…, ruleset {reproduce['ruleset']['sha256'][:12]}…)"
    )
    for item in result["rejected"][:10]:
        typer.echo(f"  row {item['row']}: {item['reason']}")
    _print_simulation(result, listed)
    _write(result, out)


def _print_table(rows: list[dict]) -> None:
    columns = list(rows[0])
    typer.echo("  ".join(f"{c:>14}" for c in columns))
    for row in rows:
        typer.echo("  ".join(f"{_cell(row[c]):>14}" for c in columns))


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)


def _print_simulation(result: dict, listed: int) -> None:
    typer.echo(f"overrides: {result['reproduce']['overrides'] or 'none'}")
    typer.echo("levels:      " + _levels(result["levels"]))
    typer.echo("transitions (rows: baseline, columns: proposal):")
    _print_table([{"from": k, **v} for k, v in result["transitions"].items()])
    moved = [r for r in result["rules"] if r["change"]]
    typer.echo(f"rules firing differently: {len(moved)}")
    for rule in sorted(moved, key=lambda r: -abs(r["change"]))[:10]:
        typer.echo(
            f"  {rule['rule_id']} ({rule['clause']}): {rule['baseline']} -> {rule['proposal']}"
        )
    changed = [w for w in result["workload"] if w["change"]]
    typer.echo(f"workload changes (department, deadline hours: person-actions): {len(changed)}")
    for row in changed:
        typer.echo(
            f"  {row['department_zh']} {row['deadline_hours']} h: "
            f"{row['baseline']} -> {row['proposal']} ({row['change']:+d})"
        )
    typer.echo(f"persons whose level changed: {result['changed']['count']:,}")
    for person in result["changed"]["listed"][:listed]:
        who = person["name"] or person["person_id"] or f"row {person['row']}"
        where = f"{person['township']}{person['village']}"
        typer.echo(f"  row {person['row']} {who} {where}: {person['from']} -> {person['to']}")
    if "backtest" in result:
        typer.echo("backtest (flag at cut-off and above):")
        for side in ("baseline", "proposal"):
            test = result["backtest"][side]
            figures = ", ".join(
                f"{c['cutoff']}+ flagged {c['flagged']} recall {_cell(c['recall'])} "
                f"precision {_cell(c['precision'])}"
                for c in test["cutoffs"]
            )
            typer.echo(f"  {side}: ROC AUC {_cell(test['roc_auc'])}; {figures}")


def _levels(levels: dict) -> str:
    return "; ".join(
        f"{name} {levels['baseline'][name]:,} -> {levels['proposal'][name]:,}"
        for name in levels["baseline"]
    )
