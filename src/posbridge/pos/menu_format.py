"""The POS menu import format `posbridge.menu/1`: pydantic models of a whole document, then its references.

`parse_document` checks everything at once and either returns a `MenuDocument` or raises
`InvalidMenuDocument` listing every problem with its JSON path (`$.items[3].price`), so an
operator fixes a document in one round instead of one error at a time. Two passes:

1. the models (`extra="forbid"`: an unknown field in an import file is almost always a typo)
   check every shape and value, and the rules inside one part (hours that overlap, an option
   group's bounds against its choices); every field type words its own problem;
2. the reference pass checks what spans parts: ids unique per kind, and every id a part names
   (a menu's locations, a section's items, an item's option groups, prices and stock per
   location, a choice's variation) defined by the document.

`json_schema()` is the same format as a JSON Schema (`posbridge schema menu`, the admin API's
import body); what a schema cannot say (references, bounds against choices, amounts against the
currency) only the passes check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from posbridge.pos.hours import DAYS
from posbridge.store.types import minor_units

FORMAT = "posbridge.menu/1"
FULFILLMENT_TYPES = ("PICKUP", "DELIVERY", "DINE_IN")
GROUP_TYPES = ("SELECTION", "EXTRAS", "DESELECTION")

# Column sizes of the store: longer values would be cut or rejected by PostgreSQL.
MAX_ID, MAX_NAME, MAX_URL, MAX_TEXT, MAX_TIMEZONE = 128, 255, 2048, 10_000, 64
# Counts (stock, slot sizes, group bounds) are INTEGER columns: a signed 32-bit integer.
MAX_INT = 2**31 - 1
# Money is NUMERIC(18,4): at most 14 integer and 4 fraction digits survive a round trip exactly.
_MONEY = re.compile(r"^\d{1,14}(\.\d{1,4})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_START = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
_END = re.compile(r"^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Neither database stores a NUL, nor can text hold half a UTF-16 surrogate pair.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class DocumentProblem:
    """One thing wrong with a document: where (a JSON path) and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class InvalidMenuDocument(Exception):
    """A document that cannot be imported; `problems` lists every reason."""

    def __init__(self, problems: list[DocumentProblem]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"invalid menu document: {len(problems)} {noun}")


# --- field types: each checks its value and words its own problem ---------------------------------


def _problem(reason: str, *at: str | int) -> PydanticCustomError:
    """A problem of the value being checked, or of a part of it (`at`: keys and indexes below it)."""
    return PydanticCustomError("menu", "{reason}", {"reason": reason, "at": at})


class _OrNull:
    """JSON Schema: null is allowed too (the models read null as absent)."""

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"anyOf": [handler(schema), {"type": "null"}]}


def _text(*, required: bool, max_len: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value is None:
            if required:
                raise _problem("is required")
            return ""
        if not isinstance(value, str):
            raise _problem("must be a string")
        if required and not value.strip():
            raise _problem("must not be empty")
        if _UNSTORABLE.search(value):
            raise _problem("must not contain NUL or unpaired surrogate characters")
        if len(value) > max_len:
            raise _problem(f"must be at most {max_len} characters")
        return value

    return check


def _string(max_len: int) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "minLength": 1, "maxLength": max_len})


def _or_null(schema: dict[str, Any]) -> WithJsonSchema:
    return WithJsonSchema({"anyOf": [schema, {"type": "null"}]})


Ident = Annotated[str, BeforeValidator(_text(required=True, max_len=MAX_ID)), _string(MAX_ID)]
Name = Annotated[str, BeforeValidator(_text(required=True, max_len=MAX_NAME)), _string(MAX_NAME)]
LongText = Annotated[
    str, BeforeValidator(_text(required=False, max_len=MAX_TEXT)), _or_null({"type": "string", "maxLength": MAX_TEXT})
]


def _currency(value: Any) -> str:
    text = _text(required=True, max_len=MAX_NAME)(value)
    if not _CURRENCY.match(text):
        raise _problem("must be an ISO-4217 code (three capital letters)")
    return text


