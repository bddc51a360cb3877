"""Every database session a route depends on is closed, and committed, before the response is sent.

With FastAPI's default dependency scope a ``yield`` dependency runs its teardown *after* the response
has gone out: ``get_session``'s commit would then happen too late — a failed commit is still answered
200, and another worker can read before the change is stored. Every use must say ``scope="function"``.
"""

from __future__ import annotations

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from emclm.api.app import create_app
from emclm.api.deps import get_session


def _session_dependants(dependant: Dependant):
    for sub in dependant.dependencies:
        if sub.call is get_session:
            yield sub
        yield from _session_dependants(sub)


def test_every_route_session_is_function_scoped(tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'scope.sqlite3'}")
    seen = 0
    wrong = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        for sub in _session_dependants(route.dependant):
            seen += 1
            if getattr(sub, "scope", None) != "function":
                wrong.append(f"{sorted(route.methods)} {context.path}")
    assert seen > 20, "the walk found no session dependencies: the check would pass vacuously"
    assert not wrong, f"routes whose session commits after the response: {wrong}"
