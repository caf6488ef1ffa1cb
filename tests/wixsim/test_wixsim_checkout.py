"""Checkout: a complete WixOrder from the live catalog, Validate, record (NEW), Create with resends."""

from __future__ import annotations

from decimal import Decimal

import jwt

from tests.wixsim.wixsim_test_helpers import Reply, item_named


def sent_order(wixsim, call):
    """The order inside a provider-received SPI call."""
    claims = jwt.decode(call["body"].decode(), wixsim.public_key_pem, algorithms=["RS256"], audience=wixsim.app_id)
    return claims["data"]


def margherita_line(wixsim, site, **extra):
    """A Margherita, large, with olives and basil."""
    dish = item_named(wixsim, site.catalog_id, "Margherita")
    return {
        "itemId": dish["id"],
        "quantity": 2,
        "options": [{"name": "Size", "choices": ["Large"]}, {"name": "Toppings", "choices": ["Olives", "Basil"]}],
        **extra,
    }


def test_checkout_builds_exact_totals(wixsim, site, provider):
    soda = item_named(wixsim, site.catalog_id, "Soda")
    result = wixsim.checkout(
        site.instance_id,
        site.configuration_id,
        [margherita_line(wixsim, site), {"itemId": soda["id"], "quantity": 3}],
        fulfillment_type="DELIVERY",
        fee="4.99",
        tip="3.00",
        discounts=[{"amount": "5.00", "name": "Welcome"}],
        loyalty_amount="1.10",
        service_fees=[{"fee": "1.50", "tax": "0.15", "name": "Packaging"}],
    )
    assert result["outcome"] == "CREATED"
    totals = result["order"]["totals"]
    # (12.50 + 3.00 + 1.25 + 0.50) * 2 = 34.50 ; soda 2.00 * 3 = 6.00
    assert totals["subtotal"] == "40.50"
    # 10% of the pizza line (3.45); soda untaxed; service-fee tax 0.15
    assert totals["tax"] == "3.60"
    assert totals["delivery"] == "4.99"
    assert totals["quantity"] == 5
    expected = Decimal("40.50") + Decimal("4.99") + Decimal("3.60") + Decimal("3.00") + Decimal("1.50")
    expected -= Decimal("5.00") + Decimal("1.10")
    assert totals["total"] == str(expected) == "47.49"
    assert result["order"]["payments"][0]["amount"] == "47.49"
    assert result["order"]["fulfillment"]["deliveryDetails"]["restaurant"] == {"fee": "4.99"}


def test_line_items_mirror_catalog_options_with_nested_selected_choices(wixsim, site, provider):
    result = wixsim.checkout(site.instance_id, site.configuration_id, [margherita_line(wixsim, site)])
    [line] = result["order"]["lineItems"]
    dish = item_named(wixsim, site.catalog_id, "Margherita")
    assert line["catalogReference"]["catalogItemId"] == dish["id"]
    assert line["catalogReference"]["catalogItemName"] == "Margherita"
    assert line["price"] == "12.50"
    size, toppings = line["dishOptions"]
    assert (size["type"], size["minChoices"], size["maxChoices"]) == ("SELECTION", 1, 1)
    assert [c["name"] for c in size["availableChoices"]] == ["Small", "Large"]
    large = item_named(wixsim, site.catalog_id, "Large")
    assert size["selectedChoices"] == [
        {
            "quantity": 1,
            "price": "3.00",
            "dishOptions": [],
            "catalogReference": {"catalogItemId": large["id"], "catalogItemName": "Large"},
        }
    ]
    assert toppings["type"] == "EXTRAS"
    assert [c["price"] for c in toppings["selectedChoices"]] == ["1.25", "0.50"]


def test_default_selection_is_used_when_the_customer_picks_nothing(wixsim, site, provider):
    dish = item_named(wixsim, site.catalog_id, "Margherita")
    result = wixsim.checkout(site.instance_id, site.configuration_id, [{"itemId": dish["id"]}])
    size = result["order"]["lineItems"][0]["dishOptions"][0]
    assert [c["catalogReference"]["catalogItemName"] for c in size["selectedChoices"]] == ["Small"]
    assert result["order"]["totals"]["subtotal"] == "12.50"


