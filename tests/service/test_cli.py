"""The command line: assess, rules check."""

import json
import shutil

from typer.testing import CliRunner

from models.examples import EXAMPLES_DIR
from rules.loader import DATA_DIR
from service.cli import app

runner = CliRunner()


def test_assess_prints_the_assessment():
    result = runner.invoke(app, ["assess", str(EXAMPLES_DIR / "elder_critical_condition.json")])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["risk_level"] == "critical"
    assert body["findings"][0]["rule_id"] == "elder.critical_condition"
    assert body["interventions"][0]["department"] == "township_government"


def test_assess_bad_input_exits_2_naming_the_field(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"category": "child", "id_number": "110105194912310021"}))
    result = runner.invoke(app, ["assess", str(path)])
    assert result.exit_code == 2
    assert "child.id_number" in result.output and "check digit" in result.output


def test_assess_not_json_exits_2(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("{nope")
    result = runner.invoke(app, ["assess", str(path)])
    assert result.exit_code == 2 and "not valid JSON" in result.output


def test_rules_check_ok():
    result = runner.invoke(app, ["rules", "check"])
    assert result.exit_code == 0 and result.stdout.startswith("ok: ")


def test_rules_check_fails_with_the_error(tmp_path):
    shutil.copytree(DATA_DIR, tmp_path / "data")
    bad = tmp_path / "data" / "actions.yaml"
    bad.write_text(
        bad.read_text("utf-8").replace("county_civil_affairs\n", "county_civil\n", 1), "utf-8"
    )
    result = runner.invoke(app, ["rules", "check", "--rules-dir", str(tmp_path / "data")])
    assert result.exit_code == 1
    assert "actions.yaml" in result.output and "unknown department `county_civil`" in result.output


def test_rules_coverage_is_clean_on_the_shipped_cases():
    result = runner.invoke(app, ["rules", "coverage"])
    assert result.exit_code == 0, result.output
    assert "3.1.4" in result.stdout and "child.lives_alone" in result.stdout
    assert "3.7    not individual-level" in result.stdout
    assert "coverage clean" in result.stdout


def test_rules_coverage_fails_when_rules_lack_cases(tmp_path):
    cases = tmp_path / "few.yaml"
    cases.write_text(
        "- name: only one\n  input: {category: child, age: 9, missing: true}\n  output: {}\n",
        "utf-8",
    )
    result = runner.invoke(app, ["rules", "coverage", "--cases", str(cases)])
    assert result.exit_code == 1
    assert "rule child.lives_alone: no case where it fires" in result.output
    assert "rule child.missing: no case where it must not fire" in result.output


def test_keys_hash_prints_the_sha256_to_configure():
    import hashlib

    result = runner.invoke(app, ["keys", "hash", "village-secret"])
    assert result.exit_code == 0
    assert result.stdout.strip() == hashlib.sha256(b"village-secret").hexdigest()
