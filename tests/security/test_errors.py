"""No route answers with a traceback or a non-problem 500: an unexpected error is a 500
problem with a request id and nothing else, and the log has the traceback."""

import json
import logging

from fastapi.testclient import TestClient

from service.app import create_app
from service.logs import JsonLines
from service.settings import Settings


def test_an_unexpected_error_is_a_bare_500_problem_with_the_request_id(assessor, tmp_path, caplog):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'e.db'}"), assessor=assessor)

    @app.get("/v1/boom")
    def boom():
        raise RuntimeError("secret detail 11010519491231002X")

    with TestClient(app) as client, caplog.at_level(logging.ERROR, "liushou.access"):
        response = client.get("/v1/boom", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "request_id"}
    assert body["request_id"] == "abc-123" == response.headers["x-request-id"]
    assert "secret" not in response.text and "Traceback" not in response.text
    record = next(r for r in caplog.records if r.getMessage() == "unhandled error")
    line = json.loads(JsonLines().format(record))
    assert line["request_id"] == "abc-123" and "RuntimeError" in line["error"]
    assert "11010519491231002X" not in line["error"]  # masked even in the traceback


def test_unknown_routes_and_methods_are_problems(client):
    for response in (client.get("/nowhere"), client.delete("/v1/rules")):
        assert response.status_code in (404, 405)
        assert response.headers["content-type"] == "application/problem+json"
