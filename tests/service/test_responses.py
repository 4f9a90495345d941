"""The seams of the delivery layer (issue 12): every JSON route declares its response
model, routes get the store through a dependency, and liushou's errors become problem
documents in one place (service.problems.as_problem)."""

import ast
from pathlib import Path

import pytest

from evaluation.artifact import ModelError
from evaluation.overrides import OverrideError
from models.errors import LiushouError
from models.sheets.files import SheetError, SheetTooLarge
from rules.errors import EngineError, PeriodError, RulesError, UnknownRule
from service.problems import ProblemError, as_problem
from service.store import ReviewNotFound
from service.tasks import TaskConflict, TaskForbidden, TaskInvalid, TaskNotFound
from service.tasks_xlsx import TaskSheetError

ROUTERS = Path(__file__).resolve().parents[2] / "service" / "routers"
FILES = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/html"}
# Read app.state on purpose, each saying why beside the read: the hot scoring routes
# (a dependency costs more than the assessment, benchmarks/api.py) and readiness (which
# asks whether the lifespan has built what the dependencies would hand out).
STATE_READERS = {"assessments.py", "health.py"}


def test_every_json_route_declares_its_response_model(client):
    schema = client.get("/openapi.json").json()
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            ok = operation["responses"].get("200") or operation["responses"].get("201")
            content = ok.get("content", {})
            json = content.get("application/json")
            if json is None:
                assert content, f"{method} {path}: no content declared"
                continue  # a file (XLSX, HTML, CSV, NDJSON) or the metrics text
            if not json.get("schema") or json["schema"] == {}:
                missing.append(f"{method.upper()} {path}")
    assert not missing, f"JSON routes without a response model: {missing}"


def test_routes_get_the_store_through_a_dependency():
    for source in ROUTERS.glob("*.py"):
        text = source.read_text()
        if source.name in STATE_READERS:
            continue
        assert "app.state" not in text, f"{source.name} reads app.state: use service.deps"
        assert "Session(" not in text, f"{source.name} opens its own session: use SessionDep"


def test_no_route_catches_liushou_errors():
    """They go through the one handler; only a per-record ValidationError is caught (a batch
    reports a bad record without failing the others)."""
    tree_names = {c.__name__ for c in _subclasses(LiushouError)} | {"LiushouError"}
    for source in ROUTERS.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                names = {n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "")
                         for n in ast.walk(node.type)}  # fmt: skip
                assert not names & tree_names, f"{source.name}:{node.lineno} catches {names}"


def _subclasses(kind):
    for sub in kind.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@pytest.mark.parametrize(
    "error, status, title",
    [
        (SheetTooLarge("too many rows", "rows", 10), 413, "Spreadsheet too large"),
        (TaskSheetError("not an .xlsx file"), 422, "Unreadable tasks sheet"),
        (SheetError("not a spreadsheet"), 422, "Unreadable spreadsheet"),
        (OverrideError("score.elder.high", "outside the declared range"), 422, "Override refused"),
        (PeriodError("2016-01-01", "2016-09-06"), 422, "No values in force"),
        (UnknownRule("child.lives_alon", ["child.lives_alone"]), 404, "Unknown rule"),
        (ReviewNotFound(7), 404, "Unknown review"),
        (TaskNotFound("no task 3"), 404, "Unknown task"),
        (TaskForbidden("not yours"), 403, "Not allowed"),
        (TaskConflict(3, 5), 409, "Task changed meanwhile"),
        (TaskInvalid("status", "must be one of …"), 422, "Invalid input"),
        (EngineError("boom"), 500, "Rules engine failure"),
        (RulesError("bad data"), 500, "Internal error"),
        (ModelError("bad file"), 500, "Internal error"),
        (ProblemError(401, "API key required"), 401, "API key required"),
    ],
)
def test_each_kind_of_error_has_its_problem(error, status, title):
    found = as_problem(error)
    assert (found.status, found.title) == (status, title)
    if status >= 500 and not isinstance(error, ProblemError):
        assert str(error) not in found.detail  # internals are not shown to callers


def test_every_kind_of_the_tree_is_translated_on_purpose():
    """A new kind of error must be given its problem: only the start-up kinds (rules and
    model files, refused before the server answers) fall to the generic 500."""
    generic = {
        c for c in _subclasses(LiushouError) if as_problem(_sample(c)).title == "Internal error"
    }
    assert {c.__name__ for c in generic} <= {"RulesError", "RuleFileError", "ModelError"}


def _sample(kind):
    samples = {
        "SheetTooLarge": ("m", "rows", 1),
        "RuleFileError": ("f", "k", "m"),
        "PeriodError": ("d", "f"),
        "UnknownRule": ("x", []),
        "ReviewNotFound": (1,),
        "TaskConflict": (1, 2),
        "TaskInvalid": ("f", "r"),
        "OverrideError": ("p", "m"),
        "ProblemError": (400, "t"),
    }
    return kind(*samples.get(kind.__name__, ("message",)))


def test_an_override_refused_in_a_sweep_names_the_sweep(client):
    body = {"population": [], "sweep": "score.elder.high=3:800:1"}
    answer = client.post("/v1/simulations", json=body)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["sweep", "score.elder.high"]
    body = {"population": [], "overrides": {"score.elder.high": -5}}
    answer = client.post("/v1/simulations", json=body)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["overrides", "score.elder.high"]


def test_unknown_rule_and_date_before_the_rules(client):
    answer = client.get("/v1/rules/child.lives_alon")
    assert answer.status_code == 404 and "child.lives_alone" in answer.json()["detail"]
    answer = client.get("/v1/parameters", params={"as_of": "2016-01-01"})
    assert answer.status_code == 422 and answer.json()["title"] == "No values in force"
