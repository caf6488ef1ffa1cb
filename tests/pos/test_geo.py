"""Delivery distance by the haversine formula."""

from __future__ import annotations

from decimal import Decimal

import pytest

from posbridge.pos.geo import haversine_km


def test_known_distances() -> None:
    # New York (JFK) to London (LHR): about 5,540 km.
    assert haversine_km(40.6413, -73.7781, 51.4700, -0.4543) == pytest.approx(5540, rel=0.005)
    # One degree of latitude is about 111.2 km.
    assert haversine_km(0, 0, 1, 0) == pytest.approx(111.19, rel=0.001)
    assert haversine_km(40.75, -73.99, 40.75, -73.99) == 0


def test_across_the_antimeridian_is_short() -> None:
    assert haversine_km(0, 179.9, 0, -179.9) == pytest.approx(22.24, rel=0.01)


def test_decimal_coordinates() -> None:
    origin = (Decimal("40.7500"), Decimal("-73.9900"))
    times_square = (40.7580, -73.9855)
    assert haversine_km(*origin, *times_square) == pytest.approx(0.97, abs=0.02)
    assert haversine_km(*origin, *origin) == 0
