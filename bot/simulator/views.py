"""GET /simulator: chat with the desk as LINE users (development only)."""

from fastapi import APIRouter

router = APIRouter(tags=["simulator"])