@lru_cache(maxsize=512)
def _known_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _timezone(value: Any) -> str:
    name = _text(required=True, max_len=MAX_TIMEZONE)(value)
    if not _known_timezone(name):
        raise _problem(f"'{name}' is not a known IANA time zone")
    return name


def _image_url(value: Any) -> str | None:
    url = _text(required=False, max_len=MAX_URL)(value) or None
    if url and not url.startswith(("https://", "http://")):
        raise _problem("must be an http(s) URL")
    return url


Currency = Annotated[str, BeforeValidator(_currency), WithJsonSchema({"type": "string", "pattern": _CURRENCY.pattern})]
Timezone = Annotated[str, BeforeValidator(_timezone), _string(MAX_TIMEZONE)]
ImageUrl = Annotated[
    str | None,
    BeforeValidator(_image_url),
    _or_null({"type": "string", "maxLength": MAX_URL, "pattern": "^https?://"}),
]


def _amount(value: Any, info: ValidationInfo) -> Decimal:
    """Money: a decimal string the columns hold exactly, in no finer units than the merchant's currency."""
    if not (isinstance(value, str) and _MONEY.match(value)):
        raise _problem("must be a decimal string ≥ 0 with at most 4 decimal places")
    amount = Decimal(value)
    currency = (info.context or {}).get("currency")
    if currency:
        # An amount the currency cannot express is refused here, not by the sync or an order later.
        allowed, places = minor_units(currency), -int(amount.normalize().as_tuple().exponent)
        if places > allowed:
            raise _problem(f"has {places} decimal places; {currency} amounts have at most {allowed}")
    return amount


def _percent(value: Any) -> Decimal | None:
    if value is None:
        return None
    if not (isinstance(value, str) and _MONEY.match(value)):
        raise _problem("must be a percent string with at most 4 decimal places")
    if Decimal(value) > 100:
        raise _problem("must be a percent between 0 and 100")
    return Decimal(value)


_MONEY_SCHEMA = {"type": "string", "pattern": _MONEY.pattern}
Money = Annotated[Decimal, BeforeValidator(_amount), WithJsonSchema(_MONEY_SCHEMA)]
Percent = Annotated[Decimal | None, BeforeValidator(_percent), _or_null(_MONEY_SCHEMA)]


def _count(low: int, default: int | None) -> Callable[[Any], int | None]:
    def check(value: Any) -> int | None:
        if value is None:
            return default
        # bool is an int in Python; a JSON true is not a count.
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_INT:
            raise _problem(f"must be an integer ≥ {low} (at most {MAX_INT})")
        return value

    return check


def _count_schema(low: int) -> WithJsonSchema:
    return _or_null({"type": "integer", "minimum": low, "maximum": MAX_INT})


def _stock_level(value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT):
        raise _problem(f"must be an integer ≥ 0 (at most {MAX_INT}) or null (not tracked)")
    return value


