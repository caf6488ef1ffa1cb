"""SPI routes (placeholder until the handlers land)."""

from fastapi import APIRouter

router = APIRouter()
