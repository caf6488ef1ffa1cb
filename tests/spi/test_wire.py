"""Wire models: camelCase in and out, lenient metadata, grouped oneof accepted, errors name the field."""

from __future__ import annotations

import pytest

from posbridge.errors import WixError
from posbridge.spi.wire import (
    CreateOrderRequest,
    GetCatalogSyncStatusResponse,
    Metadata,
    SyncFailed,
    SyncInProgress,
    parse_wire,
)


def test_metadata_reads_every_member() -> None:
    meta = Metadata.model_validate(
        {
            "requestId": "r-1",
            "instanceId": "i-1",
            "currency": "EUR",
            "languages": ["it-IT", "en-US"],
            "identity": {"identityType": "MEMBER", "memberId": "m-1"},
            "appExtensionType": "RESTAURANTS_POS",
        }
    )
    assert (meta.request_id, meta.instance_id, meta.currency, meta.languages) == (
        "r-1",
        "i-1",
        "EUR",
        ["it-IT", "en-US"],
    )
    assert meta.identity is not None and meta.identity.member_id == "m-1"
    assert meta.app_extension_type == "RESTAURANTS_POS"


def test_languages_may_be_a_bare_string() -> None:
    assert Metadata.model_validate({"instanceId": "i", "languages": "fr-FR"}).languages == ["fr-FR"]


def test_grouped_identity_oneof_is_flattened() -> None:
    meta = Metadata.model_validate(
        {"instanceId": "i", "identity": {"identityType": "WIX_USER", "id": {"wixUserId": "u"}}}
    )
    assert meta.identity is not None and meta.identity.wix_user_id == "u"


def test_malformed_informational_metadata_is_dropped() -> None:
    meta = Metadata.model_validate({"instanceId": "i", "currency": 5, "languages": {"x": 1}, "identity": "visitor"})
    assert (meta.currency, meta.languages, meta.identity) == (None, None, None)


@pytest.mark.parametrize("instance_id", [None, "", 5, "x" * 65, "a\x00b"])
def test_instance_id_must_be_a_sane_string(instance_id: object) -> None:
    with pytest.raises(WixError) as caught:
        parse_wire(Metadata, {"instanceId": instance_id} if instance_id is not None else {}, prefix="metadata")
    assert caught.value.http_status == 400
    assert caught.value.details[0].params == {"field": "metadata.instanceId"}


def test_missing_and_wrong_typed_fields_are_all_reported() -> None:
    with pytest.raises(WixError) as caught:
        parse_wire(CreateOrderRequest, {"accountId": 7, "paidByPosGateway": "yes"})
    fields = {d.params["field"] for d in caught.value.details}
    assert fields == {"accountId", "configurationId", "order", "paidByPosGateway"}
    assert "is required" in caught.value.body()["applicationError"]["data"]["errors"][1]["message"]


def test_paid_by_pos_gateway_defaults_to_false() -> None:
    parsed = parse_wire(CreateOrderRequest, {"accountId": "a", "configurationId": "c", "order": {}})
    assert parsed.paid_by_pos_gateway is False


def test_sync_status_response_is_flat_camel_case() -> None:
    failed = SyncFailed(last_sync_date="2026-11-28T04:00:00.000Z", reason="r", code="OTHER", params={})
    assert GetCatalogSyncStatusResponse(status="FAILED", failed=failed).to_wire() == {
        "status": "FAILED",
        "failed": {"lastSyncDate": "2026-11-28T04:00:00.000Z", "reason": "r", "code": "OTHER", "params": {}},
    }
    running = GetCatalogSyncStatusResponse(status="IN_PROGRESS", in_progress=SyncInProgress(elapsed_seconds=3))
    assert running.to_wire() == {"status": "IN_PROGRESS", "inProgress": {"elapsedSeconds": 3}}
