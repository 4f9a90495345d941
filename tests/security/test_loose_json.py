"""Loose JSON: booleans are not numbers, a duplicate key is a 422, and no body of many
keys holds up other requests."""

import asyncio
import json
import time

import httpx
import pytest

from service.app import create_app
from service.settings import Settings


def _post(client, raw: str, path="/v1/assessments"):
    return client.post(path, content=raw.encode(), headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    "field, value",
    [("age", "true"), ("guardian_age", "false"), ("unexcused_absence_days", "true")],
)
def test_a_boolean_is_not_a_number(client, field, value):
    response = _post(client, f'{{"category": "child", "{field}": {value}}}')
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["loc"] == ["body", "child", field] and "not true/false" in error["msg"]


def test_a_number_is_still_a_number(client):
    response = _post(client, '{"category": "child", "age": 10, "lives_alone": true}')
    assert response.status_code == 200 and response.json()["risk_level"] == "critical"


@pytest.mark.parametrize(
    "raw, key",
    [
        ('{"category": "child", "age": 10, "age": 3}', "age"),
        ('{"category": "child", "category": "elder"}', "category"),
        ('{"records": [{"category": "elder", "age": 70, "age": 90}]}', "age"),
    ],
)
def test_a_duplicate_key_is_a_422_naming_it(client, raw, key):
    path = "/v1/assessments/batch" if raw.startswith('{"records"') else "/v1/assessments"
    response = _post(client, raw, path)
    assert response.status_code == 422
    assert response.json()["errors"][0]["msg"] == f"duplicate key `{key}`"


def test_the_category_error_does_not_repeat_its_input(client):
    response = _post(client, '{"category": "=HYPERLINK(\\"王小明\\")"}')
    assert response.status_code == 422
    assert "王小明" not in response.text and "HYPERLINK" not in response.text
    error = response.json()["errors"][0]
    assert error["loc"][-1] == "category" and "child, elder, woman" in error["msg"]


def _many_keys(n: int) -> str:
    return json.dumps({"category": "child", **{f"u{i:05d}": 1 for i in range(n)}})


def test_60000_unknown_keys_are_refused_quickly(app_client):
    raw = _many_keys(60_000)
    assert len(raw) > 700_000
    started = time.perf_counter()
    response = _post(app_client, raw)
    assert time.perf_counter() - started < 0.5  # was 3.8 s
    assert response.status_code == 422
    assert response.json()["errors"][0]["msg"] == "an object has 60001 keys; the limit is 100"


def test_error_reporting_is_capped(client):
    records = [{"category": "child", **{f"bad{i}": 1 for i in range(90)}} for _ in range(50)]
    started = time.perf_counter()
    response = client.post("/v1/assessments/batch", json={"records": records})
    assert time.perf_counter() - started < 2
    results = response.json()["results"]
    assert response.json()["rejected"] == 50
    errors = results[0]["errors"]
    assert len(errors) == 21 and errors[-1]["msg"] == "and 70 more error(s)"
    assert sum("Did you mean" in e["msg"] for e in errors) <= 3


@pytest.mark.anyio
async def test_a_heavy_body_does_not_block_the_event_loop(assessor, tmp_path):
    """Health checks keep being answered while bodies of many keys are refused."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}")
    app = create_app(settings, assessor=assessor)
    heavy = _many_keys(60_000).encode()
    batch = json.dumps(
        {"records": [{"category": "elder", **{f"x{i}": 1 for i in range(95)}}] * 1000}
    ).encode()
    assert len(batch) < settings.max_body_bytes
    gaps = []

    async def watch(stop: asyncio.Event):
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    transport = httpx.ASGITransport(app=app)
    headers = {"content-type": "application/json"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch(stop))
        answers = [
            await http.post("/v1/assessments", content=heavy, headers=headers),
            await http.post("/v1/assessments/batch", content=batch, headers=headers),
        ]
        stop.set()
        await watcher
    assert [a.status_code for a in answers] == [422, 200]
    assert answers[1].json()["rejected"] == 1000
    # was 3,800 ms; a worker thread still shares the interpreter lock (measured 25-90 ms
    # on two cores shared by five test runs)
    assert max(gaps) < 0.25, f"the event loop stalled for {max(gaps) * 1000:.0f} ms"


def test_deep_nesting_is_a_422_not_a_500(client):
    """Found by a review: 1,000 nested arrays (2 KB) made json.loads raise RecursionError."""
    body = b'{"category": "child", "name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    for path in ("/v1/assessments", "/v1/assessments/batch"):
        response = client.post(path, content=body, headers={"content-type": "application/json"})
        assert response.status_code in (413, 422), response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    small = b'{"category": "child", "name": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    response = client.post(
        "/v1/assessments", content=small, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422 and "too deeply" in response.text
