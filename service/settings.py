"""Settings from ``LIUSHOU_*`` environment variables (pydantic-settings).

>>> Settings(max_batch_records=10).max_batch_records
10
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIUSHOU_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    rules_dir: Path | None = Field(None, description="a directory laid out like rules/data")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="request body limit (413 above)")
    max_batch_records: int = Field(1000, ge=1, description="records per batch (413 above)")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    database_url: str = "sqlite:///liushou.db"

    @model_validator(mode="after")
    def _safe_outside_development(self):
        if (
            self.environment == "production"
            and self.host not in LOCAL_HOSTS
            and self.log_level == "debug"
        ):
            raise ValueError("LIUSHOU_LOG_LEVEL=debug is refused in production on a public host")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
