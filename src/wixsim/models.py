"""Base for control-API request models: unknown fields are refused, so a typo fails loudly."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A pydantic model that forbids unknown fields."""

    model_config = ConfigDict(extra="forbid")
