"""The POS menu import format `posbridge.menu/1`: validation of a whole document into typed parts.

`parse_document` checks everything at once — shapes, values and references between parts — and
either returns a `MenuDocument` or raises `InvalidMenuDocument` listing every problem with its
JSON path, so an operator fixes a document in one round instead of one error at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FORMAT = "posbridge.menu/1"
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
FULFILLMENT_TYPES = ("PICKUP", "DELIVERY", "DINE_IN")
GROUP_TYPES = ("SELECTION", "EXTRAS", "DESELECTION")

# Column sizes of the store: longer values would be cut or rejected by PostgreSQL.
MAX_ID, MAX_NAME, MAX_URL = 128, 255, 2048
# Counts (stock, slot sizes, group bounds) are INTEGER columns: a signed 32-bit integer.
MAX_INT = 2**31 - 1
# Money is NUMERIC(18,4): at most 14 integer and 4 fraction digits survive a round trip exactly.
_MONEY = re.compile(r"^\d{1,14}(\.\d{1,4})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Neither database stores a NUL, nor can text hold half a UTF-16 surrogate pair.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# ISO 4217 minor units of the currencies that do not have 2 (every other code has 2).
_MINOR_UNITS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


def minor_units(currency: str) -> int:
    """How many decimals an amount in `currency` may have (ISO 4217: 2 for USD, 0 for JPY, 3 for KWD)."""
    return _MINOR_UNITS.get(currency, 2)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where (a JSON path) and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class InvalidMenuDocument(Exception):
    """A document that cannot be imported; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"invalid menu document: {len(problems)} {noun}")


@dataclass(frozen=True)
class MerchantDoc:
    """The merchant the document belongs to."""

    id: str
    name: str
    currency: str


@dataclass(frozen=True)
class LocationDoc:
    """A location as the document describes it."""

    id: str
    name: str
    timezone: str
    address: dict[str, Any]
    latitude: Decimal | None
    longitude: Decimal | None
    hours: list[dict[str, str]]
    fulfillment: list[str]
    delivery_radius_km: Decimal | None
    slot_minutes: int
    orders_per_slot: int | None
    require_customer_phone: bool
    require_customer_email: bool


@dataclass(frozen=True)
class SectionDoc:
    """A menu section and its item ids in display order."""

    id: str
    name: str
    description: str
    items: list[str]


@dataclass(frozen=True)
class MenuDoc:
    """A menu: where it is sold, when, and its sections."""

    id: str
    name: str
    description: str
    locations: list[str]
    availability: list[dict[str, Any]] | None
    sections: list[SectionDoc]


@dataclass(frozen=True)
class ItemDoc:
    """A dish with its prices, options and stock."""

    id: str
    name: str
    description: str
    price: Decimal
    location_prices: dict[str, Decimal]
    tax_rate: Decimal | None
    labels: list[str]
    image_url: str | None
    option_groups: list[str]
    stock: dict[str, int | None]  # location id → quantity; a missing location or None = untracked
    accept_special_request: bool


@dataclass(frozen=True)
class ChoiceDoc:
    """A variation an option group offers, at a price."""

    variation: str
    price: Decimal


@dataclass(frozen=True)
class OptionGroupDoc:
    """An option group with its bounds, defaults and choices."""

    id: str
    name: str
    type: str
    min: int
    max: int
    defaults: list[str]
    choices: list[ChoiceDoc]


@dataclass(frozen=True)
class VariationDoc:
    """A named choice shared by option groups."""

    id: str
    name: str


@dataclass(frozen=True)
class MenuDocument:
    """A valid `posbridge.menu/1` document, typed (money as Decimal)."""

    merchant: MerchantDoc
    locations: list[LocationDoc] = field(default_factory=list)
    menus: list[MenuDoc] = field(default_factory=list)
    items: list[ItemDoc] = field(default_factory=list)
    option_groups: list[OptionGroupDoc] = field(default_factory=list)
    variations: list[VariationDoc] = field(default_factory=list)


def validate_document(document: Any) -> list[Problem]:
    """Every problem of a document (empty when it is valid)."""
    try:
        parse_document(document)
    except InvalidMenuDocument as exc:
        return exc.problems
    return []


def parse_document(document: Any) -> MenuDocument:
    """Check a whole document and type it; raise `InvalidMenuDocument` listing every problem."""
    reader = _Reader()
    parsed = reader.document(document)
    if reader.problems or parsed is None:
        raise InvalidMenuDocument(sorted(reader.problems, key=_path_order))
    return parsed


@lru_cache(maxsize=512)
def _known_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _path_order(problem: Problem) -> list[tuple[int, int | str]]:
    """Sort key putting problems in path order, with list indexes compared as numbers."""
    return [(0, int(tok)) if tok.isdigit() else (1, tok) for tok in re.findall(r"\d+|[^\d\[\].]+", problem.path)]


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if _PLAIN_KEY.match(key) else f"{path}[{key!r}]"


def _list(value: Any) -> list[Any]:
    """The value if it is a list, else an empty one (bad parts are reported elsewhere)."""
    return value if isinstance(value, list) else []


_MISSING = object()


class _Reader:
    """Walks a document once, collecting problems and building the typed parts."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.currency = ""  # the merchant's, once read: amounts are checked against its minor units

    def problem(self, path: str, reason: str) -> None:
        self.problems.append(Problem(path, reason))

    # --- primitives ---------------------------------------------------------------------------

    def obj(self, value: Any, path: str, allowed: Iterable[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(path, "must be an object")
            return None
        allowed_keys = set(allowed)
        # Unknown fields are reported: in an import file they are almost always typos.
        for key in value:
            if key not in allowed_keys:
                self.problem(_key_path(path, str(key)), "unknown field")
        return value

    def text(self, obj: dict[str, Any], key: str, path: str, *, required: bool = False, max_len: int = MAX_NAME) -> str:
        value = obj.get(key, _MISSING)
        here = f"{path}.{key}"
        if value is _MISSING or value is None:
            if required:
                self.problem(here, "is required")
            return ""
        if not isinstance(value, str):
            self.problem(here, "must be a string")
            return ""
        if required and not value.strip():
            self.problem(here, "must not be empty")
        if _UNSTORABLE.search(value):
            self.problem(here, "must not contain NUL or unpaired surrogate characters")
        if len(value) > max_len:
            self.problem(here, f"must be at most {max_len} characters")
        return value

    def ident(self, obj: dict[str, Any], path: str) -> str:
        return self.text(obj, "id", path, required=True, max_len=MAX_ID)

    def money(self, value: Any, path: str, *, what: str = "a decimal string ≥ 0") -> Decimal | None:
        if not (isinstance(value, str) and _MONEY.match(value)):
            self.problem(path, f"must be {what} with at most 4 decimal places")
            return None
        amount = Decimal(value)
        if what != "a percent string" and self.currency:
            # An amount the currency cannot express is refused here, not by the sync or an order later.
            allowed, places = minor_units(self.currency), -int(amount.normalize().as_tuple().exponent)
            if places > allowed:
                self.problem(path, f"has {places} decimal places; {self.currency} amounts have at most {allowed}")
                return None
        return amount

    def integer(self, obj: dict[str, Any], key: str, path: str, *, default: int | None, low: int = 0) -> int | None:
        value = obj.get(key)
        if value is None:
            return default
        # bool is an int in Python; a JSON true is not a count.
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_INT:
            self.problem(f"{path}.{key}", f"must be an integer ≥ {low} (at most {MAX_INT})")
            return default
        return value

    def boolean(self, obj: dict[str, Any], key: str, path: str) -> bool:
        value = obj.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.problem(f"{path}.{key}", "must be true or false")
            return False
        return value

    def number(self, value: Any, path: str, low: float, high: float) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            self.problem(path, f"must be a number between {low:g} and {high:g}")
            return None
        return Decimal(str(value))

    def array(self, obj: dict[str, Any], key: str, path: str, *, required: bool = False) -> list[Any]:
        value = obj.get(key)
        if value is None:
            if required:
                self.problem(f"{path}.{key}", "is required")
            return []
        if not isinstance(value, list):
            self.problem(f"{path}.{key}", "must be a list")
            return []
        return value

    def strings(self, obj: dict[str, Any], key: str, path: str) -> list[str]:
        """A list of unique non-empty strings (ids or labels)."""
        out: list[str] = []
        seen: set[str] = set()
        for i, value in enumerate(self.array(obj, key, path)):
            here = f"{path}.{key}[{i}]"
            if not isinstance(value, str) or not value:
                self.problem(here, "must be a non-empty string")
            elif len(value) > MAX_NAME or _UNSTORABLE.search(value):
                self.problem(here, f"must be at most {MAX_NAME} characters, without NUL or unpaired surrogates")
            elif value in seen:
                self.problem(here, f"'{value}' is listed twice")
            else:
                seen.add(value)
                out.append(value)
        return out

    def unique(self, ids: dict[str, str], value: str, path: str, kind: str) -> None:
        if not value:
            return
        if value in ids:
            self.problem(f"{path}.id", f"duplicate {kind} id '{value}' (first at {ids[value]})")
        else:
            ids[value] = path

    def time(self, obj: dict[str, Any], key: str, path: str, *, end: bool) -> str | None:
        value = obj.get(key)
        if isinstance(value, str) and (_TIME.match(value) or (end and value == "24:00")):
            return value
        allowed = '"HH:MM" (00:00-24:00)' if end else '"HH:MM" (00:00-23:59)'
        self.problem(f"{path}.{key}", f"must be a time {allowed}")
        return None

    def interval(self, obj: dict[str, Any], start: str, stop: str, path: str) -> tuple[str, str] | None:
        opens = self.time(obj, start, path, end=False)
        closes = self.time(obj, stop, path, end=True)
        if opens is None or closes is None:
            return None
        if opens >= closes:
            # Overnight opening is two entries: until "24:00", then from "00:00" the next day.
            self.problem(f"{path}.{stop}", f"must be after {start} {opens} (split overnight hours at 24:00)")
            return None
        return opens, closes

    def day(self, value: Any, path: str) -> str | None:
        if value in DAYS:
            return str(value)
        self.problem(path, f"must be one of {', '.join(DAYS)}")
        return None

    # --- parts --------------------------------------------------------------------------------

    def document(self, document: Any) -> MenuDocument | None:
        root = self.obj(
            document, "$", ("format", "merchant", "locations", "menus", "items", "optionGroups", "variations")
        )
        if root is None:
            return None
        if root.get("format") != FORMAT:
            self.problem("$.format", f'must be "{FORMAT}"')
        merchant = self.merchant(root.get("merchant"))
        variations = [
            self.variation(v, f"$.variations[{i}]") for i, v in enumerate(self.array(root, "variations", "$"))
        ]
        groups = [self.group(g, f"$.optionGroups[{i}]") for i, g in enumerate(self.array(root, "optionGroups", "$"))]
        locations = [
            self.location(loc, f"$.locations[{i}]")
            for i, loc in enumerate(self.array(root, "locations", "$", required=True))
        ]
        items = [self.item(it, f"$.items[{i}]") for i, it in enumerate(self.array(root, "items", "$", required=True))]
        menus = [self.menu(m, f"$.menus[{i}]") for i, m in enumerate(self.array(root, "menus", "$", required=True))]
        parsed = MenuDocument(
            merchant=merchant or MerchantDoc("", "", ""),
            locations=[x for x in locations if x is not None],
            menus=[x for x in menus if x is not None],
            items=[x for x in items if x is not None],
            option_groups=[x for x in groups if x is not None],
            variations=[x for x in variations if x is not None],
        )
        self.references(root)
        return parsed

    def merchant(self, value: Any) -> MerchantDoc | None:
        obj = self.obj(value, "$.merchant", ("id", "name", "currency"))
        if obj is None:
            return None
        currency = self.text(obj, "currency", "$.merchant", required=True)
        if currency and not _CURRENCY.match(currency):
            self.problem("$.merchant.currency", "must be an ISO-4217 code (three capital letters)")
        elif currency:
            self.currency = currency
        return MerchantDoc(self.ident(obj, "$.merchant"), self.text(obj, "name", "$.merchant", required=True), currency)

    def variation(self, value: Any, path: str) -> VariationDoc | None:
        obj = self.obj(value, path, ("id", "name"))
        if obj is None:
            return None
        return VariationDoc(self.ident(obj, path), self.text(obj, "name", path, required=True))

    def group(self, value: Any, path: str) -> OptionGroupDoc | None:
        obj = self.obj(value, path, ("id", "name", "type", "min", "max", "defaults", "choices"))
        if obj is None:
            return None
        kind = obj.get("type")
        if kind not in GROUP_TYPES:
            self.problem(f"{path}.type", f"must be one of {', '.join(GROUP_TYPES)}")
        low = self.integer(obj, "min", path, default=0)
        high = self.integer(obj, "max", path, default=1)
        choices: list[ChoiceDoc] = []
        for i, raw in enumerate(self.array(obj, "choices", path, required=True)):
            here = f"{path}.choices[{i}]"
            choice = self.obj(raw, here, ("variation", "price"))
            if choice is None:
                continue
            variation = self.text(choice, "variation", here, required=True, max_len=MAX_ID)
            price = self.money(choice.get("price", "0"), f"{here}.price")
            if variation and any(c.variation == variation for c in choices):
                self.problem(f"{here}.variation", f"'{variation}' is offered twice")
            elif variation and price is not None:
                choices.append(ChoiceDoc(variation, price))
        defaults = self.strings(obj, "defaults", path)
        offered = {c.variation for c in choices}
        for i, default in enumerate(defaults):
            if offered and default not in offered:
                self.problem(f"{path}.defaults[{i}]", f"'{default}' is not one of the group's choices")
        if low is not None and high is not None:
            raw_choices = obj.get("choices")
            offered_count = len(raw_choices) if isinstance(raw_choices, list) else 0
            self.bounds(path, str(kind), low, high, offered_count, len(defaults))
        return OptionGroupDoc(
            self.ident(obj, path),
            self.text(obj, "name", path, required=True),
            str(kind),
            low or 0,
            high or 0,
            defaults,
            choices,
        )

    def bounds(self, path: str, kind: str, low: int, high: int, choices: int, defaults: int) -> None:
        if kind == "SELECTION" and (low, high) != (1, 1):
            self.problem(f"{path}.min", "a SELECTION group needs min = max = 1 (exactly one choice)")
        elif low > high:
            self.problem(f"{path}.min", f"must be ≤ max ({low} > {high})")
        if high > choices:
            self.problem(f"{path}.max", f"must be ≤ the number of choices ({high} > {choices})")
        if kind in ("SELECTION", "EXTRAS") and defaults > high:
            self.problem(f"{path}.defaults", f"must not pre-select more than max ({defaults} > {high})")

    def location(self, value: Any, path: str) -> LocationDoc | None:
        fields = (
            "id",
            "name",
            "timezone",
            "address",
            "hours",
            "fulfillment",
            "deliveryRadiusKm",
            "slotMinutes",
            "ordersPerSlot",
            "requireCustomerPhone",
            "requireCustomerEmail",
        )
        obj = self.obj(value, path, fields)
        if obj is None:
            return None
        timezone = self.text(obj, "timezone", path, required=True, max_len=64)
        if timezone and not _known_timezone(timezone):
            self.problem(f"{path}.timezone", f"'{timezone}' is not a known IANA time zone")
        address = obj.get("address") or {}
        latitude = longitude = None
        if not isinstance(address, dict):
            self.problem(f"{path}.address", "must be an object")
            address = {}
        else:
            latitude = self.number(address.get("latitude"), f"{path}.address.latitude", -90, 90)
            longitude = self.number(address.get("longitude"), f"{path}.address.longitude", -180, 180)
        fulfillment = self.strings(obj, "fulfillment", path)
        for i, kind in enumerate(fulfillment):
            if kind not in FULFILLMENT_TYPES:
                self.problem(f"{path}.fulfillment[{i}]", f"must be one of {', '.join(FULFILLMENT_TYPES)}")
        radius = obj.get("deliveryRadiusKm")
        return LocationDoc(
            id=self.ident(obj, path),
            name=self.text(obj, "name", path, required=True),
            timezone=timezone,
            address=address,
            latitude=latitude,
            longitude=longitude,
            hours=self.hours(obj, path),
            fulfillment=fulfillment,
            delivery_radius_km=self.number(radius, f"{path}.deliveryRadiusKm", 0, 20000),
            slot_minutes=self.integer(obj, "slotMinutes", path, default=15, low=1) or 15,
            orders_per_slot=self.integer(obj, "ordersPerSlot", path, default=None, low=1),
            require_customer_phone=self.boolean(obj, "requireCustomerPhone", path),
            require_customer_email=self.boolean(obj, "requireCustomerEmail", path),
        )

    def hours(self, obj: dict[str, Any], path: str) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        for i, raw in enumerate(self.array(obj, "hours", path)):
            here = f"{path}.hours[{i}]"
            entry = self.obj(raw, here, ("day", "open", "close"))
            if entry is None:
                continue
            day = self.day(entry.get("day"), f"{here}.day")
            span = self.interval(entry, "open", "close", here)
            if day is None or span is None:
                continue
            for other in out:
                if other["day"] == day and span[0] < other["close"] and other["open"] < span[1]:
                    self.problem(here, f"overlaps {day} {other['open']}-{other['close']}")
                    break
            else:
                out.append({"day": day, "open": span[0], "close": span[1]})
        return out

    def menu(self, value: Any, path: str) -> MenuDoc | None:
        obj = self.obj(value, path, ("id", "name", "description", "locations", "availability", "sections"))
        if obj is None:
            return None
        locations = self.strings(obj, "locations", path)
        if not locations and isinstance(obj.get("locations"), list | None):
            self.problem(f"{path}.locations", "must list at least one location")
        availability: list[dict[str, Any]] | None = None
        if obj.get("availability") is not None:
            availability = []
            for i, raw in enumerate(self.array(obj, "availability", path)):
                here = f"{path}.availability[{i}]"
                window = self.obj(raw, here, ("days", "from", "to"))
                if window is None:
                    continue
                raw_days = self.array(window, "days", here, required=True)
                days = [self.day(d, f"{here}.days[{k}]") for k, d in enumerate(raw_days)]
                if isinstance(window.get("days"), list) and not raw_days:
                    self.problem(f"{here}.days", "must list at least one day")
                span = self.interval(window, "from", "to", here)
                if span is not None and None not in days:
                    availability.append({"days": list(dict.fromkeys(days)), "from": span[0], "to": span[1]})
        sections = []
        for i, raw in enumerate(self.array(obj, "sections", path)):
            here = f"{path}.sections[{i}]"
            section = self.obj(raw, here, ("id", "name", "description", "items"))
            if section is not None:
                sections.append(
                    SectionDoc(
                        self.ident(section, here),
                        self.text(section, "name", here, required=True),
                        self.text(section, "description", here, max_len=10_000),
                        self.strings(section, "items", here),
                    )
                )
        return MenuDoc(
            id=self.ident(obj, path),
            name=self.text(obj, "name", path, required=True),
            description=self.text(obj, "description", path, max_len=10_000),
            locations=locations,
            availability=availability,
            sections=sections,
        )

    def item(self, value: Any, path: str) -> ItemDoc | None:
        fields = (
            "id",
            "name",
            "description",
            "price",
            "locationPrices",
            "taxRate",
            "labels",
            "imageUrl",
            "optionGroups",
            "stock",
            "acceptSpecialRequest",
        )
        obj = self.obj(value, path, fields)
        if obj is None:
            return None
        price = self.money(obj.get("price"), f"{path}.price")
        location_prices: dict[str, Decimal] = {}
        raw_prices = obj.get("locationPrices") or {}
        if isinstance(raw_prices, dict):
            for loc, raw in raw_prices.items():
                amount = self.money(raw, _key_path(f"{path}.locationPrices", loc))
                if amount is not None:
                    location_prices[loc] = amount
        else:
            self.problem(f"{path}.locationPrices", "must be an object of location id → price")
        tax_rate = None
        if obj.get("taxRate") is not None:
            tax_rate = self.money(obj["taxRate"], f"{path}.taxRate", what="a percent string")
            if tax_rate is not None and tax_rate > 100:
                self.problem(f"{path}.taxRate", "must be a percent between 0 and 100")
        image_url = self.text(obj, "imageUrl", path, max_len=MAX_URL) or None
        if image_url and not image_url.startswith(("https://", "http://")):
            self.problem(f"{path}.imageUrl", "must be an http(s) URL")
        stock: dict[str, int | None] = {}
        raw_stock = obj.get("stock")
        if isinstance(raw_stock, dict):
            for loc, qty in raw_stock.items():
                if qty is not None and (isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= MAX_INT):
                    reason = f"must be an integer ≥ 0 (at most {MAX_INT}) or null (not tracked)"
                    self.problem(_key_path(f"{path}.stock", loc), reason)
                else:
                    stock[loc] = qty
        elif raw_stock is not None:
            self.problem(f"{path}.stock", "must be an object of location id → quantity, or null")
        return ItemDoc(
            id=self.ident(obj, path),
            name=self.text(obj, "name", path, required=True),
            description=self.text(obj, "description", path, max_len=10_000),
            price=price if price is not None else Decimal(0),
            location_prices=location_prices,
            tax_rate=tax_rate,
            labels=self.strings(obj, "labels", path),
            image_url=image_url,
            option_groups=self.strings(obj, "optionGroups", path),
            stock=stock,
            accept_special_request=self.boolean(obj, "acceptSpecialRequest", path),
        )

    # --- references between parts -------------------------------------------------------------

    def references(self, root: dict[str, Any]) -> None:
        """Unique ids per kind and every reference pointing at something the document defines."""
        ids: dict[str, dict[str, str]] = {kind: {} for kind in ("location", "menu", "section", "item", "group", "var")}
        for kind, key, parts in (
            ("location", "locations", root.get("locations")),
            ("menu", "menus", root.get("menus")),
            ("item", "items", root.get("items")),
            ("group", "optionGroups", root.get("optionGroups")),
            ("var", "variations", root.get("variations")),
        ):
            for i, part in enumerate(parts if isinstance(parts, list) else []):
                if isinstance(part, dict) and isinstance(part.get("id"), str):
                    label = {"group": "option group", "var": "variation"}.get(kind, kind)
                    self.unique(ids[kind], part["id"], f"$.{key}[{i}]", label)
        menus = _list(root.get("menus"))
        for m, menu in enumerate(menus):
            sections = menu.get("sections") if isinstance(menu, dict) else None
            for s, section in enumerate(sections if isinstance(sections, list) else []):
                if isinstance(section, dict) and isinstance(section.get("id"), str):
                    self.unique(ids["section"], section["id"], f"$.menus[{m}].sections[{s}]", "section")
        # Paths below come from the raw lists, so indexes match the document even around bad parts.
        for m, menu in enumerate(menus):
            if not isinstance(menu, dict):
                continue
            self.refs(menu.get("locations"), f"$.menus[{m}].locations", ids["location"], "location")
            sections = menu.get("sections")
            for s, section in enumerate(sections if isinstance(sections, list) else []):
                if isinstance(section, dict):
                    self.refs(section.get("items"), f"$.menus[{m}].sections[{s}].items", ids["item"], "item")
        items = _list(root.get("items"))
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            self.refs(item.get("optionGroups"), f"$.items[{i}].optionGroups", ids["group"], "option group")
            for key in ("locationPrices", "stock"):
                mapping = item.get(key)
                for loc in mapping if isinstance(mapping, dict) else {}:
                    if loc not in ids["location"]:
                        self.problem(_key_path(f"$.items[{i}].{key}", loc), f"unknown location '{loc}'")
        groups = _list(root.get("optionGroups"))
        for g, group in enumerate(groups):
            choices = group.get("choices") if isinstance(group, dict) else None
            for c, choice in enumerate(choices if isinstance(choices, list) else []):
                variation = choice.get("variation") if isinstance(choice, dict) else None
                if isinstance(variation, str) and variation and variation not in ids["var"]:
                    self.problem(f"$.optionGroups[{g}].choices[{c}].variation", f"unknown variation '{variation}'")

    def refs(self, values: Any, path: str, known: dict[str, str], kind: str) -> None:
        for i, value in enumerate(values if isinstance(values, list) else []):
            if isinstance(value, str) and value and value not in known:
                self.problem(f"{path}[{i}]", f"unknown {kind} '{value}'")


# --- the format as a JSON Schema (the admin API documents its import body with it) ---------------


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _strict(properties: dict[str, Any], required: Iterable[str] = ()) -> dict[str, Any]:
    """An object with exactly these fields (unknown fields are refused, as the reader does)."""
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


def json_schema() -> dict[str, Any]:
    """The shapes `parse_document` accepts, as a JSON Schema (draft 2020-12, OpenAPI 3.1).

    What a schema cannot say — ids referenced between parts, overlapping hours, group bounds
    against their choices, amounts against the currency's minor units — the reader still checks
    (a 422 listing every problem).
    """
    ident = {"type": "string", "minLength": 1, "maxLength": MAX_ID}
    name = {"type": "string", "minLength": 1, "maxLength": MAX_NAME}
    long_text = _nullable({"type": "string", "maxLength": 10_000})
    money = {"type": "string", "pattern": _MONEY.pattern}
    count = _nullable({"type": "integer", "minimum": 0, "maximum": MAX_INT})
    ids = _nullable({"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True})
    day = {"enum": list(DAYS)}
    clock = {"type": "string", "pattern": r"^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$"}
    flag = _nullable({"type": "boolean"})
    location = _strict(
        {
            "id": ident,
            "name": name,
            "timezone": {"type": "string", "minLength": 1, "maxLength": 64},
            "address": _nullable(
                {
                    "type": "object",
                    "properties": {
                        "latitude": _nullable({"type": "number", "minimum": -90, "maximum": 90}),
                        "longitude": _nullable({"type": "number", "minimum": -180, "maximum": 180}),
                    },
                }
            ),
            "hours": _nullable(
                {
                    "type": "array",
                    "items": _strict({"day": day, "open": clock, "close": clock}, ("day", "open", "close")),
                }
            ),
            "fulfillment": _nullable(
                {"type": "array", "items": {"enum": list(FULFILLMENT_TYPES)}, "uniqueItems": True}
            ),
            "deliveryRadiusKm": _nullable({"type": "number", "minimum": 0, "maximum": 20000}),
            "slotMinutes": _nullable({"type": "integer", "minimum": 1, "maximum": MAX_INT}),
            "ordersPerSlot": _nullable({"type": "integer", "minimum": 1, "maximum": MAX_INT}),
            "requireCustomerPhone": flag,
            "requireCustomerEmail": flag,
        },
        ("id", "name", "timezone"),
    )
    section = _strict({"id": ident, "name": name, "description": long_text, "items": ids}, ("id", "name"))
    window = _strict(
        {"days": {"type": "array", "items": day, "minItems": 1}, "from": clock, "to": clock}, ("days", "from", "to")
    )
    menu = _strict(
        {
            "id": ident,
            "name": name,
            "description": long_text,
            "locations": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "minItems": 1,
                "uniqueItems": True,
            },
            "availability": _nullable({"type": "array", "items": window}),
            "sections": _nullable({"type": "array", "items": section}),
        },
        ("id", "name", "locations"),
    )
    item = _strict(
        {
            "id": ident,
            "name": name,
            "description": long_text,
            "price": money,
            "locationPrices": _nullable({"type": "object", "additionalProperties": money}),
            "taxRate": _nullable(money),
            "labels": ids,
            "imageUrl": _nullable({"type": "string", "maxLength": MAX_URL, "pattern": "^https?://"}),
            "optionGroups": ids,
            "stock": _nullable({"type": "object", "additionalProperties": count}),
            "acceptSpecialRequest": flag,
        },
        ("id", "name", "price"),
    )
    group = _strict(
        {
            "id": ident,
            "name": name,
            "type": {"enum": list(GROUP_TYPES)},
            "min": count,
            "max": count,
            "defaults": ids,
            "choices": {
                "type": "array",
                "items": _strict(
                    {"variation": {"type": "string", "minLength": 1, "maxLength": MAX_ID}, "price": money},
                    ("variation",),
                ),
            },
        },
        ("id", "name", "type", "choices"),
    )
    return {
        "title": "posbridge.menu/1",
        "description": "A merchant's locations and menus (the POS menu import format).",
        **_strict(
            {
                "format": {"const": FORMAT},
                "merchant": _strict(
                    {"id": ident, "name": name, "currency": {"type": "string", "pattern": _CURRENCY.pattern}},
                    ("id", "name", "currency"),
                ),
                "locations": {"type": "array", "items": location},
                "menus": {"type": "array", "items": menu},
                "items": {"type": "array", "items": item},
                "optionGroups": _nullable({"type": "array", "items": group}),
                "variations": _nullable(
                    {"type": "array", "items": _strict({"id": ident, "name": name}, ("id", "name"))}
                ),
            },
            ("format", "merchant", "locations", "menus", "items"),
        ),
    }
