"""Structured logging (structlog) carrying the Wix request id; secrets are masked before output."""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_SECRET_KEYS = re.compile(r"(secret|token|password|api_?key|authorization|credential|private)", re.I)


def _add_request_id(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    rid = request_id_var.get()
    if rid and "request_id" not in event:
        event["request_id"] = rid
    return event


def _mask_secrets(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    for key in list(event):
        if _SECRET_KEYS.search(key) and event[key] is not None:
            event[key] = "***"
    return event


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    """Route structlog and stdlib logging to stderr, as JSON lines or for the console."""
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            _add_request_id,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _mask_secrets,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    """A structlog logger bound to a component name."""
    return structlog.get_logger(component=name)
