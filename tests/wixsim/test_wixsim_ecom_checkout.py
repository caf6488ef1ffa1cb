"""Checkout on a new-generation site: cart from the live menus, Validations plugin, the eCom order, its events."""

from __future__ import annotations

import jwt
import pytest

from tests.wixsim.ecom_helpers import EcomSite, margherita_line, new_site, unwrap_event
from tests.wixsim.wixsim_test_helpers import Reply
from wixsim.client import WixSimError

RESTAURANTS_APP_ID = "9a5d83fd-8570-482e-81ab-cfa88942ee60"


@pytest.fixture
def ecom(wixsim, provider) -> EcomSite:
    return new_site(
        wixsim,
        locations=2,
        webhook_url=provider.base_url + "/wix/webhooks",
        validations_base_uri=provider.base_url + "/validations",
    )


def test_card_checkout_builds_an_approved_paid_order(wixsim, ecom, provider):
    lasagna = ecom.item("Lasagna")
    full = next(v for v in lasagna["variants"] if v["name"] == "Full")
    answer = wixsim.ecom_checkout(
        ecom.instance_id,
        ecom.location_id,
        [margherita_line(ecom), {"itemId": lasagna["id"], "variantId": full["id"]}],
        buyer={"email": "ann@example.com", "firstName": "Ann", "phone": "+1 555 0100"},
    )
    assert answer["outcome"] == "APPROVED"
    order = answer["order"]
    assert answer["orderId"] == order["id"]
    assert (order["status"], order["paymentStatus"], order["fulfillmentStatus"]) == (
        "APPROVED",
        "PAID",
        "NOT_FULFILLED",
    )
    pizza, pasta = order["lineItems"]
    ref = pizza["catalogReference"]
    assert ref["appId"] == RESTAURANTS_APP_ID
    assert ref["catalogItemId"] == ecom.item("Margherita")["id"]
    options = ref["options"]
    assert options["operationId"] == ecom.operation_id
    assert options["menuId"] == ecom.menu()["id"]
    assert options["sectionId"] == ecom.menu()["sections"][0]["id"]
    assert options["specialRequests"] == "well done"
    size = ecom.group("Margherita", "Size")["id"]
    assert options["modifierGroups"][0] == {
        "id": size,
        "modifiers": [{"id": ecom.modifier("Margherita", "Size", "Large"), "price": "3.00", "formattedPrice": "$3.00"}],
    }
    assert pizza["modifierGroups"][0]["name"]["original"] == "Size"
    assert pizza["modifierGroups"][1]["modifiers"][0]["label"]["original"] == "Olives"
    assert pizza["modifierGroups"][1]["modifiers"][0]["price"] == {"amount": "1.25", "formattedAmount": "$1.25"}
    assert pizza["price"]["amount"] == "16.75"
    assert pizza["lineItemPrice"]["amount"] == "33.50"
    assert pasta["catalogReference"]["options"]["priceVariant"] == {"id": full["id"], "formattedPrice": "$15.00"}
    assert pasta["price"]["amount"] == "15.00"
    assert pasta["descriptionLines"][0]["plainText"]["original"] == "Full"
    summary = order["priceSummary"]
    assert (summary["subtotal"]["amount"], summary["shipping"]["amount"], summary["total"]["amount"]) == (
        "48.50",
        "0.00",
        "48.50",
    )
    assert order["businessLocation"] == {"id": ecom.location_id, "name": "Location 1"}
    assert order["shippingInfo"]["logistics"]["pickupDetails"]["pickupMethod"] == "STORE_PICKUP"
    assert order["buyerInfo"]["email"] == "ann@example.com"
    assert order["billingInfo"]["contactDetails"] == {"firstName": "Ann", "phone": "+1 555 0100"}
    assert order["balanceSummary"]["balance"]["amount"] == "0.00"
    assert [a["activityType"] for a in order["activities"]] == ["ORDER_PLACED", "ORDER_PAID"]
    assert {line["paymentOption"] for line in order["lineItems"]} == {"FULL_PAYMENT_ONLINE"}


