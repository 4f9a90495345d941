"""A database that goes away: 503 problems with Retry-After, /readyz fails, and the
service recovers by itself when it comes back (PostgreSQL behind a TCP proxy on
127.0.0.1 that the test cuts and restores)."""

import contextlib
import os
import socket
import threading
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.security.conftest import FORM

pytestmark = pytest.mark.postgres
CSV = "类别,年龄,脱离监护单独居住\n儿童,10,是\n老人,70,否\n".encode()


class Proxy:
    """127.0.0.1:port -> target; ``cut()`` drops every connection and stops listening."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port, self.sockets = target, 0, []
        self._lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        listener.settimeout(0.2)
        self.port, self.listener, self.open = listener.getsockname()[1], listener, True
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        self.open = False
        self.listener.close()
        with self._lock:
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.sockets.clear()

    def _accept(self, listener) -> None:
        while self.open:
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            upstream = socket.create_connection(self.target, timeout=5)
            with self._lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, target) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass


@pytest.fixture
def proxied():
    from tests.service.test_store import _admin, _postgres

    url, base, name = _postgres()
    parsed = sa.engine.make_url(url)
    proxy = Proxy((parsed.host or "127.0.0.1", parsed.port or 5432))
    yield proxy, parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxy.cut()
    _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _until(check, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.skipif(not os.environ.get("LIUSHOU_TEST_DATABASE_URL"), reason="no PostgreSQL")
def test_outage_is_503_with_retry_after_and_the_service_recovers(assessor, proxied):
    proxy, url = proxied
    with TestClient(create_app(Settings(database_url=url), assessor=assessor)) as client:
        files = {"file": ("people.csv", CSV, "text/csv")}
        review = client.post("/v1/reviews", data=FORM, files=files).json()["review"]
        assert client.get("/readyz").status_code == 200

        proxy.cut()
        started = time.monotonic()
        answers = [
            client.get(f"/v1/reviews/{review['id']}"),
            client.post("/v1/reviews", data=FORM, files=files),
            client.get("/readyz"),
        ]
        assert time.monotonic() - started < 30
        for answer in answers:
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["retry-after"] == "5"
            assert "Traceback" not in answer.text and "psycopg" not in answer.text
        assert client.get("/v1/rules").status_code == 200  # what needs no database goes on
        metrics = client.get("/metrics").text
        assert "liushou_database_errors_total" in metrics

        proxy.restore()
        assert _until(lambda: client.get("/readyz").status_code == 200, 30)
        again = client.get(f"/v1/reviews/{review['id']}")
        assert again.status_code == 200 and again.json()["scored"] == review["scored"]
