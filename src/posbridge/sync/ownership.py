"""catalogSyncConfiguration (wix-pos-spi.md §6): which parts of the menu Wix owns, so a sync leaves them be.

Each of Wix's seven flags says WIX or POS. A part owned by WIX is written once, when the entity
is created (so a new dish is complete), and from then on the live catalog's value is carried
over on every sync: the merchant edits it in Wix and posbridge never overwrites it.
"""

from __future__ import annotations

from dataclasses import dataclass

from posbridge.sync.catalog import DISH, MENU, VARIATION

FLAGS = (
    "entityAvailabilityUpdated",
    "fulfillmentMethodsDefinition",
    "dishImagesUpdated",
    "entitySortingControl",
    "dishLabelsUpdated",
    "dishOptionsMinMaxUpdated",
    "dishInStockUpdated",
)

# Plain fields each flag covers, per kind. Sorting and option min/max are handled by the differ,
# since they live inside list fields.
_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "entityAvailabilityUpdated": {MENU: ("availability", "visible")},
    "fulfillmentMethodsDefinition": {MENU: ("fulfillmentTypes",)},
    "dishImagesUpdated": {DISH: ("imageUrl",)},
    "dishLabelsUpdated": {DISH: ("labels",)},
    "dishInStockUpdated": {DISH: ("inStock",), VARIATION: ("inStock",)},
}


class OwnershipError(ValueError):
    """The configured catalogSyncConfiguration is not Wix's shape."""


@dataclass(frozen=True)
class Ownership:
    """The set of flags owned by WIX (everything else is POS's)."""

    wix_owned: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, raw: dict[str, str] | None) -> Ownership:
        """From {flag: "WIX"|"POS"}; unknown flags or values are a configuration error."""
        owned = set()
        for flag, owner in (raw or {}).items():
            if flag not in FLAGS:
                raise OwnershipError(f"unknown catalogSyncConfiguration flag {flag!r}")
            if str(owner).upper() not in ("WIX", "POS"):
                raise OwnershipError(f"catalogSyncConfiguration.{flag} must be WIX or POS, not {owner!r}")
            if str(owner).upper() == "WIX":
                owned.add(flag)
        return cls(frozenset(owned))

    def carried_fields(self, kind: str) -> tuple[str, ...]:
        """Plain fields of `kind` whose live value wins."""
        out: list[str] = []
        for flag in self.wix_owned:
            out.extend(_FIELDS.get(flag, {}).get(kind, ()))
        return tuple(sorted(out))

    @property
    def wix_sorts(self) -> bool:
        """Wix owns the display order of sections and dishes."""
        return "entitySortingControl" in self.wix_owned

    @property
    def wix_min_max(self) -> bool:
        """Wix owns the min/max of dish options."""
        return "dishOptionsMinMaxUpdated" in self.wix_owned

    def describe(self) -> dict[str, str]:
        """Every flag with its owner, for logs and summaries."""
        return {flag: ("WIX" if flag in self.wix_owned else "POS") for flag in FLAGS}
