"""Settings from ``LIUSHOU_*`` environment variables (pydantic-settings).

>>> Settings(max_batch_records=10).max_batch_records
10
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
DEV_PERSON_KEY_SECRET = "liushou-development-only"
# Values seen in examples and tutorials: refused as secrets in production.
KNOWN_SECRETS = {"changeme", "secret", "password", "development", "test", "liushou"}
MIN_SECRET_BYTES = 32
HOW = "liushou keys secret"  # prints a strong one
ROLES = ("system", "village", "analyst", "department")


class ApiKey(BaseModel):
    """A configured key, stored hashed: ``liushou keys hash KEY`` prints the sha256."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    role: Literal["system", "village", "analyst", "department"]
    township: str | None = None
    village: str | None = None
    department: str | None = Field(
        None, pattern=r"^[a-z_]{1,64}$", description="a department key's code (county_education)"
    )

    @model_validator(mode="after")
    def _village_keys_have_a_division(self):
        if self.role == "village" and not (self.township and self.village):
            raise ValueError("a village key needs its township and village")
        if self.role == "department" and not self.department:
            raise ValueError("a department key needs its department code (township optional)")
        return self

    @property
    def key_id(self) -> str:
        """What the task history records of the key: a prefix of its hash, not the key."""
        return self.sha256[:12]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIUSHOU_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    rules_dir: Path | None = Field(None, description="a directory laid out like rules/data")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="request body limit (413 above)")
    max_upload_bytes: int = Field(50 * 2**20, ge=1024, description="spreadsheet upload limit")
    max_batch_records: int = Field(1000, ge=1, description="records per batch (413 above)")
    max_review_rows: int = Field(
        200_000, ge=1, description="data rows per spreadsheet uploaded to the API (413 above)"
    )
    max_simulation_records: int = Field(
        100_000, ge=1, description="inline persons per simulation (413 above)"
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    database_url: str = Field("sqlite:///liushou.db", description="the review store")
    model_path: Path | None = Field(
        None, description="a model file from `liushou model train` (skops); unset: rules only"
    )
    person_key_secret: SecretStr = Field(
        SecretStr(DEV_PERSON_KEY_SECRET),
        description="HMAC key for person keys in the review store; set it outside development",
    )
    api_keys: list[ApiKey] = Field(
        default_factory=list,
        description="JSON list of {sha256, role, township, village, department}",
    )
    session_secret: SecretStr | None = Field(
        None,
        description="signs the web pages' session cookies; unset: derived from "
        "LIUSHOU_PERSON_KEY_SECRET, or random per process while that is the development value",
    )
    session_hours: float = Field(8, gt=0, le=24 * 7, description="a web sign-in lasts this long")

    @model_validator(mode="after")
    def _safe_outside_development(self):
        production = self.environment == "production"
        if production and not is_local(self.host) and self.log_level == "debug":
            raise ValueError("LIUSHOU_LOG_LEVEL=debug is refused in production on a public host")
        if production:
            weak = weak_secret(self.person_key_secret.get_secret_value())
            if weak:
                raise ValueError(f"LIUSHOU_PERSON_KEY_SECRET is refused in production: {weak}")
        if production and not self.api_keys:
            raise ValueError(
                "no API keys configured (LIUSHOU_API_KEYS): open access is refused in production"
            )
        check_open_host(self.host, self.open_access)
        return self

    @model_validator(mode="after")
    def _sessions_shared_by_workers(self):
        development_secret = self.person_key_secret.get_secret_value() == DEV_PERSON_KEY_SECRET
        if (
            self.workers > 1
            and self.api_keys
            and self.session_secret is None
            and development_secret
        ):
            raise ValueError(
                "set LIUSHOU_SESSION_SECRET with more than one worker: a web sign-in made in "
                "one worker must be read by the others"
            )
        return self

    @property
    def open_access(self) -> bool:
        return not self.api_keys


def is_local(host: str) -> bool:
    """The one test of "localhost" for open access: the configured host and every
    request's addresses (``service.access``) go through it."""
    return host in LOCAL_HOSTS


def check_open_host(host: str, open_access: bool) -> None:
    """Refuse to serve without keys on anything but localhost (``liushou serve --host``,
    ``LIUSHOU_HOST`` and ``Settings(host=...)`` all come here)."""
    if open_access and not is_local(host):
        raise ValueError(
            "no API keys configured (LIUSHOU_API_KEYS): the service runs open only on "
            f"localhost ({', '.join(sorted(LOCAL_HOSTS))}), not on {host}"
        )


def weak_secret(secret: str) -> str | None:
    """Why ``secret`` is too weak for the person-key HMAC in production, or None.

    >>> weak_secret("x")
    'it is 1 bytes; use at least 32 random bytes (liushou keys secret)'
    >>> weak_secret("liushou-development-only ") is not None
    True
    """
    folded = "".join(secret.split()).lower()
    if DEV_PERSON_KEY_SECRET in folded or folded in KNOWN_SECRETS:
        return "it is a known (development or example) value"
    size = len(secret.encode())
    if size < MIN_SECRET_BYTES:
        return f"it is {size} bytes; use at least {MIN_SECRET_BYTES} random bytes ({HOW})"
    if len(set(secret)) < 16:
        return f"it repeats too few characters to be random ({HOW})"
    return None


@lru_cache
def get_settings() -> Settings:
    return Settings()
