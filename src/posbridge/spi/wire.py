"""Wire models of the six SPI methods (wix-pos-spi.md §1, §3): camelCase JSON, unknown fields ignored.

Required fields (`accountId`, `configurationId`, and `order` for Validate/Create Order) that are
missing or of the wrong type are a 400 in Wix's error shape (`parse_wire`). `metadata` is parsed
leniently: only `instanceId` is required (it names the tenant); the other members are
informational, so a malformed one is dropped rather than failing the call. `paidByPosGateway`
defaults to false because proto3 JSON omits false booleans, but a non-boolean is refused.
The `order` stays a plain object here; `posbridge.spi.order_wire.WixOrder` parses it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictBool,
    StrictStr,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from posbridge.errors import ErrorDetail, WixError

M = TypeVar("M", bound=BaseModel)

# Ids go into queries and logs: non-empty, bounded, no control characters (PostgreSQL refuses NUL).
# A lone surrogate fails any pattern (pydantic-core cannot read it as a string), so it is a 400 too.
_ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"
WireId = Annotated[StrictStr, StringConstraints(min_length=1, max_length=256, pattern=_ID_PATTERN)]
# instances.id is 64 characters wide; Wix instance ids are GUIDs.
InstanceId = Annotated[StrictStr, StringConstraints(min_length=1, max_length=64, pattern=_ID_PATTERN)]
# Column widths the order intake writes to (store/models.py): a wire bound never exceeds its column.
REF_LENGTH = 128  # ids: orders.wix_order_id, order_lines.wix_catalog_item_id, order_line_options.wix_item_id
NAME_LENGTH = 255  # names: order_line_options.group_name / name
TEXT_LENGTH = 10_000  # free text (comments, addresses) lands in TEXT or JSON; the bound only keeps it sane
ENUM_LENGTH = 64  # order_line_options.group_type
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean_text(value: Any) -> Any:
    """Refuse what no database stores: NUL (PostgreSQL) and lone surrogates (not UTF-8 at all).

    Refused rather than replaced: Wix serialises valid Unicode, so either means a broken sender,
    and silently changing a customer's note is worse than a 400 naming the field.
    """
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        if _LONE_SURROGATE.search(value):
            raise ValueError("must not contain lone surrogates (not valid Unicode)")
    return value


_Clean = BeforeValidator(_clean_text)
# Strings the database can hold: bounded, no NUL, no lone surrogate (`_clean_text`).
WireRef = Annotated[StrictStr, StringConstraints(max_length=REF_LENGTH), _Clean]
WireName = Annotated[StrictStr, StringConstraints(max_length=NAME_LENGTH), _Clean]
WireText = Annotated[StrictStr, StringConstraints(max_length=TEXT_LENGTH), _Clean]


# Echoed in the X-Request-Id header, so only visible ASCII is taken from the wire.
_REQUEST_ID_PATTERN = r"^[\x21-\x7e]{1,128}$"
MAX_REPORTED_ERRORS = 20


class WireModel(BaseModel):
    """Base of every wire model: camelCase aliases, snake_case attributes, unknown fields ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object Wix reads: camelCase, absent members omitted."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def flatten_groups(value: Any, members: frozenset[str]) -> Any:
    """Lift oneof members written grouped (`{"id": {"memberId": …}}`) onto the parent, as proto3 JSON has them."""
    if not isinstance(value, dict):
        return value
    flat = dict(value)
    for key, inner in value.items():
        if key in members or not isinstance(inner, dict) or not inner:
            continue
        if set(inner) <= members:
            del flat[key]
            for member, member_value in inner.items():
                flat.setdefault(member, member_value)
    return flat