def test_events_reach_the_webhook_in_order_with_wix_layering(wixsim, ecom, provider):
    answer = wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, [margherita_line(ecom)])
    assert [e["status"] for e in answer["events"]] == [200, 200, 200]
    calls = provider.calls("/wix/webhooks")
    decoded = [unwrap_event(wixsim.public_key_pem, c["body"]) for c in calls]
    assert [env["eventType"] for env, _d, _i in decoded] == [
        "wix.ecom.v1.order_created",
        "wix.ecom.v1.order_payment_status_updated",
        "wix.ecom.v1.order_approved",
    ]
    (created_env, created, identity), (_e, paid, _i), (_e2, approved, _i2) = decoded
    assert created_env["instanceId"] == ecom.instance_id
    assert identity["identityType"] == "ANONYMOUS_VISITOR"
    assert created["entityFqdn"] == "wix.ecom.v1.order"
    assert (created["slug"], created["entityId"]) == ("created", answer["orderId"])
    assert created["createdEvent"]["entity"]["status"] == "INITIALIZED"
    assert paid["actionEvent"]["body"]["previousPaymentStatus"] == "NOT_PAID"
    assert paid["actionEvent"]["body"]["order"]["paymentStatus"] == "PAID"
    assert approved["actionEvent"]["body"]["order"]["status"] == "APPROVED"
    sequences = [int(d["entityEventSequence"]) for _env, d, _i in decoded]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    assert all(c["headers"]["content-type"] == "text/plain" for c in calls)
    history = wixsim.order(answer["orderId"])
    assert [e["eventType"] for e in history["events"]] == [env["eventType"] for env, _d, _i in decoded]


def test_cash_order_is_approved_unpaid_then_marked_paid(wixsim, ecom, provider):
    answer = wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, [margherita_line(ecom, 1)], payment="CASH")
    order = answer["order"]
    assert (order["status"], order["paymentStatus"]) == ("APPROVED", "NOT_PAID")
    assert order["lineItems"][0]["paymentOption"] == "FULL_PAYMENT_OFFLINE"
    assert order["balanceSummary"]["balance"]["amount"] == "16.75"
    assert [e["eventType"] for e in answer["events"]] == ["wix.ecom.v1.order_created", "wix.ecom.v1.order_approved"]
    paid = wixsim.ecom_mark_paid(answer["orderId"])
    assert paid["order"]["paymentStatus"] == "PAID"
    assert paid["order"]["balanceSummary"]["paid"]["amount"] == "16.75"
    assert [d["eventType"] for d in paid["delivered"]] == [
        "wix.ecom.v1.order_payment_status_updated",
        "wix.ecom.v1.order_updated",
    ]
    _env, _event, identity = unwrap_event(wixsim.public_key_pem, provider.calls("/wix/webhooks")[-2]["body"])
    assert identity == {"identityType": "WIX_USER", "wixUserId": ecom.raw["ownerUserId"]}
    with pytest.raises(WixSimError) as again:
        wixsim.ecom_mark_paid(answer["orderId"])
    assert again.value.response.status_code == 428


def test_delivery_fee_minimum_and_free_threshold(wixsim, ecom):
    address = {"country": "US", "city": "New York", "addressLine1": "1 Park Ave"}
    small = wixsim.ecom_checkout(
        ecom.instance_id, ecom.location_id, [margherita_line(ecom, 1)], fulfillment="DELIVERY", address=address
    )["order"]
    assert small["priceSummary"]["shipping"]["amount"] == "5.00"
    assert small["priceSummary"]["total"]["amount"] == "21.75"
    assert small["shippingInfo"]["logistics"]["shippingDestination"]["address"] == address
    big = wixsim.ecom_checkout(
        ecom.instance_id, ecom.location_id, [margherita_line(ecom, 3)], fulfillment="DELIVERY", address=address
    )["order"]
    assert big["priceSummary"]["shipping"]["amount"] == "0.00"
    soda = {"itemId": ecom.item("Soda")["id"]}
    for extra in ({"address": address}, {}):
        with pytest.raises(WixSimError) as refused:
            wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, [soda], fulfillment="DELIVERY", **extra)
        assert refused.value.response.status_code == 400
    assert len(wixsim.orders(ecom.instance_id)) == 2


@pytest.mark.parametrize(
    "make_line",
    [
        lambda s: {"itemId": "no-such-item"},
        lambda s: {"itemId": s.item("Lasagna")["id"]},
        lambda s: {"itemId": s.item("Lasagna")["id"], "variantId": "nope"},
        lambda s: {"itemId": s.item("Soda")["id"], "variantId": s.item("Lasagna")["variants"][0]["id"]},
        lambda s: {"itemId": s.item("Soda")["id"], "specialRequests": "extra ice"},
        lambda s: {"itemId": s.item("Tiramisu")["id"]},
        lambda s: {
            "itemId": s.item("Margherita")["id"],
            "modifiers": [{"groupId": s.group("Margherita", "Size")["id"], "modifierIds": []}],
        },
        lambda s: {
            "itemId": s.item("Margherita")["id"],
            "modifiers": [
                {
                    "groupId": s.group("Margherita", "Toppings")["id"],
                    "modifierIds": [s.modifier("Margherita", "Toppings", "Truffle")],
                }
            ],
        },
        lambda s: {
            "itemId": s.item("Margherita")["id"],
            "modifiers": [{"groupId": s.group("Margherita", "Toppings")["id"], "modifierIds": ["not-in-group"]}],
        },
        lambda s: {"itemId": s.item("Margherita")["id"], "modifiers": [{"groupId": "other", "modifierIds": []}]},
    ],
    ids=[
        "unknown-item",
        "variant-missing",
        "variant-unknown",
        "variant-on-plain-item",
        "special-requests-refused",
        "out-of-stock",
        "required-group-empty",
        "modifier-out-of-stock",
        "modifier-not-in-group",
        "foreign-group",
    ],
)
def test_carts_wix_would_not_accept_are_refused_and_leave_nothing(wixsim, ecom, provider, make_line):
    with pytest.raises(WixSimError) as refused:
        wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, [make_line(ecom)])
    assert refused.value.response.status_code == 400
    assert wixsim.orders(ecom.instance_id) == []
    assert provider.received == []


