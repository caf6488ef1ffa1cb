"""Settings from the environment (POSBRIDGE_*), an optional .env file and an optional TOML file."""

from __future__ import annotations

import base64
import binascii
import difflib
import os
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, TypeVar

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from dotenv import dotenv_values
from pydantic import Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_PREFIX = "POSBRIDGE_"
# POSBRIDGE_* names that are not settings yet are read by someone: never reported as misspelt.
OTHER_KNOWN_NAMES = frozenset({"POSBRIDGE_CONFIG"})
OTHER_KNOWN_PREFIXES = ("POSBRIDGE_TEST_",)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A required setting is missing or malformed; the message is one line naming it."""


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'posbridge.db'}"


def resolve_public_key_text(raw: str) -> str:
    """Turn PEM text, one-line base64 of a PEM, or `@/path/to.pem` into PEM text."""
    raw = raw.strip()
    if raw.startswith("@"):
        try:
            raw = Path(raw[1:]).read_text().strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a text file"
            raise ValueError(f"cannot read {raw[1:]}: {reason}") from None
    if "-----BEGIN" not in raw:
        try:
            raw = base64.b64decode(raw, validate=True).decode("ascii").strip()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ValueError("neither PEM text, one-line base64 of a PEM, nor @/path/to.pem") from exc
    # Env files often carry the PEM with literal "\n" sequences.
    return raw.replace("\\n", "\n")


class Settings(BaseSettings):
    """Everything posbridge reads from its environment."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

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
    # The eCommerce Validations plugin answers within this, else fails open (no violations).
    validations_budget_ms: int = Field(default=1000, ge=10, le=10_000)
    # Every wait on the database (connect, pool checkout, statement, SQLite write lock): the SPI
    # answers 503 past it, well inside Wix's 10 s budget for Create Order.
    db_timeout_seconds: float = Field(default=5.0, gt=0, le=600)
    queue: Literal["sqlite", "redis", "immediate"] = "sqlite"
    queue_path: str | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    run_worker: bool = True
    worker_threads: int = 2
    # Threads serving synchronous handlers (anyio's default is 40). Few threads keep the GIL on one
    # core instead of bouncing it between many; see docs/benchmarks.md "## SPI".
    threadpool_size: int = Field(default=6, ge=1)
    sync_reconcile_minutes: int = Field(default=15, ge=0)
    # A POS change or a merchant's edit in Wix starts its sync this long after the last of a burst of
    # them (never more than 30 s after the first: services/syncing.py MAX_WAIT_SECONDS).
    sync_debounce_seconds: float = Field(default=3.0, ge=0, le=30)
    # Calls to Wix: Wix allows 200 requests per minute per app instance; the window is settable for tests.
    wix_rate_limit_per_minute: int = 200
    wix_rate_window_seconds: float = 60.0
    wix_timeout_seconds: float = 30.0
    wix_max_attempts: int = 5
    wix_retry_base_seconds: float = 0.5
    wix_retry_max_seconds: float = 120.0
    # A merchant's own POS that did not take a webhook: the first wait before trying again, doubling
    # up to the longest (docs/decisions.md "A merchant's own POS"); the retry window stays 24 h.
    pos_retry_first_seconds: float = Field(default=5.0, gt=0, le=3600)
    pos_retry_max_seconds: float = Field(default=3600.0, gt=0, le=24 * 3600)
    log_level: str = "INFO"  # DEBUG | INFO | WARNING | ERROR | CRITICAL
    log_json: bool = True
    dashboard_instance_max_age_seconds: int = 600
    # CSP frame-ancestors source list: who may frame the dashboard page (Wix's dashboard).
    dashboard_frame_ancestors: str = "https://manage.wix.com https://*.wix.com"
    dashboard_session_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # Order intake (docs/decisions.md "Order intake"). observe: every check runs and is logged and
    # recorded, but only those protecting the kitchen refuse (for the first days of a new Wix release).
    order_checks: Literal["enforce", "observe"] = "enforce"
    order_max_quantity: int = Field(default=999, ge=1, le=100_000)  # per line or choice; the wire allows 100,000
    order_total_tolerance: Decimal = Field(default=Decimal("0.01"), ge=0, le=1)  # per line, for rounding
    order_promised_time_grace_seconds: int = Field(default=600, ge=0)  # a scheduled time this far past still passes
    # catalogSyncConfiguration as registered with Wix (wix-pos-spi.md §6): flag -> "WIX" | "POS"; absent = POS.
    catalog_sync_configuration: dict[str, str] = Field(default_factory=dict)
    # Lines about the settings' sources that do not stop start-up (a misspelt name); shown by the caller.
    _warnings: list[str] = PrivateAttr(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """Warnings found while loading (misspelt POSBRIDGE_* names, unknown TOML keys)."""
        return self._warnings

    @field_validator("log_level")
    @classmethod
    def _log_level_known(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value.upper()

    @field_validator("redis_url")
    @classmethod
    def _redis_url_supported(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

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
        expected = "must be sqlite:///path/to.db or postgresql://user@host/database"
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(expected) from None
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        if url.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
            raise ValueError(expected)
        return url.render_as_string(hide_password=False)

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


def setting_names() -> list[str]:
    """Every setting's environment name (POSBRIDGE_DATABASE_URL, …)."""
    return [ENV_PREFIX + name.upper() for name in Settings.model_fields]


def load_settings(settings_class: type[SettingsT] = Settings, **overrides: object) -> SettingsT:  # type: ignore[assignment]
    """Load settings, folding POSBRIDGE_CONFIG (a TOML file) under the environment.

    Every problem is a ConfigError whose message is one line naming the setting; a name that is no
    setting (a typo) is a warning on the result, naming the closest known one.
    """
    values: dict[str, object] = {}
    warnings = _misspelt(os.environ.keys(), "environment")
    if Path(".env").is_file():
        warnings += _misspelt(dotenv_values(".env").keys(), "in .env")
    toml_path = os.environ.get("POSBRIDGE_CONFIG")
    if toml_path:
        toml_values, toml_warnings = _read_toml(toml_path)
        warnings += toml_warnings
        values.update({k: v for k, v in toml_values.items() if ENV_PREFIX + k.upper() not in _upper(os.environ)})
    values.update(overrides)
    try:
        settings = settings_class(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ENV_PREFIX + str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        reason = "is required but not set" if first["type"] == "missing" else f"is invalid: {message}"
        raise ConfigError(f"{name} {reason}") from None
    settings._warnings = warnings
    return settings


def _upper(names: Mapping[str, Any]) -> set[str]:
    return {name.upper() for name in names}


def _read_toml(path: str) -> tuple[dict[str, Any], list[str]]:
    """A POSBRIDGE_CONFIG file's settings by field name; its keys are `database_url` or `POSBRIDGE_DATABASE_URL`."""
    try:
        with open(path, "rb") as fh:
            document = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"POSBRIDGE_CONFIG cannot be read: {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"POSBRIDGE_CONFIG is not valid TOML: {path}: {exc}") from None
    known = set(Settings.model_fields)
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for key, value in document.items():
        field = key.lower().removeprefix(ENV_PREFIX.lower())
        if field in known:
            values[field] = value
        else:
            warnings.append(_unknown(key, f"in {path}", field_names=True))
    return values, warnings


def _misspelt(names: Any, where: str) -> list[str]:
    """A warning for each POSBRIDGE_* name that is no setting."""
    known = set(setting_names()) | OTHER_KNOWN_NAMES
    return [
        _unknown(name, where)
        for name in sorted(names)
        if name.upper().startswith(ENV_PREFIX)
        and name.upper() not in known
        and not name.upper().startswith(OTHER_KNOWN_PREFIXES)
    ]


def _unknown(name: str, where: str, *, field_names: bool = False) -> str:
    """`NAME (where) is not a posbridge setting and is ignored; did you mean CLOSEST?`"""
    known = setting_names() + sorted(OTHER_KNOWN_NAMES)
    probe = name.upper() if name.upper().startswith(ENV_PREFIX) else ENV_PREFIX + name.upper()
    close = difflib.get_close_matches(probe, known, n=1, cutoff=0.6)
    hint = ""
    if close:
        # Suggest in the spelling the source used: a TOML file may use the field's own name.
        spelled = close[0].removeprefix(ENV_PREFIX).lower() if field_names and probe != name.upper() else close[0]
        hint = f"; did you mean {spelled}?"
    return f"{name} ({where}) is not a posbridge setting and is ignored{hint}"
