"""The ``liushou`` command line.

    liushou serve [--host 127.0.0.1 --port 8000 --workers 1]
    liushou assess person.json          # prints the assessment as JSON
    liushou rules check                 # loads and validates the rules; exit 1 on errors
    liushou fixtures generate / liushou model train|evaluate   (service/cli_model.py)
    liushou simulate people.csv --set name=value [--sweep name=a:b:step]  (service/cli_simulate.py)
    liushou review|simulate FILE --engine spark [--master local[2]]  (service/spark, docs/spark.md)
    liushou tasks list|overdue|export|import, liushou supervision  (service/cli_tasks.py)

With LIUSHOU_MODEL_PATH set, ``assess`` and ``review`` use the model too.

Exit codes: 0 ok, 1 rules invalid, 2 bad input.
"""

import json
import sys
from pathlib import Path

import typer
from pydantic import ValidationError

from models.person import PERSON_ADAPTER
from models.sheets.files import CHUNK_ROWS
from rules.errors import RulesError
from rules.loader import DATA_DIR, load_ruleset
from service.cli_model import fixtures_app, model_app
from service.cli_simulate import ENGINE, INPUT_FORMAT, MASTER, simulate
from service.cli_tasks import supervision_command, tasks_app
from service.problems import field_errors

app = typer.Typer(
    help="liushou: risk assessment for rural left-behind children and elders.", no_args_is_help=True
)
rules_app = typer.Typer(help="Inspect and check the rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(fixtures_app, name="fixtures")
app.add_typer(model_app, name="model")
app.command("simulate")(simulate)
app.add_typer(tasks_app, name="tasks")
app.command("supervision")(supervision_command)


@keys_app.command("hash")
def keys_hash(key: str = typer.Argument(..., help="the secret key a caller will send")) -> None:
    """Print the sha256 to configure in LIUSHOU_API_KEYS (the key itself is never stored)."""
    from service.access import hash_key

    typer.echo(hash_key(key))


@keys_app.command("secret")
def keys_secret() -> None:
    """Print a new random LIUSHOU_PERSON_KEY_SECRET (32 random bytes, URL-safe base64)."""
    import secrets

    typer.echo(secrets.token_urlsafe(32))


@app.command()
def serve(
    host: str = typer.Option(None, help="default: LIUSHOU_HOST or 127.0.0.1"),
    port: int = typer.Option(None, help="default: LIUSHOU_PORT or 8000"),
    workers: int = typer.Option(None, help="processes; each compiles the rules at start-up"),
) -> None:
    """Start the HTTP API (uvicorn)."""
    import os

    import uvicorn

    from service.logs import configure
    from service.settings import get_settings

    # The options become the settings the workers read, and go through the same checks
    # (a public host without API keys is refused, whichever way it was given).
    given = {"HOST": host, "PORT": port, "WORKERS": workers}
    os.environ.update({f"LIUSHOU_{k}": str(v) for k, v in given.items() if v is not None})
    get_settings.cache_clear()
    try:
        settings = get_settings()
    except ValidationError as exc:  # the messages only: the input may hold a secret
        for error in exc.errors():
            typer.echo(f"serve: refused: {error['msg'].removeprefix('Value error, ')}", err=True)
        raise typer.Exit(2) from None
    configure(settings.log_level)
    uvicorn.run(
        "service.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        log_config=None,  # service.logs, configured in every worker (service.main)
        access_log=False,  # service.logs writes one JSON line per request instead
    )


@app.command()
def assess(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="one person as JSON"),
) -> None:
    """Assess one person from a JSON file and print the assessment."""

    try:
        raw = json.loads(file.read_text("utf-8"))
        person = PERSON_ADAPTER.validate_python(raw)
    except json.JSONDecodeError as exc:
        typer.echo(f"{file}: not valid JSON: {exc}", err=True)
        raise typer.Exit(2) from None
    except ValidationError as exc:
        for error in field_errors(exc.errors()):
            typer.echo(f"{file}: {'.'.join(error['loc'])}: {error['msg']}", err=True)
        raise typer.Exit(2) from None
    assessment = configured_assessor().assess(person)
    typer.echo(assessment.model_dump_json(indent=2))


def configured_assessor():
    """The rules, and the model when LIUSHOU_MODEL_PATH names one (exit 2 if it is refused)."""
    from service.assessor import build_assessor
    from service.settings import Settings

    # Settings read now, not cached: the environment of this command
    assessor, model_error = build_assessor(Settings())
    if model_error:
        typer.echo(f"model refused: {model_error}", err=True)
        raise typer.Exit(2)
    return assessor


@rules_app.command("check")
def rules_check(
    rules_dir: Path = typer.Option(DATA_DIR, help="a directory laid out like rules/data"),
) -> None:
    """Load and validate every rule, parameter, action and department."""
    try:
        ruleset = load_ruleset(rules_dir)
        from rules.adapter import DurableEngine

        DurableEngine.from_ruleset(ruleset)
    except RulesError as exc:
        typer.echo(f"rules invalid: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"ok: {len(ruleset.rules)} rules, {len(ruleset.parameters)} parameters, "
        f"{len(ruleset.actions)} actions, {len(ruleset.departments)} departments; "
        f"sha256 {ruleset.sha256}"
    )


@app.command("template")
def template_command(
    out: Path = typer.Argument(Path("people.xlsx"), help="where to write it"),
) -> None:
    """Write the spreadsheet template (Chinese headers, allowed values, dropdowns)."""
    from models.sheets.files import template

    template(out)
    typer.echo(f"wrote {out}")


@app.command("review")
def review_command(
    file: str = typer.Argument(
        ..., help="people.xlsx or .csv; with --engine spark also Parquet, any path Spark reads"
    ),
    township: str | None = typer.Option(
        None, help="乡镇 (required; with --engine spark: for rows without one)"
    ),
    village: str | None = typer.Option(
        None, help="村（居） (required; with --engine spark: for rows without one)"
    ),
    period: str = typer.Option(..., help="quarter, e.g. 2026Q4"),
    out: Path = typer.Option(Path("report.xlsx"), help="the XLSX report"),
    html: Path | None = typer.Option(None, help="also an HTML report with charts"),
    out_parquet: Path | None = typer.Option(
        None, help="also every scored person's results (masked) as Parquet, for analysts"
    ),
    show_personal: bool = typer.Option(False, help="unmasked names and identity numbers"),
    store: bool = typer.Option(True, help="keep the review in LIUSHOU_DATABASE_URL"),
    engine: str = ENGINE,
    master: str | None = MASTER,
    out_dir: str | None = typer.Option(
        None, help="with --engine spark: where results, problems and summary.json go"
    ),
    previous: str | None = typer.Option(
        None, help="with --engine spark: an earlier --out-dir, for the changes since"
    ),
    input_format: str | None = INPUT_FORMAT,
    batch_rows: int = typer.Option(
        CHUNK_ROWS, min=1_000, max=1_000_000, help="rows read at a time (memory follows it)"
    ),
) -> None:
    """Score everyone on a village's list; write the action list, changes and data problems.

    The file is read in batches and each is scored, stored and reported before the next:
    memory follows ``--batch-rows``, not the file (a county's or a province's list)."""
    from models.sheets.files import SheetError, count_rows, sheet_batches
    from service.report_html import render_html
    from service.report_xlsx import write_report
    from service.reviewing import review_file
    from service.settings import Settings

    settings = Settings()  # read now, not cached: the environment of this command
    if engine == "spark":
        _review_spark(
            file,
            township,
            village,
            period,
            out_dir,
            master,
            previous,
            input_format,
            show_personal or html is not None,
            settings,
        )
        return
    if engine != "local":
        typer.echo(f"review: --engine {engine!r}: expected local or spark", err=True)
        raise typer.Exit(2)
    for name, value in (("--township", township), ("--village", village)):
        if not value:
            typer.echo(f"review: {name} is required", err=True)
            raise typer.Exit(2)
    file = Path(file)
    if not file.is_file():
        typer.echo(f"review: {file}: no such file", err=True)
        raise typer.Exit(2)
    db = secret = None
    if store:
        from service.store import make_engine, migrate

        db = make_engine(settings.database_url)
        migrate(db)
        secret = settings.person_key_secret.get_secret_value().encode()
    try:
        # no row limit here: memory is bounded by the batch (the API keeps its limit)
        batches = sheet_batches(file, file.name, rows=batch_rows, limits=_command_limits())
        length = count_rows(file, file.name)
        with typer.progressbar(length=length or 0, label="reading rows", file=sys.stderr) as bar:
            done = review_file(
                batches,
                configured_assessor(),
                township=township,
                village=village,
                period=period,
                engine=db,
                secret=secret or b"",
                show_personal=show_personal,
                out_parquet=out_parquet,
                progress=bar.update if length else None,
            )
    except (SheetError, ValueError) as exc:
        typer.echo(f"review: {exc}", err=True)
        raise typer.Exit(2) from None
    if done.review is not None:
        _noted(db, done, show_personal)
    write_report(done.report, out)
    if html:
        html.write_text(render_html(done.report), "utf-8")
    counts = done.summary.counts() | (done.changes.counts() if done.changes else {})
    typer.echo(", ".join(f"{k} {v}" for k, v in counts.items()) + f"; report {out}")
    if out_parquet:
        typer.echo(f"results of {done.summary.scored:,} people in {out_parquet}")