def test_item_not_on_the_locations_menus_and_unknown_location(wixsim, ecom):
    other = ecom.raw["locations"][1]["id"]
    for location in (other, "nowhere"):
        with pytest.raises(WixSimError) as refused:
            wixsim.ecom_checkout(ecom.instance_id, location, [{"itemId": ecom.item("Soda")["id"]}])
        assert refused.value.response.status_code == 400


def test_validations_plugin_gets_a_jwt_parse_jwt_accepts(wixsim, ecom, provider):
    answer = wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, [margherita_line(ecom)])
    [call] = provider.calls("/validations/v1/get-violations")
    assert call["headers"]["content-type"] == "text/plain"
    claims = jwt.decode(
        call["body"].decode(), wixsim.public_key_pem, algorithms=["RS256"], audience=wixsim.app_id, issuer="wix.com"
    )
    data = claims["data"]
    assert data["metadata"]["appExtensionType"] == "ECOM_VALIDATIONS"
    assert data["metadata"]["instanceId"] == ecom.instance_id
    assert data["metadata"]["identity"]["identityType"] == "ANONYMOUS_VISITOR"
    request = data["request"]
    assert request["sourceInfo"] == {"source": "CHECKOUT", "purchaseFlowId": answer["order"]["purchaseFlowId"]}
    [line] = request["validationInfo"]["lineItems"]
    assert line["catalogReference"] == answer["order"]["lineItems"][0]["catalogReference"]
    assert line["id"] == answer["order"]["lineItems"][0]["id"]
    assert request["validationInfo"]["priceSummary"]["total"]["amount"] == "33.50"
    assert answer["validations"]["violations"] == []


def test_an_error_violation_blocks_the_order(wixsim, ecom, provider):
    violation = {"severity": "ERROR", "target": {"other": {"name": "OTHER_DEFAULT"}}, "description": "Kitchen closed"}
    provider.script("/validations/v1/get-violations", Reply(200, {"violations": [violation]}))
    answer = wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, [margherita_line(ecom)])
    assert answer["outcome"] == "BLOCKED"
    assert (answer["orderId"], answer["order"]) == (None, None)
    assert answer["validations"]["violations"] == [violation]
    assert wixsim.orders(ecom.instance_id) == []
    assert provider.calls("/wix/webhooks") == []


def test_warnings_and_a_failing_plugin_do_not_block(wixsim, ecom, provider):
    warning = {"severity": "WARNING", "target": {"other": {"name": "OTHER_DEFAULT"}}, "description": "Busy"}
    provider.script("/validations/v1/get-violations", Reply(200, {"violations": [warning]}), Reply(500, {}))
    first = wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, [margherita_line(ecom)])
    assert first["outcome"] == "APPROVED"
    second = wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, [margherita_line(ecom)])
    assert second["outcome"] == "APPROVED"
    assert second["validations"]["failedOpen"] is True
    assert second["order"]["number"] == str(int(first["order"]["number"]) + 1)


def test_no_plugin_no_call_and_patch_site_registers_one(wixsim, provider):
    site = new_site(wixsim, webhook_url=provider.base_url + "/wix/webhooks")
    answer = wixsim.ecom_checkout(site.instance_id, site.location_id, [margherita_line(site)])
    assert answer["validations"] is None
    patched = wixsim.update_site(
        site.instance_id,
        validations_base_uri=provider.base_url + "/v2",
        webhook_url=provider.base_url + "/hooks2",
        dashboard_url="https://example.com/dash",
    )
    assert patched["validationsBaseUri"] == provider.base_url + "/v2"
    wixsim.ecom_checkout(site.instance_id, site.location_id, [margherita_line(site)])
    assert len(provider.calls("/v2/v1/get-violations")) == 1
    assert len(provider.calls("/hooks2")) == 3


def test_legacy_sites_keep_their_checkout_and_refuse_a_validations_uri(wixsim, site):
    with pytest.raises(WixSimError) as refused:
        wixsim.update_site(site.instance_id, validations_base_uri="http://x")
    assert refused.value.response.status_code == 400
    with pytest.raises(WixSimError) as invalid:
        wixsim.ecom_checkout(site.instance_id, "loc", [{"itemId": "x"}])
    assert invalid.value.response.status_code == 422


