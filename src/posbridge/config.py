"""Settings from the environment (POSBRIDGE_*), an optional .env file and an optional TOML file."""

from __future__ import annotations

import base64
import binascii
import os
import tomllib
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal, TypeVar

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(Exception):
    """A required setting is missing or malformed; the message is one line naming it."""


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'posbridge.db'}"


def resolve_public_key_text(raw: str) -> str:
    """Turn PEM text, one-line base64 of a PEM, or `@/path/to.pem` into PEM text."""
    raw = raw.strip()
    if raw.startswith("@"):
        raw = Path(raw[1:]).read_text().strip()
    if "-----BEGIN" not in raw:
        try:
            raw = base64.b64decode(raw, validate=True).decode("ascii").strip()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ValueError("neither PEM text, one-line base64 of a PEM, nor @/path/to.pem") from exc
    # Env files often carry the PEM with literal "\n" sequences.
    return raw.replace("\\n", "\n")


class Settings(BaseSettings):
    """Everything posbridge reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="POSBRIDGE_", env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=_default_database_url)
    wix_app_id: str
    wix_app_secret: str
    wix_public_key: str
    wix_api_base: str = "https://www.wixapis.com"
    # Wix's docs print the restaurants APIs under /restaurants; its SDK omits it.
    wix_api_prefix: str = "/restaurants"
    secret_key: str
    admin_token: str | None = None
    jwt_leeway_seconds: int = 60
    # SPI envelopes and webhooks (docs/decisions.md "Envelope claims"): the longest lifetime a token may
    # claim, and without `exp` the greatest age of its `iat`.
    envelope_max_lifetime_seconds: int = Field(default=86_400, ge=1)
    envelope_max_age_seconds: int = Field(default=600, ge=1)
    max_body_bytes: int = 1024 * 1024
    queue: str = "sqlite"  # sqlite | redis | immediate
    queue_path: str | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    run_worker: bool = True
    worker_threads: int = 2
    # Threads serving synchronous handlers (anyio's default is 40). Few threads keep the GIL on one
    # core instead of bouncing it between many; see docs/benchmarks.md "## SPI".
    threadpool_size: int = Field(default=6, ge=1)
    sync_reconcile_minutes: int = 15
    # Calls to Wix: Wix allows 200 requests per minute per app instance; the window is settable for tests.
    wix_rate_limit_per_minute: int = 200
    wix_rate_window_seconds: float = 60.0
    wix_timeout_seconds: float = 30.0
    wix_max_attempts: int = 5
    wix_retry_base_seconds: float = 0.5
    wix_retry_max_seconds: float = 120.0
    log_level: str = "INFO"
    log_json: bool = True
    dashboard_instance_max_age_seconds: int = 600
    # Order intake (docs/decisions.md "Order intake"). observe: every check runs and is logged and
    # recorded, but only those protecting the kitchen refuse (for the first days of a new Wix release).
    order_checks: Literal["enforce", "observe"] = "enforce"
    order_max_quantity: int = Field(default=999, ge=1, le=100_000)  # per line or choice; the wire allows 100,000
    order_total_tolerance: Decimal = Field(default=Decimal("0.01"), ge=0, le=1)  # per line, for rounding
    order_promised_time_grace_seconds: int = Field(default=600, ge=0)  # a scheduled time this far past still passes
    # catalogSyncConfiguration as registered with Wix (wix-pos-spi.md §6): flag -> "WIX" | "POS"; absent = POS.
    catalog_sync_configuration: dict[str, str] = Field(default_factory=dict)

    @field_validator("wix_public_key")
    @classmethod
    def _public_key_is_rsa_pem(cls, value: str) -> str:
        pem = resolve_public_key_text(value)
        try:
            key = load_pem_public_key(pem.encode())
        except ValueError as exc:
            raise ValueError("not a readable PEM public key") from exc
        if not isinstance(key, RSAPublicKey):
            raise ValueError("not an RSA public key")
        return pem

    @field_validator("secret_key")
    @classmethod
    def _secret_key_long_enough(cls, value: str) -> str:
        if len(value) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_supported(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @cached_property
    def public_key(self) -> RSAPublicKey:
        """The app's public key that verifies Wix's signatures."""
        key = load_pem_public_key(self.wix_public_key.encode())
        assert isinstance(key, RSAPublicKey)
        return key

    @property
    def wix_restaurants_base(self) -> str:
        """Base URL of Wix's restaurants APIs (with the docs' prefix unless configured away)."""
        return self.wix_api_base.rstrip("/") + self.wix_api_prefix


class DatabaseSettings(Settings):
    """Settings of commands that only touch the database: Wix app credentials are not needed there."""

    # pydantic-settings validates defaults; the empty stand-ins below must not meet the PEM check.
    model_config = {**Settings.model_config, "validate_default": False}
    wix_app_id: str = ""
    wix_app_secret: str = ""
    wix_public_key: str = ""
    secret_key: str | None = None  # type: ignore[assignment]  # only needed to store POS credentials


SettingsT = TypeVar("SettingsT", bound=Settings)


def load_settings(settings_class: type[SettingsT] = Settings, **overrides: object) -> SettingsT:  # type: ignore[assignment]
    """Load settings, folding POSBRIDGE_CONFIG (a TOML file) under the environment."""
    values: dict[str, object] = {}
    toml_path = os.environ.get("POSBRIDGE_CONFIG")
    if toml_path:
        with open(toml_path, "rb") as fh:
            values.update({k: v for k, v in tomllib.load(fh).items() if f"POSBRIDGE_{k.upper()}" not in os.environ})
    values.update(overrides)
    try:
        return settings_class(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "POSBRIDGE_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        reason = "is required but not set" if first["type"] == "missing" else f"is invalid: {first['msg']}"
        raise ConfigError(f"{name} {reason}") from None
