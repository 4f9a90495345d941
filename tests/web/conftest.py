"""Browser fixtures: a real `liushou serve` on a free port, headless Chromium (Debian's
package, through Playwright), axe-core, screenshots under test-output/screenshots.

The browser tests skip, saying why, when Playwright or a Chromium cannot be had.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.web.keys import api_keys_env

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
OUTPUT = Path(os.environ.get("LIUSHOU_TEST_OUTPUT", ROOT / "test-output")) / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def chromium_path() -> tuple[str | None, str]:
    """(the browser, or None with the reason): LIUSHOU_CHROMIUM when set, else Debian's
    /usr/bin/chromium, else a chromium on PATH."""
    named = os.environ.get("LIUSHOU_CHROMIUM")
    if named:
        usable = Path(named).is_file() and os.access(named, os.X_OK)
        return (named, "") if usable else (None, f"LIUSHOU_CHROMIUM={named} is not a program")
    found = next(
        (p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and os.access(p, os.X_OK)),
        None,
    )
    return found, "" if found else "no Chromium found (apt-get install chromium fonts-noto-cjk)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright for Python is not installed (pip install -e '.[dev]')",
    )
    executable, why = chromium_path()
    if executable is None:
        pytest.skip(why)
    manager = sync_api.sync_playwright().start()
    try:
        launched = manager.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except Exception as exc:  # a browser that cannot start is a reason to skip, said
        manager.stop()
        pytest.skip(f"Chromium at {executable} did not start: {str(exc).splitlines()[0]}")
    yield launched
    launched.close()
    manager.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real server with a temporary store and the test keys; yields (base URL, log path)."""
    folder = tmp_path_factory.mktemp("web-server")
    port, log_path = _free_port(), folder / "server.log"
    env = {
        **os.environ,
        "LIUSHOU_DATABASE_URL": f"sqlite:///{folder / 'liushou.db'}",
        "LIUSHOU_API_KEYS": api_keys_env(),
        "LIUSHOU_SESSION_SECRET": "browser-test-session-secret-0123456789",
        "LIUSHOU_LOG_LEVEL": "debug",
        "LIUSHOU_MAX_UPLOAD_BYTES": str(2 * 2**20),  # an upload over it: test_browser.py
    }
    cli = Path(sys.executable).with_name("liushou")
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if _ready(f"{base}/readyz"):
                break
            if process.poll() is not None:
                pytest.fail("the server stopped: " + log_path.read_text())
            time.sleep(0.1)
        else:
            pytest.fail("the server did not become ready: " + log_path.read_text())
        yield base, log_path
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def context(browser, server):
    """A fresh browser profile (no cookies) at phone size; the page under test's CSP is
    bypassed only so that axe-core can be injected."""
    created = browser.new_context(
        base_url=server[0], viewport=PHONE, locale="zh-CN", bypass_csp=True
    )
    created.set_default_timeout(20_000)
    yield created
    created.close()


@pytest.fixture
def page(context):
    return context.new_page()


def assert_accessible(page, label: str) -> None:
    """axe-core on the page as it is: no serious or critical violation."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
             .map(v => ({id: v.id, impact: v.impact, help: v.help,
                         nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))"""
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"{label}: " + json.dumps(serious, ensure_ascii=False, indent=1)


def screenshots(page, name: str) -> list[Path]:
    """The page at phone and at desktop size, whole, under test-output/screenshots."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    written = []
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        path = OUTPUT / f"{name}-{size}.png"
        page.screenshot(path=str(path), full_page=True)
        written.append(path)
    page.set_viewport_size(PHONE)
    return written
