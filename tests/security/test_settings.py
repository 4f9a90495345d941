"""Production refuses weak secrets and keyless open access; limits name their setting."""

import secrets

import pytest
from pydantic import ValidationError

from service.access import hash_key
from service.settings import DEV_PERSON_KEY_SECRET, ApiKey, Settings

KEYS = [ApiKey(sha256=hash_key("k"), role="system")]


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "x",
        DEV_PERSON_KEY_SECRET + " ",
        " Liushou-Development-Only",
        "changeme",
        "a" * 64,
        "0123456789" * 3,
    ],
)
def test_weak_or_known_secrets_are_refused_in_production(secret):
    with pytest.raises(ValidationError, match="LIUSHOU_PERSON_KEY_SECRET is refused"):
        Settings(environment="production", person_key_secret=secret, api_keys=KEYS)


def test_a_strong_secret_is_accepted():
    settings = Settings(
        environment="production", person_key_secret=secrets.token_urlsafe(32), api_keys=KEYS
    )
    assert settings.environment == "production"


def test_production_without_keys_is_refused_even_on_localhost():
    with pytest.raises(ValidationError, match="open access is refused in production"):
        Settings(environment="production", person_key_secret=secrets.token_urlsafe(32))


def test_development_keeps_its_defaults():
    assert Settings().open_access


def test_the_upload_limit_names_its_own_setting(assessor, tmp_path):
    from fastapi.testclient import TestClient

    from service.app import create_app

    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.db'}", max_upload_bytes=2048)
    with TestClient(create_app(settings, assessor=assessor)) as client:
        files = {"file": ("people.csv", b"x" * 5000, "text/csv")}
        response = client.post("/v1/reviews", files=files, data={"period": "2026Q4"})
        body = client.post("/v1/assessments", content=b"{" + b" " * 2_000_000 + b"}")
    assert response.status_code == 413 and "LIUSHOU_MAX_UPLOAD_BYTES" in response.json()["detail"]
    assert body.status_code == 413 and "LIUSHOU_MAX_BODY_BYTES" in body.json()["detail"]


def test_keys_secret_prints_a_strong_secret():
    from typer.testing import CliRunner

    from service.cli import app
    from service.settings import weak_secret

    printed = CliRunner().invoke(app, ["keys", "secret"]).output.strip()
    assert len(printed) >= 43 and weak_secret(printed) is None
