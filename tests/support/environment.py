"""The test process's environment for in-process CLI runs."""

from __future__ import annotations

import os

import pytest


def drop_posbridge_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every POSBRIDGE_* setting (the suite's own POSBRIDGE_TEST_* stay) for this test."""
    for name in list(os.environ):
        if name.upper().startswith("POSBRIDGE_") and not name.upper().startswith("POSBRIDGE_TEST_"):
            monkeypatch.delenv(name)