def test_validate_then_create_are_sent_in_order_with_the_same_order(wixsim, site, provider):
    result = wixsim.checkout(site.instance_id, site.configuration_id, [margherita_line(wixsim, site)])
    paths = [c["path"].rsplit("/", 1)[1] for c in provider.received]
    assert paths == ["account-ids", "validate-order", "create-order"]
    validate = sent_order(wixsim, provider.received[1])
    create = sent_order(wixsim, provider.received[2])
    assert validate["request"]["order"] == create["request"]["order"] == result["order"]
    assert create["request"]["accountId"] == "acct-1"
    assert create["request"]["paidByPosGateway"] is False
    assert create["metadata"]["identity"]["identityType"] == "ANONYMOUS_VISITOR"


def test_created_order_is_recorded_new_with_the_pos_order_id(wixsim, site, provider):
    result = wixsim.checkout(site.instance_id, site.configuration_id, [margherita_line(wixsim, site)])
    stored = wixsim.order(result["orderId"])
    assert stored["order"]["status"] == "NEW"
    assert stored["posOrderId"] == result["posOrderId"]
    assert stored["statusHistory"][0]["status"] == "NEW"
    assert stored["checkout"]["create"]["status"] == 200
    via_api = wixsim.wix("GET", f"/restaurants/v3/orders/{result['orderId']}", instance_id=site.instance_id)
    assert via_api.json()["order"]["lineItems"] == result["order"]["lineItems"]


def test_failed_validation_records_no_order_and_sends_no_create(wixsim, site, provider):
    error = {"message": "closed", "applicationError": {"code": "CLOSED", "data": {}}}
    provider.script("/wix/pos-spi/validate-order", Reply(428, error))
    result = wixsim.checkout(site.instance_id, site.configuration_id, [margherita_line(wixsim, site)])
    assert result["outcome"] == "VALIDATION_FAILED"
    assert result["validate"]["status"] == 428
    assert result["validate"]["body"] == error
    assert wixsim.orders(site.instance_id) == []
    assert provider.calls("/wix/pos-spi/create-order") == []


def test_create_timeout_resends_the_same_order(wixsim, site, provider):
    provider.script(
        "/wix/pos-spi/create-order",
        Reply(200, {"posOrderId": "slow"}, delay=0.6),
        Reply(200, {"posOrderId": "P-1", "posLocationId": "L-1"}),
    )
    result = wixsim.checkout(
        site.instance_id, site.configuration_id, [margherita_line(wixsim, site)], create_timeout_seconds=0.3
    )
    assert result["resendCount"] == 1
    assert result["create"]["attempts"][0]["error"] == "timeout"
    assert result["posOrderId"] == "P-1"
    first, second = (sent_order(wixsim, c) for c in provider.calls("/wix/pos-spi/create-order"))
    assert first["request"] == second["request"]
    assert first["metadata"]["requestId"] == second["metadata"]["requestId"]
    assert wixsim.order(result["orderId"])["posOrderId"] == "P-1"


def test_create_resends_stop_after_the_limit(wixsim, site, provider):
    provider.script("/wix/pos-spi/create-order", Reply(503, {"message": "down"}))
    result = wixsim.checkout(site.instance_id, site.configuration_id, [margherita_line(wixsim, site)], max_resends=2)
    assert result["outcome"] == "CREATE_FAILED"
    assert result["resendCount"] == 2
    assert len(provider.calls("/wix/pos-spi/create-order")) == 3
    assert wixsim.order(result["orderId"])["posOrderId"] is None


def test_business_error_from_create_is_not_resent(wixsim, site, provider):
    provider.script("/wix/pos-spi/create-order", Reply(400, {"message": "rejected"}))
    result = wixsim.checkout(site.instance_id, site.configuration_id, [margherita_line(wixsim, site)])
    assert result["resendCount"] == 0
    assert result["create"]["status"] == 400