def test_overrides_change_the_built_order_last(wixsim, ecom):
    answer = wixsim.ecom_checkout(
        ecom.instance_id, ecom.location_id, [margherita_line(ecom, 1)], overrides={"priceSummary.total.amount": "1.00"}
    )
    assert answer["order"]["priceSummary"]["total"]["amount"] == "1.00"
    assert answer["order"]["lineItems"][0]["price"]["amount"] == "16.75"
    stored = wixsim.order(answer["orderId"])["order"]
    assert stored["priceSummary"]["total"]["amount"] == "1.00"


def test_money_follows_the_currency_and_lines_add_up(wixsim):
    yen = new_site(wixsim, currency="JPY")
    order = wixsim.ecom_checkout(yen.instance_id, yen.location_id, [{"itemId": yen.item("Soda")["id"], "quantity": 3}])[
        "order"
    ]
    assert order["lineItems"][0]["price"] == {"amount": "2", "formattedAmount": "¥2"}
    assert order["priceSummary"]["total"]["amount"] == "6"
    spec = {"menus": [{"name": "M", "sections": [{"name": "S", "items": [{"name": "Olive", "price": "0.125"}]}]}]}
    raw = wixsim.create_site(generation="new", menus=spec)
    tree = wixsim.site_menus(raw["instanceId"])
    item = tree["locations"][0]["menus"][0]["sections"][0]["items"][0]["id"]
    lines = [{"itemId": item, "quantity": 3}, {"itemId": item, "quantity": 3}]
    order = wixsim.ecom_checkout(raw["instanceId"], raw["locations"][0]["id"], lines)["order"]
    assert [line["lineItemPrice"]["amount"] for line in order["lineItems"]] == ["0.38", "0.38"]
    assert order["priceSummary"]["subtotal"]["amount"] == "0.76"


def test_a_scheduled_order_carries_its_time_slot(wixsim, ecom, provider):
    slot = {"from": "2026-12-01T18:00:00+01:00", "to": "2026-12-01T18:15:00+01:00"}
    answer = wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, [margherita_line(ecom)], time_slot=slot)
    logistics = answer["order"]["shippingInfo"]["logistics"]
    assert logistics["deliveryTimeSlot"] == {"from": "2026-12-01T17:00:00.000Z", "to": "2026-12-01T17:15:00.000Z"}
    assert "deliveryTime" not in logistics
    sent = answer["validations"]["request"]["validationInfo"]["shippingInfo"]["selectedCarrierServiceOption"]
    assert sent["deliveryTimeSlot"] == logistics["deliveryTimeSlot"]
    for bad in ({"from": slot["to"], "to": slot["from"]}, {"from": "2026-12-01T18:00:00", "to": slot["to"]}):
        with pytest.raises(WixSimError) as refused:
            wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, [margherita_line(ecom)], time_slot=bad)
        assert refused.value.response.status_code == 422


def test_a_slow_plugin_times_out_and_fails_open(wixsim, ecom, provider):
    wixsim.settings(spi_timeout_seconds=0.2)
    provider.script("/validations/v1/get-violations", Reply(200, {"violations": []}, delay=2.0))
    answer = wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, [margherita_line(ecom, 1)])
    assert answer["outcome"] == "APPROVED"
    assert (answer["validations"]["error"], answer["validations"]["failedOpen"]) == ("timeout", True)


def test_ordering_follows_the_operations_online_ordering_status(wixsim, ecom):
    path = f"/v1/operations/{ecom.operation_id}"
    line = [margherita_line(ecom, 1)]

    def set_status(**fields):
        current = wixsim.wix("GET", path, instance_id=ecom.instance_id).json()["operation"]
        body = {"operation": {"id": ecom.operation_id, "revision": current["revision"], **fields}}
        response = wixsim.wix("PATCH", path, instance_id=ecom.instance_id, json=body)
        assert response.status_code == 200, response.text

    for fields in (
        {"onlineOrderingStatus": "DISABLED"},
        {"onlineOrderingStatus": "PAUSED_UNTIL", "pausedUntilOptions": {"time": "2999-01-01T00:00:00Z"}},
    ):
        set_status(**fields)
        with pytest.raises(WixSimError) as refused:
            wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, line)
        assert refused.value.response.status_code == 400
    set_status(onlineOrderingStatus="PAUSED_UNTIL", pausedUntilOptions={"time": "2020-01-01T00:00:00Z"})
    assert wixsim.ecom_checkout(ecom.instance_id, ecom.location_id, line)["outcome"] == "APPROVED"
    assert len(wixsim.orders(ecom.instance_id)) == 1
