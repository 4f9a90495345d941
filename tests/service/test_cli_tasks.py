"""``liushou tasks …`` and ``liushou supervision`` on a store made by ``liushou review``."""

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from service import tasks as tk
from service.cli import app
from tests.service.test_tasks import ALONE, BEGGING, COLUMNS

runner = CliRunner()
EAST = ["--township", "寿春镇", "--village", "城东村"]


@pytest.fixture
def stored(tmp_path, monkeypatch):
    monkeypatch.setenv("LIUSHOU_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    sheet = tmp_path / "people.csv"
    sheet.write_text("\n".join([",".join(COLUMNS), ",".join(ALONE), ",".join(BEGGING)]) + "\n")
    result = runner.invoke(
        app, ["review", str(sheet), *EAST, "--period", "2026Q4", "--out", str(tmp_path / "r.xlsx")]
    )
    assert result.exit_code == 0, result.output
    assert "tasks: " in result.stdout and " created, 0 carried over" in result.stdout
    return tmp_path


def test_list_overdue_export_import_and_supervision(stored, monkeypatch):
    listed = runner.invoke(app, ["tasks", "list", *EAST])
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.strip().splitlines()
    assert len(lines) > 10 and all("城东村" in line for line in lines)
    assert any("report_to_police\tcounty_public_security" in line for line in lines)
    real_now = tk.now()
    monkeypatch.setattr(tk, "now", lambda: real_now + 30 * 3600)  # a day and more later
    overdue = runner.invoke(app, ["tasks", "overdue", "--department", "county_public_security"])
    assert overdue.exit_code == 0 and "逾期→township_government" in overdue.stdout
    out = stored / "tasks.xlsx"
    assert runner.invoke(app, ["tasks", "export", str(out), *EAST]).exit_code == 0
    book = load_workbook(out)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    status = header.index("状态 (status)") + 1
    sheet.cell(2, status).value = "已办结"
    sheet.cell(3, status).value = "无需办理"  # no reason: rejected
    book.save(out)
    imported = runner.invoke(app, ["tasks", "import", str(out), *EAST])
    assert imported.exit_code == 1
    assert "1 applied" in imported.stdout and "1 rejected" in imported.stdout
    assert "row 3: note: a task marked not_needed needs the reason" in imported.output
    other = runner.invoke(
        app, ["tasks", "import", str(out), "--township", "寿春镇", "--village", "城西村"]
    )
    assert other.exit_code == 1 and "0 applied" in other.stdout  # not that village's tasks
    report = runner.invoke(
        app,
        ["supervision", "--period", "2026Q4", "--out", str(stored / "s.xlsx"),
         "--html", str(stored / "s.html")],
    )  # fmt: skip
    assert report.exit_code == 0, report.output
    assert "flagged: 寿春镇 城东村" in report.stdout
    assert "<svg" in (stored / "s.html").read_text("utf-8")
    assert runner.invoke(app, ["supervision", "--period", "26Q4"]).exit_code == 2
    assert runner.invoke(app, ["tasks", "list", "--village", "城东村"]).exit_code == 2
    assert runner.invoke(app, ["tasks", "list", "--status", "nope"]).exit_code == 2
