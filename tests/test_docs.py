"""The docs say what the code does."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_worked_examples_are_what_the_api_answers():
    """docs/examples.md is regenerated from the scenario suite; a rule change that alters
    an example without regenerating the page fails here."""
    done = subprocess.run(
        [sys.executable, "docs/make_examples.py", "--check"], cwd=ROOT, capture_output=True
    )
    assert done.returncode == 0, "docs/examples.md is stale: run python docs/make_examples.py"


# --- every `liushou` command shown in README.md and docs/*.md still runs ---

import re  # noqa: E402
import shlex  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PLACEHOLDERS = re.compile(r"\[|…|\bFILE\b|\bSECRET\b|\bDIR\b|\bPATH\b|=value|\bT\b|\bV\b")
SMALL = "3000"  # --n in the docs is a county's size; the test runs the same command smaller


def documented_commands() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        text = page.read_text("utf-8")
        for block in re.findall(r"```(?:sh|bash)\n(.*?)```", text, re.S):
            for line in block.replace("\\\n", " ").splitlines():
                line = line.split("  #")[0].strip()
                if line.startswith("liushou "):
                    found.append((page.name, line))
    return found


COMMANDS = documented_commands()


def _path_and_options(argv: list[str]) -> tuple[list[str], list[str]]:
    from service.cli import app

    group = typer_group(app)
    path = []
    for word in argv:
        if word in group:
            path.append(word)
            group = group[word] if isinstance(group[word], dict) else {}
        else:
            break
    return path, [w.split("=")[0] for w in argv if w.startswith("--")]


def typer_group(app) -> dict:
    import typer.main

    command = typer.main.get_command(app)

    def walk(cmd):
        return {
            name: walk(sub) if hasattr(sub, "commands") else None
            for name, sub in getattr(cmd, "commands", {}).items()
        }

    return walk(command)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    from service.cli import app

    where = tmp_path_factory.mktemp("docs")
    runner = CliRunner()
    for name in ("people.csv", "test.csv"):
        done = runner.invoke(
            app,
            [
                "fixtures",
                "generate",
                "--n",
                SMALL,
                "--seed",
                "0",
                "--out",
                str(where / name),
                "--outcomes",
            ],
        )
        assert done.exit_code == 0, done.output
    pd.read_csv(where / "people.csv").to_excel(where / "people.xlsx", index=False)
    pd.read_csv(where / "people.csv", dtype=str).to_parquet(where / "people.parquet")
    return where


def test_the_docs_show_commands():
    assert len(COMMANDS) >= 10 and {page for page, _ in COMMANDS} >= {"README.md", "cli.md"}


@pytest.mark.parametrize("page,line", COMMANDS, ids=[f"{p}: {c[:60]}" for p, c in COMMANDS])
def test_every_documented_command_runs(page, line, workdir, monkeypatch):
    """A synopsis (with [options] or placeholders) must name a real command and real
    options; a concrete command is run, in a scratch folder, on a small synthetic county."""
    from service.cli import app

    argv = shlex.split(line)[1:]
    path, options = _path_and_options(argv)
    assert path, f"{page}: `{line}` names no liushou command"
    runner = CliRunner()
    shown = runner.invoke(app, [*path, "--help"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    for option in options:
        assert option in shown.output, (
            f"{page}: `{line}` uses {option}, which `{' '.join(path)}` lacks"
        )
    if PLACEHOLDERS.search(line) or path[0] == "serve":
        return
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("LIUSHOU_DATABASE_URL", f"sqlite:///{workdir}/docs.db")
    if path[0] == "template":  # would overwrite the people.xlsx the next commands read
        argv = [a if a != "people.xlsx" else "template.xlsx" for a in argv]
    argv = [SMALL if i and argv[i - 1] == "--n" else a for i, a in enumerate(argv)]
    argv = [str(ROOT / a) if a.startswith("models/examples/") else a for a in argv]
    done = runner.invoke(app, argv)
    assert done.exit_code == 0, f"{page}: `{line}` exited {done.exit_code}: {done.output[-800:]}"
