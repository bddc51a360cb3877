"""Database engine, sessions and the declarative base shared by every domain package."""

from emclm.db.base import Base, TimestampMixin, utcnow
from emclm.db.session import get_engine, session_scope, sessionmaker_for

__all__ = ["Base", "TimestampMixin", "utcnow", "get_engine", "session_scope", "sessionmaker_for"]
