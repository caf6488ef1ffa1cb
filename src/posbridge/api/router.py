"""Admin API routes (placeholder until the operator surface lands)."""

from fastapi import APIRouter

router = APIRouter()
