"""Polite, bounded HTTP fetching for harvest sources.

``Fetcher`` is the production ``fetch`` callable every source receives (see
``emclm.ingest.Fetch``). One ``Fetcher`` per source gives that source its own
rate limit. It

- waits at least ``min_interval_s`` between two requests to the same host (or the host's
  ``Crawl-delay`` from robots.txt when that is longer);
- fetches robots.txt once per host (``urllib.robotparser``) and refuses disallowed URLs with
  ``RobotsDisallowed``; following RFC 9309 a missing robots.txt (4xx) allows everything and an
  unreachable one (5xx, network error) disallows everything for this run;
- applies the timeouts and the User-Agent from ``Settings``;
- retries connect errors, timeouts, 429 and 5xx with exponential backoff, honouring
  ``Retry-After`` (seconds or HTTP date), at most ``max_retries`` times;
- streams the body and aborts as soon as it exceeds ``Settings.http_max_bytes``
  (``ResponseTooLarge``) -- the cap applies to decoded bytes, so a gzip bomb is stopped too;
- follows redirects itself (at most ``max_redirects``), checking robots.txt at every hop;
- makes conditional requests: ``validators`` maps a URL (with its query) to the ETag and
  Last-Modified seen last time; callers may persist and restore that dict. A 304 returns a
  ``NotModified`` response (``not_modified=True``, empty content).

Non-success statuses after the retries raise ``HTTPStatusError``; every failure is a
``FetchError`` naming the URL, so a source can turn it into one error item and go on.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from emclm.config import Settings, get_settings

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ROBOTS_MAX_BYTES = 512 * 1024


class FetchError(Exception):
    """Fetching ``url`` failed; ``status`` is the last HTTP status when there was one."""

    def __init__(self, url: str, message: str, status: int | None = None):
        self.url = url
        self.status = status
        self.message = message
        super().__init__(f"{url}: {message}")


class RobotsDisallowed(FetchError):
    pass


class ResponseTooLarge(FetchError):
    pass


class HTTPStatusError(FetchError):
    pass


class ResponseFormatError(FetchError, ValueError):
    """The body is not what the caller asked for (malformed JSON, bad encoding)."""


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]  # lower-cased names
    content: bytes
    not_modified: bool = False

    @property
    def charset(self) -> str | None:
        ctype = self.headers.get("content-type", "")
        for part in ctype.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip().strip('"').lower()
        return None

    @property
    def text(self) -> str:
        charset = self.charset or "utf-8"
        try:
            return self.content.decode(charset)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ResponseFormatError(self.url, f"body is not valid {charset}: {exc}", self.status) from exc

    def json(self) -> Any:
        """The body parsed as JSON; ``ResponseFormatError`` (a ``ValueError``) says where it breaks."""
        if self.not_modified:
            raise ResponseFormatError(self.url, "304 Not Modified has no body to parse", self.status)
        charset = self.charset
        try:
            if charset and charset.replace("-", "") not in ("utf8", "utf16", "utf32"):
                return json.loads(self.text)
            return json.loads(self.content)
        except UnicodeDecodeError as exc:
            raise ResponseFormatError(
                self.url, f"JSON body is not valid UTF-8 (byte {exc.start}: {exc.reason})", self.status
            ) from exc
        except json.JSONDecodeError as exc:
            raise ResponseFormatError(
                self.url, f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", self.status
            ) from exc


class NotModified(Response):
    """What a 304 answer to a conditional request returns."""

    def __init__(self, url: str, headers: dict[str, str]):
        super().__init__(url=url, status=304, headers=headers, content=b"", not_modified=True)


@dataclass
class _Robots:
    parser: urllib.robotparser.RobotFileParser | None  # None: allow everything
    disallow_all: bool = False
    reason: str = ""

    def allowed(self, agent: str, url: str) -> bool:
        if self.disallow_all:
            return False
        return self.parser is None or self.parser.can_fetch(agent, url)

    def crawl_delay(self, agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(agent)
        return float(delay) if delay is not None else None


def _parse_retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


@dataclass
class Fetcher:
    settings: Settings = field(default_factory=get_settings)
    min_interval_s: float = 1.0
    respect_robots: bool = True
    max_retries: int = 3
    backoff_base_s: float = 1.0
    max_backoff_s: float = 120.0
    max_redirects: int = 5
    # URL (with query) -> {"etag": …, "last_modified": …}; persist it to make later runs conditional
    validators: dict[str, dict[str, str]] = field(default_factory=dict)
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        timeout = httpx.Timeout(self.settings.http_timeout_s)
        self._client = httpx.Client(
            timeout=timeout,
            headers={"User-Agent": self.settings.http_user_agent},
            follow_redirects=False,
            transport=self.transport,
        )
        self._robots: dict[str, _Robots] = {}
        self._last_request: dict[str, float] = {}
        self.requests_made = 0

    # -- public -----------------------------------------------------------------------------

    def __call__(self, url: str, *, params: dict | None = None, headers: dict | None = None) -> Response:
        return self.fetch(url, params=params, headers=headers)

    def fetch(
        self,
        url: str,
        params: dict | None = None,
        headers: dict | None = None,
        *,
        conditional: bool = True,
    ) -> Response:
        full_url = str(httpx.URL(url, params=params)) if params else url
        self._check_scheme(full_url)
        request_headers = dict(headers or {})
        key = full_url
        seen = self.validators.get(key) if conditional else None
        if seen:
            if seen.get("etag"):
                request_headers.setdefault("If-None-Match", seen["etag"])
            if seen.get("last_modified"):
                request_headers.setdefault("If-Modified-Since", seen["last_modified"])

        current = full_url
        for _ in range(self.max_redirects + 1):
            response = self._fetch_with_retries(current, request_headers)
            if response.status in REDIRECT_STATUSES and "location" in response.headers:
                current = urljoin(current, response.headers["location"])
                self._check_scheme(current)
                continue
            break
        else:
            raise FetchError(full_url, f"more than {self.max_redirects} redirects")

        if response.status == 304:
            return NotModified(current, response.headers)
        if not 200 <= response.status < 300:
            snippet = response.content[:200].decode("utf-8", "replace")
            raise HTTPStatusError(current, f"HTTP {response.status}: {snippet}", response.status)
        if conditional:
            remembered = {}
            if response.headers.get("etag"):
                remembered["etag"] = response.headers["etag"]
            if response.headers.get("last-modified"):
                remembered["last_modified"] = response.headers["last-modified"]
            if remembered:
                self.validators[key] = remembered
        return response

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------

    @staticmethod
    def _check_scheme(url: str) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchError(url, "only http and https URLs are fetched")

    def _fetch_with_retries(self, url: str, headers: dict[str, str]) -> Response:
        robots = self._robots_for(url) if self.respect_robots else None
        if robots is not None and not robots.allowed(self.settings.http_user_agent, url):
            raise RobotsDisallowed(url, f"disallowed by robots.txt{robots.reason}")
        attempt = 0
        while True:
            self._wait_for_turn(url, robots)
            try:
                response = self._get(url, headers)
            except httpx.TransportError as exc:
                if attempt >= self.max_retries:
                    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "network error"
                    raise FetchError(url, f"{kind} after {attempt + 1} attempt(s): {exc!r}") from exc
                delay = self._backoff(attempt)
                log.info("retrying %s in %.1fs after %r", url, delay, exc)
            else:
                if response.status not in RETRY_STATUSES or attempt >= self.max_retries:
                    return response
                retry_after = _parse_retry_after(response.headers.get("retry-after"), time.time())
                delay = min(self.max_backoff_s, retry_after) if retry_after is not None else self._backoff(attempt)
                log.info("retrying %s in %.1fs after HTTP %s", url, delay, response.status)
            attempt += 1
            self.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        return min(self.max_backoff_s, self.backoff_base_s * (2**attempt))

    def _wait_for_turn(self, url: str, robots: _Robots | None) -> None:
        host = urlsplit(url).netloc
        interval = self.min_interval_s
        if robots is not None:
            delay = robots.crawl_delay(self.settings.http_user_agent)
            if delay is not None:
                interval = max(interval, min(delay, self.max_backoff_s))
        last = self._last_request.get(host)
        if last is not None:
            wait = last + interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
        self._last_request[host] = time.monotonic()

    def _get(self, url: str, headers: dict[str, str], max_bytes: int | None = None) -> Response:
        limit = self.settings.http_max_bytes if max_bytes is None else max_bytes
        self.requests_made += 1
        with self._client.stream("GET", url, headers=headers) as resp:
            hdrs = {k.lower(): v for k, v in resp.headers.items()}
            declared = hdrs.get("content-length", "")
            if declared.isdigit() and int(declared) > limit and resp.status_code < 300:
                raise ResponseTooLarge(url, f"Content-Length {declared} exceeds the limit of {limit} bytes")
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise ResponseTooLarge(url, f"body exceeds the limit of {limit} bytes")
                chunks.append(chunk)
            return Response(url=str(resp.url), status=resp.status_code, headers=hdrs, content=b"".join(chunks))

    def _robots_for(self, url: str) -> _Robots:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        cached = self._robots.get(origin)
        if cached is not None:
            return cached
        robots_url = origin + "/robots.txt"
        try:
            resp = self._get(robots_url, {}, max_bytes=ROBOTS_MAX_BYTES)
            # one redirect hop is common (http -> https); follow it once
            if resp.status in REDIRECT_STATUSES and "location" in resp.headers:
                resp = self._get(urljoin(robots_url, resp.headers["location"]), {}, max_bytes=ROBOTS_MAX_BYTES)
        except FetchError as exc:
            robots = _Robots(None, disallow_all=True, reason=f" (robots.txt unavailable: {exc.message})")
        except httpx.TransportError as exc:
            robots = _Robots(None, disallow_all=True, reason=f" (robots.txt unreachable: {exc!r})")
        else:
            if 200 <= resp.status < 300:
                parser = urllib.robotparser.RobotFileParser(robots_url)
                parser.parse(resp.content.decode("utf-8", "replace").splitlines())
                robots = _Robots(parser)
            elif 400 <= resp.status < 500:
                robots = _Robots(None)
            else:
                robots = _Robots(None, disallow_all=True, reason=f" (robots.txt answered HTTP {resp.status})")
        self._robots[origin] = robots
        return robots
