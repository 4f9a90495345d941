"""What operators see: JSON logs with request ids and route templates, metrics, and an
append-only audit trail (API and command line)."""

import json
import logging

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.access import hash_key
from service.app import create_app
from service.logs import JsonLines, configure
from service.settings import ApiKey, Settings
from tests.security.conftest import FORM

CSV = (
    "类别,姓名,身份证号码,年龄,脱离监护单独居住\n"
    "儿童,王小明,340422201603150032,,是\n老人,李四,,70,否\n"
)
KEYS = {"system": "k-sys", "village": "k-vil", "analyst": "k-ana"}


@pytest.fixture(scope="module")
def keyed(assessor, tmp_path_factory):
    db = tmp_path_factory.mktemp("ops") / "ops.db"
    keys = [
        ApiKey(sha256=hash_key(KEYS["system"]), role="system"),
        ApiKey(
            sha256=hash_key(KEYS["village"]),
            role="village",
            township=FORM["township"],
            village=FORM["village"],
        ),
        ApiKey(sha256=hash_key(KEYS["analyst"]), role="analyst"),
    ]
    settings = Settings(database_url=f"sqlite:///{db}", api_keys=keys)
    with TestClient(create_app(settings, assessor=assessor)) as client:
        yield client, f"sqlite:///{db}"


def _as(name):
    return {"X-API-Key": KEYS[name]}


def _lines(caplog) -> list[dict]:
    return [json.loads(JsonLines().format(r)) for r in caplog.records]


def test_each_request_is_one_json_line_with_id_route_status_and_duration(keyed, caplog):
    client, _ = keyed
    with caplog.at_level(logging.INFO, "liushou.access"):
        given = client.get("/v1/reviews/424242", headers={**_as("analyst"), "X-Request-ID": "r-1"})
        made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert given.headers["x-request-id"] == "r-1"
    assert (
        made.headers["x-request-id"] != "bad id with spaces"
        and len(made.headers["x-request-id"]) == 24
    )
    access = [line for line in _lines(caplog) if line["logger"] == "liushou.access"]
    first = next(line for line in access if line["request_id"] == "r-1")
    assert first["route"] == "/v1/reviews/{review_id}" and "424242" not in json.dumps(first)
    assert first["status"] == 404 and first["method"] == "GET" and first["duration_ms"] >= 0


def test_start_up_is_quiet_and_logs_are_json(assessor, tmp_path, capsys):
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    configure("info")
    try:
        app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'q.db'}"), assessor=assessor)
        with TestClient(app) as client:
            client.get("/healthz")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    finally:
        root.handlers[:], root.level = saved, level
    ours = {line["logger"] for line in lines if not line["logger"].startswith("httpx")}
    assert ours <= {"liushou", "liushou.access"}  # no alembic line per migration step
    assert len([line for line in lines if line["logger"] == "liushou"]) <= 3


def test_metrics_count_requests_assessments_and_review_rows(keyed):
    client, _ = keyed
    client.post(
        "/v1/assessments",
        json={"category": "child", "age": 10, "lives_alone": True},
        headers=_as("system"),
    )
    files = {"file": ("people.csv", CSV.encode(), "text/csv")}
    client.post("/v1/reviews", data=FORM, files=files, headers=_as("village"))
    text = client.get("/metrics").text
    assert 'liushou_http_requests_total{method="POST",route="/v1/assessments",status="200"}' in text
    assert 'liushou_assessments_total{category="child",level="critical"}' in text
    assert 'liushou_review_rows_total{outcome="scored"}' in text
    assert "liushou_http_request_duration_seconds_bucket" in text
    assert "liushou_model_loaded 0.0" in text
    assert "王小明" not in text and "340422" not in text


def test_the_audit_trail_says_who_did_what_to_which_review(keyed):
    client, url = keyed
    files = {"file": ("people.csv", CSV.encode(), "text/csv")}
    review = client.post("/v1/reviews", data=FORM, files=files, headers=_as("village")).json()
    review_id, scored = review["review"]["id"], review["review"]["scored"]
    assert scored >= 1
    client.get(f"/v1/reviews/{review_id}/records", headers=_as("analyst"))
    client.get(f"/v1/reviews/{review_id}/records.csv", headers=_as("analyst"))
    client.get(f"/v1/reviews/{review_id}/report.xlsx", headers=_as("village"))
    assert client.get("/v1/audit", headers=_as("analyst")).status_code == 403
    events = client.get("/v1/audit", params={"review_id": review_id}, headers=_as("system")).json()
    seen = [(e["action"], e["role"], e["key_id"], e["rows"]) for e in events]
    assert seen == [
        ("upload", "village", hash_key(KEYS["village"])[:12], 2),
        ("read", "analyst", hash_key(KEYS["analyst"])[:12], scored),
        ("export", "analyst", hash_key(KEYS["analyst"])[:12], scored),
        ("report", "village", hash_key(KEYS["village"])[:12], None),
    ]
    assert all(e["request_id"] and e["at"] for e in events)

    engine = sa.create_engine(url)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as c:
        c.execute(sa.text("UPDATE audit_event SET role = 'system'"))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as c:
        c.execute(sa.text("DELETE FROM audit_event"))
    engine.dispose()


def test_liushou_audit_prints_the_trail(keyed, monkeypatch):
    from service.cli import app

    _, url = keyed
    monkeypatch.setenv("LIUSHOU_DATABASE_URL", url)
    printed = CliRunner().invoke(app, ["audit", "--limit", "3"])
    assert printed.exit_code == 0, printed.output
    events = [json.loads(line) for line in printed.output.splitlines()]
    assert events and events[0]["action"] == "upload" and "key_id" in events[0]


def test_unmasking_on_the_command_line_is_on_the_record(tmp_path, monkeypatch):
    from service.cli import app

    people = tmp_path / "people.csv"
    people.write_text(CSV, "utf-8")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LIUSHOU_DATABASE_URL", url)
    done = CliRunner().invoke(
        app,
        [
            "review",
            str(people),
            "--township",
            "寿春镇",
            "--village",
            "城东村",
            "--period",
            "2026Q4",
            "--out",
            str(tmp_path / "r.xlsx"),
            "--show-personal",
        ],
    )
    assert done.exit_code == 0, done.output
    printed = CliRunner().invoke(app, ["audit"]).output.splitlines()
    assert [json.loads(line)["action"] for line in printed] == ["upload", "unmask"]
    assert json.loads(printed[1])["key_id"] == "cli"


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_audit_trail_is_append_only_in_the_store(backend, tmp_path):
    from service.audit import events, note
    from service.store import make_engine, migrate

    if backend == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path / 'a.db'}", None
    else:
        from tests.service.test_store import _admin, _postgres

        url, base, name = _postgres()
        cleanup = (base, name, _admin)
    engine = make_engine(url)
    try:
        migrate(engine)
        note(engine, ApiKey(sha256=hash_key("x"), role="analyst"), "read", review_id=7, rows=3)
        assert [(e.action, e.role, e.review_id, e.rows) for e in events(engine)] == [
            ("read", "analyst", 7, 3)
        ]
        for statement in ("UPDATE audit_event SET rows = 0", "DELETE FROM audit_event"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as c:
                c.execute(sa.text(statement))
        assert len(events(engine)) == 1
    finally:
        engine.dispose()
        if cleanup:
            base, name, admin = cleanup
            admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
