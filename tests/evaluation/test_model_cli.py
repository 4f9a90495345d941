"""``liushou fixtures generate`` and ``liushou model train|evaluate`` end to end."""

import json

import pandas as pd
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


def run(*args, **env):
    return runner.invoke(app, [str(a) for a in args], env=env or None)


def test_generate_train_evaluate_and_assess_with_the_model(tmp_path):
    people, test = tmp_path / "people.csv", tmp_path / "test.csv"
    result = run("fixtures", "generate", "--n", 4000, "--seed", 2, "--out", people, "--outcomes")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(people)
    assert len(frame) == 4000 and set(frame["outcome"].unique()) == {0, 1}
    assert (
        run("fixtures", "generate", "--n", 1500, "--seed", 3, "--out", test, "--outcomes").exit_code
        == 0
    )

    model = tmp_path / "model.skops"
    result = run("model", "train", people, "--out", model, "--max-iter", 40)
    assert result.exit_code == 0, result.output
    assert "4,000 rows used, 0 skipped" in result.output  # every generated row validates
    card = (tmp_path / "model.md").read_text("utf-8")
    assert "## Intended use" in card and "| sex | female |" in card and "rules: points" in card

    report, png = tmp_path / "report.html", tmp_path / "reliability.png"
    result = run("model", "evaluate", model, test, "--report", report, "--png", png)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.splitlines()[0])
    assert figures["rows"] == 1500 and 0 < figures["ece"] < 0.1
    html = report.read_text("utf-8")
    assert "data:image/png;base64," in html and "By subgroup" in html and "寿春镇" in html
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    person = tmp_path / "elder.json"
    person.write_text(json.dumps({"category": "elder", "age": 82, "self_care": "none"}))
    result = run("assess", person, LIUSHOU_MODEL_PATH=str(model))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["model"]["model_version"].startswith("1.")


def test_train_refuses_a_sheet_without_outcomes(tmp_path):
    people = tmp_path / "people.csv"
    assert run("fixtures", "generate", "--n", 50, "--out", people).exit_code == 0
    result = run("model", "train", people, "--out", tmp_path / "m.skops")
    assert result.exit_code == 2 and "no 'outcome' column" in result.output


def test_evaluate_refuses_a_bad_model_file(tmp_path):
    bad, people = tmp_path / "bad.skops", tmp_path / "people.csv"
    bad.write_bytes(b"PK\x03\x04 not really")
    assert run("fixtures", "generate", "--n", 50, "--out", people, "--outcomes").exit_code == 0
    result = run("model", "evaluate", bad, people)
    assert result.exit_code == 2 and "model refused" in result.output


def test_assess_with_a_refused_model_exits_2(tmp_path):
    bad = tmp_path / "bad.skops"
    bad.write_bytes(b"nothing")
    person = tmp_path / "p.json"
    person.write_text(json.dumps({"category": "child", "age": 9}))
    result = run("assess", person, LIUSHOU_MODEL_PATH=str(bad))
    assert result.exit_code == 2 and "model refused" in result.output
