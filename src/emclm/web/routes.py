"""Server-rendered portal pages."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

router = APIRouter()


def mount_static(app: FastAPI) -> None:
    pass
