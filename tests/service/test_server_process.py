"""The API through a real `liushou serve` process (not only TestClient)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from models.examples import examples

NAME, ID_NUMBER = "李秀英", "11010519491231002X"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    folder = tmp_path_factory.mktemp("server")
    log_path = folder / "server.log"
    cli = Path(sys.executable).with_name("liushou")
    env = {  # the store in the test's folder, not the working directory
        **os.environ,
        "LIUSHOU_LOG_LEVEL": "debug",
        "LIUSHOU_DATABASE_URL": f"sqlite:///{folder / 'liushou.db'}",
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(cli), "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if _request(f"{base}/readyz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not become ready: " + log_path.read_text())
        yield base, log_path
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.slow
def test_real_server_scores_and_keeps_personal_data_out_of_its_logs(server):
    base, log_path = server
    person = {**examples()["child_lives_alone"], "name": NAME}
    status, body = _request(f"{base}/v1/assessments", person)
    assert status == 200 and body["risk_level"] == "critical"
    assert body["interventions"][0]["action"] == "report_to_police"
    status, body = _request(
        f"{base}/v1/assessments",
        {"category": "elder", "name": NAME, "id_number": ID_NUMBER, "age": 3},
    )
    assert status == 422 and body["errors"][0]["loc"][-1] == "age"
    status, body = _request(
        f"{base}/v1/assessments/batch",
        {
            "records": [
                {
                    "category": "elder",
                    "name": NAME,
                    "id_number": ID_NUMBER,
                    "critical_condition": True,
                }
            ]
        },
    )
    assert status == 200 and body["results"][0]["assessment"]["risk_level"] == "critical"
    time.sleep(0.3)
    logs = log_path.read_text("utf-8")
    assert "/v1/assessments" in logs and "batch received=1 scored=1 rejected=0" in logs
    assert NAME not in logs and ID_NUMBER not in logs
