"""Open access (no API keys) serves localhost only, however the host was given."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from service.app import create_app
from service.settings import Settings

CLI = Path(sys.executable).with_name("liushou")


@pytest.mark.parametrize("host", ["0.0.0.0", "127.0.0.2", "10.1.2.3", "::"])
def test_settings_refuse_a_public_host_without_keys(host):
    with pytest.raises(ValidationError, match="open only on localhost"):
        Settings(host=host)


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIUSHOU_")}
    return {**env, "LIUSHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **extra}


@pytest.mark.parametrize(
    "args, extra",
    [
        (["--host", "127.0.0.2"], {}),
        (["--host", "0.0.0.0"], {}),
        ([], {"LIUSHOU_HOST": "0.0.0.0"}),
        (["--host", "0.0.0.0"], {"LIUSHOU_HOST": "127.0.0.1"}),  # the option wins, checked
    ],
)
def test_serve_refuses_a_public_host_given_any_way(tmp_path, args, extra):
    done = subprocess.run(
        [str(CLI), "serve", *args, "--port", "1"],
        env=_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "open only on localhost" in done.stderr and "Traceback" not in done.stderr


async def _get(app, server: str, client: tuple[str, int]):
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{server}") as http:
        return await http.get("/v1/reviews/1")


@pytest.mark.anyio
@pytest.mark.parametrize(
    "server, client",
    [
        ("10.0.0.5:8000", ("10.0.0.9", 50000)),  # uvicorn --host 0.0.0.0, a remote caller
        ("127.0.0.2:8000", ("127.0.0.1", 50000)),  # uvicorn --host 127.0.0.2
        ("127.0.0.1:8000", ("192.168.1.20", 50000)),  # a forwarded remote client
    ],
)
async def test_requests_to_or_from_elsewhere_are_refused(assessor, tmp_path, server, client):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}"), assessor=assessor)
    async with app.router.lifespan_context(app):
        response = await _get(app, server, client)
        local = await _get(app, "127.0.0.1:8000", ("127.0.0.1", 50000))
    assert response.status_code == 403
    assert response.json()["title"] == "Open access is local only"
    assert local.status_code == 404  # local: served (there is no review 1)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_uvicorn_started_directly_on_another_address_serves_no_records(tmp_path):
    """uvicorn's own --host never passes the settings: the request check stops it."""
    port = _port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "service.main:app",
            "--host",
            "127.0.0.2",
            "--port",
            str(port),
        ],
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        status = None
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.2:{port}/v1/reviews/1", timeout=5)
            except urllib.error.HTTPError as exc:
                status = exc.code
                break
            except OSError:
                time.sleep(0.1)
        assert status == 403
    finally:
        process.terminate()
        process.wait(timeout=30)