def test_overrides_let_a_test_send_wrong_totals(wixsim, site, provider):
    result = wixsim.checkout(
        site.instance_id,
        site.configuration_id,
        [margherita_line(wixsim, site)],
        overrides={"totals.total": "1.00", "lineItems.0.price": "9.99", "customer.email": None},
    )
    order = sent_order(wixsim, provider.received[1])["request"]["order"]
    assert order["totals"]["total"] == "1.00"
    assert order["lineItems"][0]["price"] == "9.99"
    assert "email" not in order["customer"]
    assert result["order"] == order


def test_unknown_item_needs_an_explicit_price(wixsim, site, provider):
    response = wixsim.http.post(
        "/_sim/checkout",
        json={"instanceId": site.instance_id, "configurationId": site.configuration_id, "lines": [{"itemId": "ghost"}]},
    )
    assert response.status_code == 400
    result = wixsim.checkout(site.instance_id, site.configuration_id, [{"itemId": "ghost", "price": "4.00"}])
    assert result["order"]["lineItems"][0]["catalogReference"]["catalogItemId"] == "ghost"


def test_pickup_and_dine_in_fulfillment_shapes(wixsim, site, provider):
    soda = item_named(wixsim, site.catalog_id, "Soda")
    pickup = wixsim.checkout(site.instance_id, site.configuration_id, [{"itemId": soda["id"]}], curbside="blue car")
    assert pickup["order"]["fulfillment"]["pickupDetails"] == {"fee": "0.00", "curbside": {"info": "blue car"}}
    assert pickup["order"]["fulfillment"]["asap"] is True
    assert pickup["order"]["fulfillment"]["promisedTime"].endswith("Z")
    dine = wixsim.checkout(
        site.instance_id, site.configuration_id, [{"itemId": soda["id"]}], fulfillment_type="DINE_IN"
    )
    assert dine["order"]["fulfillment"]["dineInDetails"] == {"label": "table", "value": "6"}


def test_explicit_account_skips_list_account_ids(wixsim, site, provider):
    soda = item_named(wixsim, site.catalog_id, "Soda")
    wixsim.checkout(site.instance_id, site.configuration_id, [{"itemId": soda["id"]}], account_id="acct-9")
    assert [c["path"].rsplit("/", 1)[1] for c in provider.received] == ["validate-order", "create-order"]


def test_non_decimal_amounts_are_refused_by_the_control_api(wixsim, site):
    soda = item_named(wixsim, site.catalog_id, "Soda")
    body = {
        "instanceId": site.instance_id,
        "configurationId": site.configuration_id,
        "lines": [{"itemId": soda["id"]}],
        "tip": "lots",
    }
    assert wixsim.http.post("/_sim/checkout", json=body).status_code == 422


def test_deselection_and_external_delivery(wixsim, site, provider):
    spec = {
        "menus": [
            {
                "name": "M",
                "sections": [
                    {
                        "name": "S",
                        "items": [
                            {
                                "name": "Salad",
                                "price": "8.00",
                                "options": [
                                    {
                                        "name": "Remove",
                                        "type": "DESELECTION",
                                        "choices": [{"name": "Onion"}, {"name": "Feta"}],
                                    }
                                ],
                            }
                        ],
                    }
                ],
            }
        ]
    }
    wixsim.set_live_catalog(site.catalog_id, spec)
    salad = item_named(wixsim, site.catalog_id, "Salad")
    line = {"itemId": salad["id"], "options": [{"name": "Remove", "choices": ["Onion"]}]}
    result = wixsim.checkout(
        site.instance_id,
        site.configuration_id,
        [line],
        fulfillment_type="DELIVERY",
        external_provider={"name": "Wolt", "customerFee": "3.50"},
    )
    option = result["order"]["lineItems"][0]["dishOptions"][0]
    assert (option["type"], option["minChoices"], option["maxChoices"]) == ("DESELECTION", 0, 2)
    assert [c["catalogReference"]["catalogItemName"] for c in option["selectedChoices"]] == ["Onion"]
    details = result["order"]["fulfillment"]["deliveryDetails"]
    assert details["externalProvider"]["name"] == "Wolt"
    assert "restaurant" not in details
    assert result["order"]["totals"]["delivery"] == "3.50"
    assert result["order"]["totals"]["total"] == "11.50"