def _flag(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _problem("must be true or false")
    return value


Flag = Annotated[bool, BeforeValidator(_flag), _or_null({"type": "boolean"})]
StockLevel = Annotated[int | None, BeforeValidator(_stock_level), _count_schema(0)]


def _coordinate(low: float, high: float) -> Callable[[Any], Decimal | None]:
    def check(value: Any) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise _problem(f"must be a number between {low:g} and {high:g}")
        return Decimal(str(value))

    return check


_latitude, _longitude = _coordinate(-90, 90), _coordinate(-180, 180)


def _address(value: Any) -> dict[str, Any]:
    """Free-form (kept as written), but a latitude and longitude, when given, must be on Earth."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _problem("must be an object")
    for key, check in (("latitude", _latitude), ("longitude", _longitude)):
        try:
            check(value.get(key))
        except PydanticCustomError as exc:
            raise _problem(exc.context["reason"] if exc.context else str(exc), key) from None
    return value


def _number(low: int, high: int) -> dict[str, Any]:
    return {"anyOf": [{"type": "number", "minimum": low, "maximum": high}, {"type": "null"}]}


Address = Annotated[
    dict[str, Any],
    BeforeValidator(_address),
    _or_null({"type": "object", "properties": {"latitude": _number(-90, 90), "longitude": _number(-180, 180)}}),
]
RadiusKm = Annotated[Decimal | None, BeforeValidator(_coordinate(0, 20000)), WithJsonSchema(_number(0, 20000))]


def _one_of(allowed: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in allowed:
            raise _problem(f"must be one of {', '.join(allowed)}")
        return str(value)

    return check


Day = Annotated[str, BeforeValidator(_one_of(DAYS)), WithJsonSchema({"enum": list(DAYS)})]
FulfillmentType = Annotated[
    str, BeforeValidator(_one_of(FULFILLMENT_TYPES)), WithJsonSchema({"enum": list(FULFILLMENT_TYPES)})
]
GroupType = Annotated[str, BeforeValidator(_one_of(GROUP_TYPES)), WithJsonSchema({"enum": list(GROUP_TYPES)})]


def _clock(pattern: re.Pattern[str], allowed: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not (isinstance(value, str) and pattern.match(value)):
            raise _problem(f'must be a time "HH:MM" ({allowed})')
        return value

    return check


Opens = Annotated[
    str, BeforeValidator(_clock(_START, "00:00-23:59")), WithJsonSchema({"type": "string", "pattern": _START.pattern})
]
Closes = Annotated[
    str, BeforeValidator(_clock(_END, "00:00-24:00")), WithJsonSchema({"type": "string", "pattern": _END.pattern})
]


def _label(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _problem("must be a non-empty string")
    if len(value) > MAX_NAME or _UNSTORABLE.search(value):
        raise _problem(f"must be at most {MAX_NAME} characters, without NUL or unpaired surrogates")
    return value


def _absent_if_none(value: Any) -> Any:
    return [] if value is None else value


def _required_list(value: Any) -> Any:
    if value is None:
        raise _problem("is required")
    return value


def _listed_once(values: list[str]) -> list[str]:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise _problem(f"'{value}' is listed twice", index)
        seen.add(value)
    return values


_LABEL_SCHEMA = {"type": "string", "minLength": 1, "maxLength": MAX_NAME}
Label = Annotated[str, BeforeValidator(_label), WithJsonSchema(_LABEL_SCHEMA)]
# A list of distinct non-empty strings (ids or labels); null or absent is an empty list.
Strings = Annotated[list[Label], BeforeValidator(_absent_if_none), AfterValidator(_listed_once), _OrNull()]


# --- the parts ------------------------------------------------------------------------------------


class _Part(BaseModel):
    """A part of the document: camelCase fields, nothing unknown, immutable once read."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, frozen=True)


class MerchantDoc(_Part):
    """The merchant the document belongs to."""

    id: Ident
    name: Name
    currency: Currency


class HoursDoc(_Part):
    """One opening span of one day; overnight opening is two spans (until "24:00", then from "00:00")."""

    day: Day
    open: Opens
    close: Closes

    @field_validator("close")
    @classmethod
    def _after_open(cls, close: str, info: ValidationInfo) -> str:
        return _after(close, info.data.get("open"), "open")


class WindowDoc(_Part):
    """When a menu is available: these days, from one time to a later one."""

    days: Annotated[list[Day], BeforeValidator(_required_list)] = Field(json_schema_extra={"minItems": 1})
    start: Opens = Field(alias="from")
    end: Closes = Field(alias="to")

    @field_validator("days")
    @classmethod
    def _some_days(cls, days: list[str]) -> list[str]:
        if not days:
            raise _problem("must list at least one day")
        return list(dict.fromkeys(days))

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: str, info: ValidationInfo) -> str:
        return _after(end, info.data.get("start"), "from")

    def stored(self) -> dict[str, Any]:
        """As the menu row keeps it (`{"days": [...], "from": "HH:MM", "to": "HH:MM"}`)."""
        return {"days": list(self.days), "from": self.start, "to": self.end}


def _after(end: str, start: str | None, start_name: str) -> str:
    if start is not None and start >= end:
        raise _problem(f"must be after {start_name} {start} (split overnight hours at 24:00)")
    return end


