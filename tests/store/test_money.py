"""Money's one written form: error messages, Wix's catalog prices and the admin API all show an amount alike."""

from __future__ import annotations

from decimal import Decimal

from posbridge.store.types import money_normal, money_text, money_words


def test_money_text() -> None:
    assert money_text(Decimal("12.5")) == "12.50"
    assert money_text(Decimal("12.5000")) == "12.50"
    assert money_text(Decimal("3")) == "3.00"
    assert money_text(Decimal("1E+2")) == "100.00"  # never an exponent
    assert money_text(Decimal("0.125")) == "0.125"
    assert money_text(Decimal(10) ** 27) == "1" + "0" * 27  # too wide to quantize: no InvalidOperation


def test_the_same_amount_reads_the_same_from_every_backend() -> None:
    # PostgreSQL's NUMERIC(18,4) pads to four places; SQLite's text keeps what was written.
    assert money_normal(Decimal("12.5000")) == money_normal(Decimal("12.5"))
    assert str(money_normal(Decimal("12.5000"))) == "12.50"
    assert str(money_normal(Decimal("0.1250"))) == "0.125"


def test_money_text_writes_the_currencys_minor_units() -> None:
    # JPY has no decimals and KWD three (ISO 4217): a fixed two would add yen and drop fils.
    assert money_text(Decimal("1200.0000"), "JPY") == "1200"
    assert money_text(Decimal("1E+3"), "JPY") == "1000"
    assert money_text(Decimal("1.5"), "KWD") == "1.500"
    assert money_text(Decimal("1.125"), "KWD") == "1.125"
    assert money_text(Decimal("12.5"), "USD") == money_text(Decimal("12.5")) == "12.50"
    # Finer than the currency allows (refused at import) is shown as it is, never rounded away.
    assert money_text(Decimal("0.125"), "USD") == "0.125"


def test_grouped_money_text_separates_thousands() -> None:
    assert money_text(Decimal("1234567.5"), "USD", grouped=True) == "1,234,567.50"
    assert money_text(Decimal("1234567"), "JPY", grouped=True) == "1,234,567"
    assert money_text(Decimal("1234.5")) == "1234.50"  # wire amounts are never grouped


def test_money_words_name_the_currency() -> None:
    assert money_words(Decimal("41"), "USD") == "41.00 USD"
    assert money_words(Decimal("4100.00"), "JPY") == "4100 JPY"
    assert money_words(Decimal("1234.5"), "USD", grouped=True) == "1,234.50 USD"
