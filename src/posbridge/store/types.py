"""Column types that keep money exact and time zones explicit on every backend, and money's one written form."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine

# The largest amount a Money column holds (NUMERIC(18,4): 14 digits before the point).
MONEY_MAX = Decimal("99999999999999.9999")
# ISO 4217 minor units of the currencies that do not have 2 (every other code has 2).
_MINOR_UNITS = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF"], 0
    ),
    **dict.fromkeys(["XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


def minor_units(currency: str) -> int:
    """How many decimals an amount in `currency` may have (ISO 4217: 2 for USD, 0 for JPY, 3 for KWD)."""
    return _MINOR_UNITS.get(currency, 2)


def money_normal(amount: Decimal, currency: str | None = None) -> Decimal:
    """An amount as it is written everywhere: at least the currency's decimals, more only when it has them.

    Without a currency that is two ("12.50", "0.125"), the form every wire amount has; in JPY "1200",
    in KWD "1.500". The same amount reads the same from every backend (NUMERIC(18,4) pads, SQLite
    text does not) and the same as Wix writes it; an amount too large to quantize keeps its digits.
    """
    places = 2 if currency is None else minor_units(currency)
    normal = amount.normalize()
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -places and normal.adjusted() < 20:
        return normal.quantize(Decimal(1).scaleb(-places))
    return normal


def money_text(amount: Decimal, currency: str | None = None, *, grouped: bool = False) -> str:
    """`money_normal` as text, never with an exponent ("12.50", "0.125", "100.00"; "1200" in JPY).

    `grouped` separates thousands ("1,234.50") for people to read; a wire amount never has it.
    """
    return format(money_normal(amount, currency), ",f" if grouped else "f")


def money_words(amount: Decimal, currency: str, *, grouped: bool = False) -> str:
    """An amount for people, with its currency: "41.00 USD", "4100 JPY" (`grouped`: "1,234.50 USD")."""
    return f"{money_text(amount, currency, grouped=grouped)} {currency}"


class Money(TypeDecorator[Decimal]):
    """Decimal stored as NUMERIC on PostgreSQL and as exact text on SQLite (which has no decimal)."""

    impl = Numeric(18, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick NUMERIC where the backend has it, text elsewhere."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, 4, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        """Refuse floats: money never passes through binary floating point."""
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, not float")
        value = Decimal(value)
        return format(value.normalize(), "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Always hand back a Decimal."""
        return None if value is None else Decimal(str(value))


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Reject naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: time zones must be explicit")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return aware UTC datetimes."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