def _or_none(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Informational members: keep what parses, drop what does not."""
    try:
        return handler(value)
    except ValidationError:
        return None


Lenient = WrapValidator(_or_none)

# --- metadata -------------------------------------------------------------------------------

IDENTITY_MEMBERS = frozenset({"anonymousVisitorId", "memberId", "wixUserId", "appId"})


class Identity(WireModel):
    """Who triggered the call: `identityType` plus one of the id members."""

    identity_type: StrictStr | None = None
    anonymous_visitor_id: StrictStr | None = None
    member_id: StrictStr | None = None
    wix_user_id: StrictStr | None = None
    app_id: StrictStr | None = None

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, value: Any) -> Any:
        return flatten_groups(value, IDENTITY_MEMBERS)


class Metadata(WireModel):
    """The envelope's metadata; `instanceId` names the tenant."""

    instance_id: InstanceId
    request_id: Annotated[str | None, Lenient] = None
    currency: Annotated[StrictStr | None, Lenient] = None
    languages: Annotated[list[StrictStr] | None, Lenient] = None
    identity: Annotated[Identity | None, Lenient] = None
    app_extension_type: Annotated[StrictStr | None, Lenient] = None

    @field_validator("request_id", mode="before")
    @classmethod
    def _request_id(cls, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(_REQUEST_ID_PATTERN, value):
            return value
        return None

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


# --- requests -------------------------------------------------------------------------------


class ListAccountIdsRequest(WireModel):
    """List Account IDs takes nothing."""


class ConfigurationRequest(WireModel):
    """A call about one configuration of one POS account."""

    account_id: WireId
    configuration_id: WireId


class GetConfigurationStatusRequest(ConfigurationRequest):
    """Get Configuration Status."""


class SyncCatalogRequest(ConfigurationRequest):
    """Sync Catalog."""


class GetCatalogSyncStatusRequest(ConfigurationRequest):
    """Get Catalog Sync Status."""


class ValidateOrderRequest(ConfigurationRequest):
    """Validate Order: the order stays raw JSON until `WixOrder` parses it."""

    order: dict[str, Any]


class CreateOrderRequest(ValidateOrderRequest):
    """Create Order."""

    paid_by_pos_gateway: StrictBool = False


# --- responses ------------------------------------------------------------------------------

ConfigurationStatus = Literal["UNKNOWN", "NOT_STARTED", "PENDING", "READY", "ERROR"]
CatalogSyncState = Literal["UNKNOWN", "PENDING", "IN_PROGRESS", "SYNCED", "FAILED"]


class ListAccountIdsResponse(WireModel):
    """The instance's active POS accounts."""

    account_ids: list[str]


class GetConfigurationStatusResponse(WireModel):
    """A configuration's status."""

    status: ConfigurationStatus


class SyncCatalogResponse(WireModel):
    """Sync Catalog answers an empty object: the sync runs in the background."""


class SyncInProgress(WireModel):
    """How long the running sync has been running."""

    elapsed_seconds: int


class SyncSynced(WireModel):
    """When the last sync succeeded."""

    last_sync_date: str


class SyncFailed(WireModel):
    """Why the last sync failed."""

    last_sync_date: str
    last_successfully_sync_date: str | None = None
    reason: str
    code: str
    params: dict[str, str]


class GetCatalogSyncStatusResponse(WireModel):
    """The catalog sync state; the `statusMode` oneof members sit flat on the response."""

    status: CatalogSyncState
    in_progress: SyncInProgress | None = None
    synced: SyncSynced | None = None
    failed: SyncFailed | None = None


class ValidateOrderResponse(WireModel):
    """The order can be placed."""

    pos_order_status: str


class CreateOrderResponse(WireModel):
    """The POS's ids for the order it created."""

    pos_order_id: str
    pos_location_id: str


# --- parsing --------------------------------------------------------------------------------


def parse_wire(model: type[M], data: Any, *, prefix: str = "") -> M:
    """Validate wire JSON into `model`; every problem becomes a 400 detail naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_argument(exc, prefix=prefix) from None


def invalid_argument(exc: ValidationError, *, prefix: str = "") -> WixError:
    """A 400 in Wix's error shape listing each invalid field (without echoing the values)."""
    details = []
    for error in exc.errors(include_input=False, include_url=False)[:MAX_REPORTED_ERRORS]:
        field = _field_path(prefix, error["loc"])
        reason = "is required" if error["type"] == "missing" else f"is invalid: {error['msg']}"
        details.append(ErrorDetail("OTHER", f"Field '{field}' {reason}", {"field": field}))
    if not details:
        details.append(ErrorDetail("OTHER", f"Field '{prefix or 'request'}' is invalid", {"field": prefix}))
    return WixError(details, http_status=400)


def _field_path(prefix: str, loc: tuple[int | str, ...]) -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path or "request"
