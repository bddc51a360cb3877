"""Types shared by the REST routes, so that what the OpenAPI document promises is what is checked.

- :data:`DbId` / :data:`PageNo`: every path id and page number; an integer the id columns hold (1 … 2**31-1, INTEGER on both engines), so a
  larger number answers 422 instead of overflowing SQLite's or PostgreSQL's bigint (a 500).
- :class:`ApiModel`: the base of request bodies; refuses ``NaN`` and ``Infinity`` in any float field.
- :func:`utc_iso` / :data:`UtcDateTime`: every datetime is emitted with its time zone (stored UTC;
  SQLite hands them back naive).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

DB_INT_MAX = 2**31 - 1  # the id columns are INTEGER (int4 on PostgreSQL)

DbId = Annotated[int, Field(ge=1, le=DB_INT_MAX)]
# A page number: its offset (page × at most 1000 a page) must fit the databases' bigint too.
PageNo = Annotated[int, Query(ge=1, le=10**9, description="Page number, from 1")]


class ApiModel(BaseModel):
    """Request bodies: no NaN/Infinity (JSON has neither; Python's parser accepts them)."""

    model_config = ConfigDict(allow_inf_nan=False)


def utc_iso(value: datetime | None) -> str | None:
    """ISO 8601 with the zone: a naive datetime is UTC (everything is stored in UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


UtcDateTime = Annotated[
    datetime,
    PlainSerializer(utc_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