def _no_overlaps(hours: list[HoursDoc]) -> list[HoursDoc]:
    for index, span in enumerate(hours):
        for other in hours[:index]:
            if other.day == span.day and span.open < other.close and other.open < span.close:
                raise _problem(f"overlaps {other.day} {other.open}-{other.close}", index)
    return hours


def _some_locations(locations: list[str]) -> list[str]:
    if not locations:
        raise _problem("must list at least one location")
    return locations


class LocationDoc(_Part):
    """A location as the document describes it."""

    id: Ident
    name: Name
    timezone: Timezone
    address: Address = {}
    hours: Annotated[list[HoursDoc], BeforeValidator(_absent_if_none), AfterValidator(_no_overlaps), _OrNull()] = []
    fulfillment: Annotated[
        list[FulfillmentType], BeforeValidator(_absent_if_none), AfterValidator(_listed_once), _OrNull()
    ] = []
    delivery_radius_km: RadiusKm = None
    slot_minutes: Annotated[int, BeforeValidator(_count(1, 15)), _count_schema(1)] = 15
    orders_per_slot: Annotated[int | None, BeforeValidator(_count(1, None)), _count_schema(1)] = None
    require_customer_phone: Flag = False
    require_customer_email: Flag = False

    @property
    def latitude(self) -> Decimal | None:
        """The address's latitude, exact."""
        return _latitude(self.address.get("latitude"))

    @property
    def longitude(self) -> Decimal | None:
        """The address's longitude, exact."""
        return _longitude(self.address.get("longitude"))

    def stored_hours(self) -> list[dict[str, str]]:
        """As the location row keeps them (`[{"day", "open", "close"}]`)."""
        return [span.model_dump() for span in self.hours]


class SectionDoc(_Part):
    """A menu section and its item ids in display order."""

    id: Ident
    name: Name
    description: LongText = ""
    items: Strings = []


class MenuDoc(_Part):
    """A menu: where it is sold, when, and its sections."""

    id: Ident
    name: Name
    description: LongText = ""
    locations: Annotated[
        list[Label], BeforeValidator(_absent_if_none), AfterValidator(_listed_once), AfterValidator(_some_locations)
    ] = Field(json_schema_extra={"minItems": 1, "uniqueItems": True})
    availability: list[WindowDoc] | None = None
    sections: Annotated[list[SectionDoc], BeforeValidator(_absent_if_none), _OrNull()] = []

    def stored_availability(self) -> list[dict[str, Any]] | None:
        """As the menu row keeps it (None: always available)."""
        return None if self.availability is None else [window.stored() for window in self.availability]