def _review_spark(
    file, township, village, period, out_dir, master, previous, input_format, personal, settings
) -> None:
    """``review --engine spark``: Parquet under --out-dir, the summary printed."""
    from models.sheets.files import SheetError
    from service.review import PERIOD

    if not out_dir:
        typer.echo("review: --engine spark needs --out-dir (where the results go)", err=True)
        raise typer.Exit(2)
    if personal:  # Spark's results carry masked names and numbers only
        typer.echo("review: --show-personal and --html are not for --engine spark", err=True)
        raise typer.Exit(2)
    if not PERIOD.match(period):
        typer.echo(f"review: period {period!r} must look like 2026Q4", err=True)
        raise typer.Exit(2)
    from service.spark import java_missing, session
    from service.spark.review import OutputExists, run_review

    if why := java_missing():
        typer.echo(f"review: --engine spark: {why}", err=True)
        raise typer.Exit(2)
    assessor = configured_assessor()
    secret = settings.person_key_secret.get_secret_value().encode()
    spark = session(master)
    try:
        summary = run_review(
            spark,
            file,
            out_dir.rstrip("/"),
            assessor,
            period=period,
            secret=secret,
            previous=previous.rstrip("/") if previous else None,
            input_format=input_format,
            place=(township, village),
        )
    except (SheetError, OutputExists) as exc:
        typer.echo(f"review: {exc}", err=True)
        raise typer.Exit(2) from None
    counts = summary["counts"] | summary.get("changes", {})
    typer.echo(", ".join(f"{k} {v}" for k, v in counts.items()) + f"; results {out_dir}")


def _noted(engine, done, show_personal: bool) -> None:
    from service.audit import note

    tasks, review = done.tasks, done.review
    typer.echo(
        f"tasks: {tasks.created} created, {tasks.carried_over} carried over, "
        f"{tasks.resolved_by_review} resolved by this review (liushou tasks list)"
    )
    rows = done.summary.rows_in
    note(engine, None, "upload", review_id=review.id, rows=rows, route="liushou review")
    if show_personal:  # unmasked on this machine: on the record
        scored = done.summary.scored
        note(engine, None, "unmask", review_id=review.id, rows=scored, route="liushou review")


@app.command("audit")
def audit_command(
    after: int = typer.Option(0, help="list the events after this id"),
    limit: int = typer.Option(100, min=1, max=10_000, help="how many"),
    review: int | None = typer.Option(None, help="only this review's events"),
) -> None:
    """Print the audit trail of LIUSHOU_DATABASE_URL, one JSON line per event."""
    from service.audit import events
    from service.settings import Settings
    from service.store import make_engine, migrate

    engine = make_engine(Settings().database_url)
    migrate(engine)
    for event in events(engine, after=after, limit=limit, review_id=review):
        typer.echo(event.model_dump_json())


DEFAULT_CASES = [Path("tests/cases"), Path("fixtures/scenarios")]


def _command_limits():
    from models.sheets.files import SheetLimits

    # rows and cells unbounded on the command line: a streamed review's memory follows
    # the batch; the other limits (columns, cell length, XLSX parts) stay
    return SheetLimits(rows=2**62, cells=2**62)


@rules_app.command("coverage")
def rules_coverage(
    cases: list[Path] = typer.Option(None, "--cases", help="case files or folders (repeatable)"),
) -> None:
    """For every clause: the rules that implement it and the cases that exercise them.

    Exit 1 if an actionable clause has no rule, or a rule has no case where it fires
    and one where it must not.
    """
    from rules.assess import Assessor
    from rules.clauses import load_clauses
    from rules.coverage import coverage, load_cases, render

    paths = [p for p in (cases or DEFAULT_CASES) if p.exists()]
    assessor = Assessor.build()
    report = coverage(assessor.ruleset, load_clauses(), load_cases(paths), assessor)
    typer.echo(render(report))
    problems = report.problems()
    for problem in problems:
        typer.echo(f"coverage: {problem}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(
        f"coverage clean: {len(report.positive)} rules, cases from {', '.join(map(str, paths))}"
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
