"""``liushou tasks list|overdue|export|import`` and ``liushou supervision``.

They work on the store of LIUSHOU_DATABASE_URL. With ``--township --village`` the
command acts as that village's key, with ``--department [--township]`` as that
department's key (the same scope as the API); otherwise it sees every task. Changes
are recorded in the task history with role ``cli``'s caller (key id 000000000000).

    liushou tasks list --township 寿春镇 --village 城东村
    liushou tasks overdue --department county_public_security
    liushou tasks export tasks.xlsx --township 寿春镇 --village 城东村
    liushou tasks import tasks.xlsx --township 寿春镇 --village 城东村
    liushou supervision --period 2026Q4 --out supervision.xlsx --html supervision.html
"""

from pathlib import Path

import typer

tasks_app = typer.Typer(help="Follow-up tasks of the stored reviews.", no_args_is_help=True)

TOWNSHIP = typer.Option(None, help="乡镇: with --village or --department, act as that key")
VILLAGE = typer.Option(None, help="村: act as this village's key (needs --township)")
DEPARTMENT = typer.Option(None, help="act as this department's key (county_education, …)")


def _context(township, village, department):
    """(session factory's engine, caller, task rules) for this command's environment."""
    from rules.loader import DATA_DIR, load_ruleset
    from service.settings import ApiKey, Settings
    from service.store import make_engine, migrate
    from service.tasks import TaskRules

    settings = Settings()
    if village and not township:
        typer.echo("tasks: --village needs --township", err=True)
        raise typer.Exit(2)
    division = {"township": township}
    if village:
        division |= {"role": "village", "village": village}
    elif department:
        division |= {"role": "department", "department": department}
    else:
        division = {"role": "system"}
    try:
        caller = ApiKey(sha256="0" * 64, **division)
    except ValueError as exc:
        typer.echo(f"tasks: {exc}", err=True)
        raise typer.Exit(2) from None
    engine = make_engine(settings.database_url)
    migrate(engine)
    ruleset = load_ruleset(settings.rules_dir or DATA_DIR)
    return engine, caller, TaskRules.build(ruleset, settings.rules_dir)


def _print(items) -> int:
    count = 0
    for t in items:
        count += 1
        late = (
            f" 逾期→{t['escalated_to']}" if t["escalated_to"] else (" 逾期" if t["overdue"] else "")
        )
        typer.echo(
            f"{t['id']}\tv{t['version']}\t{t['due_at']}\t{t['status']}{late}\t{t['village']}"
            f"\t行{t['row']} {t['name_masked'] or ''}\t{t['action']}\t{t['department']}"
        )
    return count


def _list(township, village, department, status, overdue, limit) -> None:
    from sqlmodel import Session

    from service import tasks as tk

    engine, caller, rules = _context(township, village, department)
    filters = tk.TaskFilters(status=status, overdue=overdue)
    with Session(engine) as session:
        try:
            filters.check()
            items = tk.iter_tasks(
                session, caller, rules, now_ts=tk.now(), filters=filters, cap=limit
            )
            count = _print(items)
        except tk.TaskInvalid as exc:
            typer.echo(f"tasks: {exc}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"{count} task(s)", err=True)


@tasks_app.command("list")
def list_command(
    township: str = TOWNSHIP,
    village: str = VILLAGE,
    department: str = DEPARTMENT,
    status: str = typer.Option("active", help="active, all, open, in_progress, done, …"),
    limit: int = typer.Option(200, min=1, help="at most this many lines"),
) -> None:
    """The tasks, soonest due first: id, version, due, status, village, row, action, lead."""
    _list(township, village, department, status, None, limit)


@tasks_app.command("overdue")
def overdue_command(
    township: str = TOWNSHIP,
    village: str = VILLAGE,
    department: str = DEPARTMENT,
    limit: int = typer.Option(200, min=1, help="at most this many lines"),
) -> None:
    """The active tasks past their due time (with whom they are escalated to)."""
    _list(township, village, department, "active", True, limit)


@tasks_app.command("export")
def export_command(
    out: Path = typer.Argument(Path("tasks.xlsx"), help="the spreadsheet to write"),
    township: str = TOWNSHIP,
    village: str = VILLAGE,
    department: str = DEPARTMENT,
) -> None:
    """My open tasks as a spreadsheet; change 状态 (status), add 备注, then import it."""
    from sqlmodel import Session

    from service import tasks as tk
    from service.tasks_xlsx import EXPORT_LIMIT, write_tasks

    engine, caller, rules = _context(township, village, department)
    with Session(engine) as session:
        items = tk.iter_tasks(session, caller, rules, now_ts=tk.now(), cap=EXPORT_LIMIT)
        count = write_tasks(items, str(out))
    typer.echo(f"{count} task(s) written to {out}")


@tasks_app.command("import")
def import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the filled-in tasks.xlsx"),
    township: str = TOWNSHIP,
    village: str = VILLAGE,
    department: str = DEPARTMENT,
) -> None:
    """Apply every row: applied, unchanged, or rejected with its row and reason (exit 1
    if any row was rejected, 2 if the file is not a tasks sheet)."""
    from sqlmodel import Session

    from service import tasks as tk
    from service.tasks_xlsx import TaskSheetError, import_tasks

    engine, caller, rules = _context(township, village, department)
    with Session(engine) as session:
        try:
            outcome = import_tasks(session, caller, rules, file.read_bytes(), now_ts=tk.now())
        except TaskSheetError as exc:
            typer.echo(f"tasks import: {exc}", err=True)
            raise typer.Exit(2) from None
    for rejected in outcome.rejected:
        typer.echo(f"row {rejected['row']}: {rejected['reason']}", err=True)
    typer.echo(
        f"{outcome.rows} row(s): {len(outcome.applied)} applied, {len(outcome.unchanged)} "
        f"unchanged, {len(outcome.rejected)} rejected"
    )
    if outcome.rejected:
        raise typer.Exit(1)


def supervision_command(
    period: str = typer.Option(None, help="quarter, e.g. 2026Q4 (default: every period)"),
    out: Path = typer.Option(None, help="also write the report as XLSX"),
    html: Path = typer.Option(None, help="also write the report as HTML with charts"),
    township: str = TOWNSHIP,
    village: str = VILLAGE,
    department: str = DEPARTMENT,
) -> None:
    """Supervision (四(四)): per department and township, open, on time, late, overdue."""
    from sqlmodel import Session

    from service import tasks as tk
    from service.supervision import render_supervision_html, supervision, write_supervision_xlsx

    engine, caller, rules = _context(township, village, department)
    with Session(engine) as session:
        try:
            report = supervision(session, caller, rules, now_ts=tk.now(), period=period)
        except tk.TaskInvalid as exc:
            typer.echo(f"supervision: {exc}", err=True)
            raise typer.Exit(2) from None
    for row in report["by_department"]:
        typer.echo(
            f"{row['department']}\topen {row['open']}\toverdue {row['overdue']}"
            f"\ton time {row['done_on_time']}\tlate {row['done_late']}"
            f"\tmedian {row['median_hours_to_done']} h"
        )
    for flagged in report["villages_with_overdue_critical"]:
        typer.echo(f"flagged: {flagged['township']} {flagged['village']} "
                   f"({flagged['overdue_critical']} overdue critical)")  # fmt: skip
    if out:
        out.write_bytes(write_supervision_xlsx(report))
    if html:
        html.write_text(render_supervision_html(report), "utf-8")