def _mapping(what: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise _problem(f"must be an object of location id → {what}")
        return value

    return check


class ItemDoc(_Part):
    """A dish with its prices, options and stock."""

    id: Ident
    name: Name
    description: LongText = ""
    price: Money
    location_prices: Annotated[dict[str, Money], BeforeValidator(_mapping("price")), _OrNull()] = {}
    tax_rate: Percent = None
    labels: Strings = []
    image_url: ImageUrl = None
    option_groups: Strings = []
    # location id → quantity; a location not named, or null, is not tracked.
    stock: Annotated[dict[str, StockLevel], BeforeValidator(_mapping("quantity, or null")), _OrNull()] = {}
    accept_special_request: Flag = False


class ChoiceDoc(_Part):
    """A variation an option group offers, at a price."""

    variation: Ident
    price: Money = Decimal(0)


def _offered_once(choices: list[ChoiceDoc]) -> list[ChoiceDoc]:
    seen: set[str] = set()
    for index, choice in enumerate(choices):
        if choice.variation in seen:
            raise _problem(f"'{choice.variation}' is offered twice", index, "variation")
        seen.add(choice.variation)
    return choices


class OptionGroupDoc(_Part):
    """An option group with its bounds, defaults and choices."""

    # Fields are checked in the order declared: each bound sees what it is checked against.
    id: Ident
    name: Name
    type: GroupType
    choices: Annotated[list[ChoiceDoc], BeforeValidator(_required_list), AfterValidator(_offered_once)]
    max: Annotated[int, BeforeValidator(_count(0, 1)), _count_schema(0)] = Field(1, validate_default=True)
    min: Annotated[int, BeforeValidator(_count(0, 0)), _count_schema(0)] = Field(0, validate_default=True)
    defaults: Strings = []

    @field_validator("max")
    @classmethod
    def _at_most_the_choices(cls, high: int, info: ValidationInfo) -> int:
        choices = info.data.get("choices")
        if choices is not None and high > len(choices):
            raise _problem(f"must be ≤ the number of choices ({high} > {len(choices)})")
        return high

    @field_validator("min")
    @classmethod
    def _within_max(cls, low: int, info: ValidationInfo) -> int:
        high = info.data.get("max")
        if info.data.get("type") == "SELECTION" and (low, high) != (1, 1):
            raise _problem("a SELECTION group needs min = max = 1 (exactly one choice)")
        if high is not None and low > high:
            raise _problem(f"must be ≤ max ({low} > {high})")
        return low

    @field_validator("defaults")
    @classmethod
    def _among_the_choices(cls, defaults: list[str], info: ValidationInfo) -> list[str]:
        offered = {choice.variation for choice in info.data.get("choices") or ()}
        for index, default in enumerate(defaults):
            if offered and default not in offered:
                raise _problem(f"'{default}' is not one of the group's choices", index)
        high = info.data.get("max")
        if info.data.get("type") in ("SELECTION", "EXTRAS") and high is not None and len(defaults) > high:
            raise _problem(f"must not pre-select more than max ({len(defaults)} > {high})")
        return defaults


class VariationDoc(_Part):
    """A named choice shared by option groups."""

    id: Ident
    name: Name


def _format(value: Any) -> str:
    if value != FORMAT:
        raise _problem(f'must be "{FORMAT}"')
    return FORMAT


class MenuDocument(_Part):
    """A valid `posbridge.menu/1` document, typed (money as Decimal)."""

    model_config = ConfigDict(
        title=FORMAT,
        json_schema_extra={"description": "A merchant's locations and menus (the POS menu import format)."},
    )

    format: Annotated[str, BeforeValidator(_format), WithJsonSchema({"const": FORMAT})]
    merchant: MerchantDoc
    locations: Annotated[list[LocationDoc], BeforeValidator(_required_list)]
    menus: Annotated[list[MenuDoc], BeforeValidator(_required_list)]
    items: Annotated[list[ItemDoc], BeforeValidator(_required_list)]
    option_groups: Annotated[list[OptionGroupDoc], BeforeValidator(_absent_if_none), _OrNull()] = []
    variations: Annotated[list[VariationDoc], BeforeValidator(_absent_if_none), _OrNull()] = []


# --- checking a document --------------------------------------------------------------------------


def validate_document(document: Any) -> list[DocumentProblem]:
    """Every problem of a document (empty when it is valid)."""
    try:
        parse_document(document)
    except InvalidMenuDocument as exc:
        return exc.problems
    return []


def parse_document(document: Any) -> MenuDocument:
    """Check a whole document and type it; raise `InvalidMenuDocument` listing every problem."""
    parsed: MenuDocument | None = None
    problems: list[DocumentProblem] = []
    try:
        parsed = MenuDocument.model_validate(document, context={"currency": _currency_of(document)})
    except ValidationError as exc:
        problems = [_described(error) for error in exc.errors(include_url=False)]
    if isinstance(document, dict):
        # References are checked on the document as written, so a part with a bad field still
        # defines its id (no "unknown item" for an item whose price is wrong).
        problems += _references(document)
    if problems or parsed is None:
        raise InvalidMenuDocument(sorted(set(problems), key=_path_order))
    return parsed


def _currency_of(document: Any) -> str | None:
    """The merchant's currency as written, when it is one (amounts are checked against its minor units)."""
    merchant = document.get("merchant") if isinstance(document, dict) else None
    currency = merchant.get("currency") if isinstance(merchant, dict) else None
    return currency if isinstance(currency, str) and _CURRENCY.match(currency) else None


# How pydantic's own errors (shapes, not values) are worded in a problem.
_SHAPES = {
    "missing": "is required",
    "extra_forbidden": "unknown field",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be a list",
}


def _described(error: Any) -> DocumentProblem:
    context = error.get("ctx") or {}
    reason = context.get("reason") if error["type"] == "menu" else _SHAPES.get(error["type"], error["msg"])
    return DocumentProblem(_path([*error["loc"], *context.get("at", ())]), str(reason))


def _path(loc: Iterable[str | int]) -> str:
    path = "$"
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if _PLAIN_KEY.match(part) else f"[{part!r}]"
    return path


def _path_order(problem: DocumentProblem) -> list[tuple[int, int | str]]:
    """Sort key putting problems in path order, with list indexes compared as numbers."""
    return [(0, int(tok)) if tok.isdigit() else (1, tok) for tok in re.findall(r"\d+|[^\d\[\].]+", problem.path)]


# --- the reference pass ---------------------------------------------------------------------------


def _list(value: Any) -> list[Any]:
    """The value if it is a list, else an empty one (the models report bad shapes)."""
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> Iterable[tuple[int, dict[str, Any]]]:
    return ((i, part) for i, part in enumerate(_list(value)) if isinstance(part, dict))


def _references(root: dict[str, Any]) -> list[DocumentProblem]:
    """Unique ids per kind, and every id a part names defined by the document."""
    problems: list[DocumentProblem] = []
    ids: dict[str, dict[str, str]] = {}

    def define(kind: str, part: dict[str, Any], path: str) -> None:
        value, seen = part.get("id"), ids.setdefault(kind, {})
        if not isinstance(value, str) or not value:
            return
        if value in seen:
            problems.append(DocumentProblem(f"{path}.id", f"duplicate {kind} id '{value}' (first at {seen[value]})"))
        else:
            seen[value] = path

    def named(values: Any, path: str, kind: str) -> None:
        for i, value in enumerate(_list(values)):
            if isinstance(value, str) and value and value not in ids.get(kind, {}):
                problems.append(DocumentProblem(f"{path}[{i}]", f"unknown {kind} '{value}'"))

    for kind, key in (
        ("location", "locations"),
        ("menu", "menus"),
        ("item", "items"),
        ("option group", "optionGroups"),
        ("variation", "variations"),
    ):
        for i, part in _dicts(root.get(key)):
            define(kind, part, f"$.{key}[{i}]")
    for m, menu in _dicts(root.get("menus")):
        for s, section in _dicts(menu.get("sections")):
            define("section", section, f"$.menus[{m}].sections[{s}]")
    for m, menu in _dicts(root.get("menus")):
        named(menu.get("locations"), f"$.menus[{m}].locations", "location")
        for s, section in _dicts(menu.get("sections")):
            named(section.get("items"), f"$.menus[{m}].sections[{s}].items", "item")
    for i, item in _dicts(root.get("items")):
        named(item.get("optionGroups"), f"$.items[{i}].optionGroups", "option group")
        for key in ("locationPrices", "stock"):
            mapping = item.get(key)
            for location in mapping if isinstance(mapping, dict) else {}:
                if location not in ids.get("location", {}):
                    problems.append(
                        DocumentProblem(_path(["items", i, key, location]), f"unknown location '{location}'")
                    )
    for g, group in _dicts(root.get("optionGroups")):
        for c, choice in _dicts(group.get("choices")):
            variation = choice.get("variation")
            if isinstance(variation, str) and variation and variation not in ids.get("variation", {}):
                path = f"$.optionGroups[{g}].choices[{c}].variation"
                problems.append(DocumentProblem(path, f"unknown variation '{variation}'"))
    return problems


# --- the format as a JSON Schema ------------------------------------------------------------------


def json_schema() -> dict[str, Any]:
    """The shapes `parse_document` accepts, as one self-contained JSON Schema (draft 2020-12, OpenAPI 3.1).

    Every part is written out in place (no `$defs`), so the schema embeds as it is, e.g. as the
    admin API's import body in its OpenAPI document.
    """
    schema = MenuDocument.model_json_schema(by_alias=True, mode="validation")
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined
