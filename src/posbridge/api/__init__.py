"""The operator's JSON admin API under /api/v1 (a thin adapter over the service layer)."""
