"""Fault injection per Wix endpoint: latency, 429 (with or without Retry-After), 5xx, dropped connections.

A 5xx or a drop hits before the call runs (`phase` "before": nothing changed at Wix) or after it
(`phase` "after": the call's effect stays and only its answer is lost, as when a gateway times out
on a request Wix did carry out), which is what makes a retried create double its entity.
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import Field, model_validator

from wixsim.clock import new_id
from wixsim.models import StrictModel

FaultKind = Literal["latency", "429", "5xx", "drop"]
FaultPhase = Literal["before", "after"]


class FaultRule(StrictModel):
    """One rule: which calls it hits (endpoint, instance, next N or a fraction) and what it does."""

    id: str = Field(default_factory=new_id)
    endpoint: str = Field("*", description="Endpoint name (e.g. bulkCreateDishes, acceptOrder) or '*'")
    kind: FaultKind
    instanceId: str | None = Field(None, description="Only calls for this instance")
    count: int | None = Field(None, ge=1, description="Hit the next N matching calls, then expire")
    fraction: float | None = Field(None, gt=0, le=1, description="Hit this fraction of matching calls")
    seed: int | None = Field(None, description="Seed for the fraction's random draws")
    latencyMs: int = Field(0, ge=0, description="Delay added (latency kind, or before any other kind)")
    status: int | None = Field(None, description="Status for 5xx (default 503) or 429")
    retryAfter: int | None = Field(None, ge=0, description="Retry-After seconds for 429; omitted when null")
    phase: FaultPhase = Field(
        "before", description="5xx/drop only: 'after' runs the call (its effect stays) and loses its answer"
    )
    hits: int = 0

    @model_validator(mode="after")
    def _status_fits_kind(self) -> FaultRule:
        if self.kind == "5xx" and self.status is not None and not 500 <= self.status <= 599:
            raise ValueError("status of a 5xx fault must be 500..599")
        if self.phase == "after" and self.kind not in ("5xx", "drop"):
            raise ValueError("only a 5xx or a drop can come after the call has run")
        return self


class FaultInjector:
    """Holds the rules and decides, per call, which one fires."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self._rngs: dict[str, random.Random] = {}

    def add(self, rule: FaultRule) -> FaultRule:
        """Install a rule."""
        self.rules.append(rule)
        self._rngs[rule.id] = random.Random(rule.seed)
        return rule

    def clear(self) -> None:
        """Remove every rule."""
        self.rules.clear()
        self._rngs.clear()

    def pick(self, endpoint: str, instance_id: str | None) -> FaultRule | None:
        """The first matching rule that fires for this call (consuming one of its N), or None."""
        for rule in list(self.rules):
            if rule.endpoint not in ("*", endpoint):
                continue
            if rule.instanceId is not None and rule.instanceId != instance_id:
                continue
            if rule.fraction is not None and self._rngs[rule.id].random() >= rule.fraction:
                continue
            rule.hits += 1
            if rule.count is not None and rule.hits >= rule.count:
                self.rules.remove(rule)
            return rule
        return None
