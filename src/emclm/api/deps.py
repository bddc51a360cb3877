"""Request-scoped database sessions for routers."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI, Request
from sqlalchemy.orm import Session

from emclm.db.session import sessionmaker_for


def configure(app: FastAPI, database_url: str | None) -> None:
    app.state.sessionmaker = sessionmaker_for(database_url)
    app.state.database_url = database_url


def get_session(request: Request) -> Iterator[Session]:
    session = request.app.state.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
