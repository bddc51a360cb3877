"""Pure ASGI middlewares of the app (issue #16): request body limits, rate limits, security headers.

- :class:`BodyLimit`: a request body larger than its route's limit answers 413 before anything parses
  it: at once when ``Content-Length`` says so, else as soon as the streamed body passes the limit. The
  body (at most the limit) is read here and handed on to the app.
- :class:`RateLimit`: a token bucket per bearer token (when the request carries one) or else per client
  address, on the routes that cost the most (search, skill extraction, sign-in): 429 + ``Retry-After``.
- :class:`SecurityHeaders`: CSP without inline script, nosniff, Referrer-Policy, X-Frame-Options, and
  HSTS when the request came over https.

Limits come from :class:`emclm.config.Settings` (``max_body_bytes``, ``rate_limit_*``)."""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


async def _send_json(send: Send, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
    raw = json.dumps(body).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    head += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": raw})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class BodyLimit:
    """413 for a body over ``limit_for(path)`` bytes, before the app reads or parses it."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await self._too_large(send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        await self.app(scope, _replay(chunks, None, receive), send)

    @staticmethod
    async def _too_large(send: Send, limit: int) -> None:
        await _send_json(
            send,
            413,
            {"detail": f"body: the request body is larger than {limit} bytes (the limit of this route)"},
            {"Connection": "close"},
        )


def _replay(chunks: list[bytes], last: Message | None, receive: Receive) -> Receive:
    pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]
    if last is not None:
        pending = [last]

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


class TokenBuckets:
    """Token buckets by key: ``rate`` requests per ``per`` seconds, at most ``burst`` at once."""

    MAX_KEYS = 100_000

    def __init__(self, rate: int, burst: int, per: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.refill = rate / per  # tokens per second
        self.burst = float(burst)
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """0 when the request may go ahead (one token taken), else the seconds until a token is back."""
        now = self.clock()
        tokens, at = self.buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.refill)
        if tokens >= 1.0:
            if len(self.buckets) >= self.MAX_KEYS and key not in self.buckets:
                self._prune(now)
            self.buckets[key] = (tokens - 1.0, now)
            return 0.0
        self.buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.refill

    def _prune(self, now: float) -> None:
        """Forget the buckets that are full again (they hold no information)."""
        full = [k for k, (t, at) in self.buckets.items() if t + (now - at) * self.refill >= self.burst]
        for k in full:
            del self.buckets[k]
        if len(self.buckets) >= self.MAX_KEYS:  # still full: an attack from very many addresses
            self.buckets.clear()


class RateLimit:
    """429 + Retry-After once a caller's bucket is empty, on the routes ``limited(method, path)``."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets, limited: Callable[[str, str], bool]) -> None:
        self.app = app
        self.buckets = buckets
        self.limited = limited

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.limited(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(self.caller(scope))
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            await _send_json(
                send,
                429,
                {"detail": f"rate limit: too many requests to {scope['path']}; retry after {seconds} s"},
                {"Retry-After": str(seconds)},
            )
            return
        await self.app(scope, receive, send)

    @staticmethod
    def caller(scope: Scope) -> str:
        """The bearer token (its hash: the secret is never kept) or else the client address."""
        auth = _header(scope, b"authorization") or ""
        scheme, _, credential = auth.partition(" ")
        if scheme.lower() == "bearer" and credential.strip():
            return "token:" + hashlib.sha256(credential.strip().encode()).hexdigest()
        client = scope.get("client")
        return "address:" + (client[0] if client else "unknown")


class SecurityHeaders:
    """The baseline headers on every response (an app's own value of a header is kept)."""

    def __init__(self, app: ASGIApp, trust_forwarded_proto: bool = False, hsts_seconds: int = 31_536_000) -> None:
        self.app = app
        self.trust_forwarded_proto = trust_forwarded_proto
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains".encode()

    def _https(self, scope: Scope) -> bool:
        if scope.get("scheme") == "https":
            return True
        if self.trust_forwarded_proto:
            proto = (_header(scope, b"x-forwarded-proto") or "").split(",")[0].strip().lower()
            return proto == "https"
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [
            (b"content-security-policy", CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY"),
        ]
        if self._https(scope):
            extra.append((b"strict-transport-security", self.hsts))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
