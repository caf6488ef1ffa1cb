"""A menu document is checked whole: every problem is listed with its JSON path, and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from sqlalchemy import func, select

from posbridge.pos.importer import import_menu
from posbridge.pos.menu_format import InvalidMenuDocument, parse_document, validate_document
from posbridge.store.db import Database
from posbridge.store.models import Item, Merchant
from tests.pos.menu_documents import generated_document, small_document
from tests.support.cli import run_posbridge

Edit = Callable[[dict[str, Any]], None]


def _problems(edit: Edit) -> dict[str, str]:
    document = small_document("m-valid")
    edit(document)
    return {p.path: p.reason for p in validate_document(document)}


def test_the_small_and_the_generated_documents_are_valid() -> None:
    assert validate_document(small_document()) == []
    parsed = parse_document(generated_document(items=300))
    assert len(parsed.items) == 300


@pytest.mark.parametrize(
    ("edit", "path", "reason"),
    [
        (lambda d: d.update(format="posbridge.menu/2"), "$.format", 'must be "posbridge.menu/1"'),
        (lambda d: d["merchant"].update(currency="usd"), "$.merchant.currency", "ISO-4217"),
        (lambda d: d["merchant"].pop("id"), "$.merchant.id", "is required"),
        (lambda d: d["items"][3].update(price="-1"), "$.items[3].price", "must be a decimal string ≥ 0"),
        (lambda d: d["items"][3].update(price=9.5), "$.items[3].price", "must be a decimal string ≥ 0"),
        (lambda d: d["items"][3].update(price="1.23456"), "$.items[3].price", "at most 4 decimal places"),
        (lambda d: d["items"][0].update(taxRate="120"), "$.items[0].taxRate", "between 0 and 100"),
        (lambda d: d["items"][0].update(extra=1), "$.items[0].extra", "unknown field"),
        (lambda d: d["items"][1].update(id="item-1"), "$.items[1].id", "duplicate item id 'item-1'"),
        (lambda d: d["items"][0]["stock"].update({"loc-1": -2}), "$.items[0].stock['loc-1']", "integer ≥ 0"),
        (lambda d: d["items"][0]["stock"].update({"loc-9": 1}), "$.items[0].stock['loc-9']", "unknown location"),
        (
            lambda d: d["items"][0]["locationPrices"].update({"loc-9": "1.00"}),
            "$.items[0].locationPrices['loc-9']",
            "unknown location 'loc-9'",
        ),
        (lambda d: d["items"][1].update(optionGroups=["grp-x"]), "$.items[1].optionGroups[0]", "unknown option group"),
        (lambda d: d["items"][1].update(imageUrl="ftp://x"), "$.items[1].imageUrl", "http(s) URL"),
        (lambda d: d["menus"][0].update(locations=["loc-1", "loc-7"]), "$.menus[0].locations[1]", "unknown location"),
        (lambda d: d["menus"][0].update(locations=[]), "$.menus[0].locations", "at least one location"),
        (
            lambda d: d["menus"][0]["sections"][0]["items"].append("item-99"),
            "$.menus[0].sections[0].items[2]",
            "unknown item 'item-99'",
        ),
        (
            lambda d: d["menus"][0]["sections"][0]["items"].append("item-1"),
            "$.menus[0].sections[0].items[2]",
            "listed twice",
        ),
        (
            lambda d: d["menus"][1]["sections"][0].update(id="sec-1"),
            "$.menus[1].sections[0].id",
            "duplicate section id 'sec-1'",
        ),
        (
            lambda d: d["menus"][1]["availability"][0].update(days=["SAT", "FUNDAY"]),
            "$.menus[1].availability[0].days[1]",
            "MON, TUE",
        ),
        (
            lambda d: d["menus"][1]["availability"][0].update(to="25:00"),
            "$.menus[1].availability[0].to",
            '"HH:MM"',
        ),
        (lambda d: d["locations"][0].update(timezone="Mars/Olympus"), "$.locations[0].timezone", "IANA time zone"),
        (
            lambda d: d["locations"][0]["hours"].append({"day": "MON", "open": "24:00", "close": "24:00"}),
            "$.locations[0].hours[1].open",
            "00:00-23:59",
        ),
        (
            lambda d: d["locations"][0]["hours"].append({"day": "TUE", "open": "22:00", "close": "02:00"}),
            "$.locations[0].hours[1].close",
            "split overnight hours",
        ),
        (
            lambda d: d["locations"][0]["hours"].append({"day": "MON", "open": "21:00", "close": "23:00"}),
            "$.locations[0].hours[1]",
            "overlaps MON 11:00-22:00",
        ),
        (lambda d: d["locations"][0].update(fulfillment=["DRONE"]), "$.locations[0].fulfillment[0]", "PICKUP"),
        (lambda d: d["locations"][0]["address"].update(latitude=91), "$.locations[0].address.latitude", "between"),
        (lambda d: d["optionGroups"][0].update(max=2), "$.optionGroups[0].min", "min = max = 1"),
        (lambda d: d["optionGroups"][1].update(min=2, max=1), "$.optionGroups[1].min", "must be ≤ max"),
        (lambda d: d["optionGroups"][1].update(max=3), "$.optionGroups[1].max", "number of choices (3 > 2)"),
        (lambda d: d["optionGroups"][0].update(defaults=["var-bacon"]), "$.optionGroups[0].defaults[0]", "not one of"),
        (
            lambda d: d["optionGroups"][1]["choices"].append({"variation": "var-ghost", "price": "1"}),
            "$.optionGroups[1].choices[2].variation",
            "unknown variation 'var-ghost'",
        ),
        (lambda d: d["optionGroups"][1].update(type="PICK"), "$.optionGroups[1].type", "SELECTION, EXTRAS"),
        (lambda d: d["variations"][1].update(id="var-small"), "$.variations[1].id", "duplicate variation id"),
    ],
)
def test_each_kind_of_problem_is_reported_at_its_path(edit: Edit, path: str, reason: str) -> None:
    problems = _problems(edit)
    assert path in problems, problems
    assert reason in problems[path]


def test_a_document_that_is_not_an_object_is_one_problem() -> None:
    assert [str(p) for p in validate_document(["not", "a", "document"])] == ["$: must be an object"]


def test_twenty_four_hundred_ends_a_day_and_an_unset_stock_means_untracked() -> None:
    document = small_document()
    document["locations"][0]["hours"] = [{"day": "FRI", "open": "00:00", "close": "24:00"}]
    document["items"][0]["stock"] = None
    assert validate_document(document) == []


def test_many_problems_are_listed_together() -> None:
    document = generated_document(items=200)
    for index in (3, 50, 150):
        document["items"][index]["price"] = "abc"
    document["menus"][0]["locations"].append("loc-404")
    document["optionGroups"][1]["max"] = 99
    problems = [str(p) for p in validate_document(document)]
    assert "$.items[3].price: must be a decimal string ≥ 0 with at most 4 decimal places" in problems
    assert any(p.startswith("$.items[50].price") for p in problems)
    assert any(p.startswith("$.items[150].price") for p in problems)
    assert "$.menus[0].locations[3]: unknown location 'loc-404'" in problems
    assert any(p.startswith("$.optionGroups[1].max") for p in problems)
    assert len(problems) == 5


def test_an_invalid_document_writes_nothing(db: Database) -> None:
    document = small_document()
    document["items"][2]["price"] = "-3"
    with pytest.raises(InvalidMenuDocument) as raised:
        import_menu(db, document)
    assert [str(p) for p in raised.value.problems] == [
        "$.items[2].price: must be a decimal string ≥ 0 with at most 4 decimal places"
    ]
    with db.transaction(write=False) as session:
        merchant_id = document["merchant"]["id"]
        assert session.scalar(select(func.count()).select_from(Merchant).where(Merchant.pos_id == merchant_id)) == 0
        assert (
            session.scalar(select(func.count()).select_from(Item).join(Merchant).where(Merchant.pos_id == merchant_id))
            == 0
        )


def test_amounts_finer_than_the_currency_are_refused_each_with_its_path() -> None:
    def four_decimals(document: dict[str, Any]) -> None:
        document["items"][0]["price"] = "12.5001"
        document["items"][0]["locationPrices"]["loc-2"] = "13.125"
        document["optionGroups"][0]["choices"][1]["price"] = "0.001"
        document["items"][1]["price"] = "9.50"  # trailing zeros are fine: 9.50 is 9.5
        document["items"][0]["taxRate"] = "8.875"  # a percent, not money

    problems = _problems(four_decimals)
    assert problems == {
        "$.items[0].price": "has 4 decimal places; USD amounts have at most 2",
        "$.items[0].locationPrices['loc-2']": "has 3 decimal places; USD amounts have at most 2",
        "$.optionGroups[0].choices[1].price": "has 3 decimal places; USD amounts have at most 2",
    }


@pytest.mark.parametrize(("currency", "fine", "too_fine"), [("JPY", "1200", "1200.5"), ("KWD", "1.125", "1.1255")])
def test_minor_units_follow_iso_4217(currency: str, fine: str, too_fine: str) -> None:
    def priced(price: str) -> Edit:
        def edit(document: dict[str, Any]) -> None:
            document["merchant"]["currency"] = currency
            document["items"][1]["price"] = price

        return edit

    assert "$.items[1].price" not in _problems(priced(fine))
    assert _problems(priced(too_fine))["$.items[1].price"].endswith(
        f"{currency} amounts have at most {fine[::-1].find('.') if '.' in fine else 0}"
    )


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800"])
def test_text_the_databases_cannot_store_is_refused(bad: str) -> None:
    def edit(document: dict[str, Any]) -> None:
        document["items"][0]["name"] = bad
        document["items"][1]["labels"] = [bad]

    assert set(_problems(edit)) == {"$.items[0].name", "$.items[1].labels[0]"}


def test_counts_beyond_an_integer_column_are_refused() -> None:
    problems = _problems(lambda d: d["items"][0]["stock"].update({"loc-1": 2**31}))
    assert problems == {
        "$.items[0].stock['loc-1']": "must be an integer ≥ 0 (at most 2147483647) or null (not tracked)"
    }


def test_every_problem_of_one_part_is_listed_with_the_references_around_it() -> None:
    def edit(document: dict[str, Any]) -> None:
        document["items"][1].update(price="abc", prize="1.00", labels=["hot", "hot"], stock={"loc-1": -1})
        document["items"][1]["optionGroups"] = ["grp-size", "grp-none"]

    assert _problems(edit) == {
        "$.items[1].price": "must be a decimal string ≥ 0 with at most 4 decimal places",
        "$.items[1].prize": "unknown field",
        "$.items[1].labels[1]": "'hot' is listed twice",
        "$.items[1].stock['loc-1']": "must be an integer ≥ 0 (at most 2147483647) or null (not tracked)",
        "$.items[1].optionGroups[1]": "unknown option group 'grp-none'",
    }


def test_the_schema_command_prints_the_format_the_importer_reads(tmp_path: Path) -> None:
    result = run_posbridge("schema", "menu", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["title"] == "posbridge.menu/1" and "$defs" not in schema
    validator = jsonschema_rs.Draft202012Validator(schema)
    assert validator.is_valid(small_document()) and validator.is_valid(generated_document(items=40))
    for edit in (
        lambda d: d["items"][0].update(prize="1.00"),  # a typo the importer refuses too
        lambda d: d["items"][0].update(price=12.5),
        lambda d: d["locations"][0]["hours"][0].update(day="Monday"),
        lambda d: d["optionGroups"][0].update(type="PICK"),
    ):
        document = small_document()
        edit(document)
        assert validate_document(document) and not validator.is_valid(document)
