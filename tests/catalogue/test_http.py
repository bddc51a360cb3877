"""Fetcher against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "sources"))
from emclm_testserver import Request, fast_fetcher, local_server  # noqa: E402,F401

from emclm.catalogue.http import (  # noqa: E402
    FetchError,
    HTTPStatusError,
    NotModified,
    ResponseFormatError,
    ResponseTooLarge,
    RobotsDisallowed,
)
from emclm.config import Settings  # noqa: E402


def test_fetch_sends_user_agent_and_returns_body(local_server):
    url = local_server.add("/courses", b'{"a": 1}')
    fetcher = fast_fetcher()
    resp = fetcher(url, params={"page": 2})
    assert resp.status == 200
    assert resp.json() == {"a": 1}
    req = local_server.hits("/courses")[0]
    assert req.query == "page=2"
    assert req.headers["user-agent"] == Settings().http_user_agent


def test_robots_disallow_is_respected_and_cached(local_server):
    local_server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    local_server.add("/private/courses", b"[]")
    ok = local_server.add("/public/courses", b"[]")
    fetcher = fast_fetcher()
    with pytest.raises(RobotsDisallowed) as info:
        fetcher(local_server.url("/private/courses"))
    assert "/private/courses" in str(info.value)
    assert local_server.hits("/private/courses") == []
    assert fetcher(ok).status == 200
    assert len(local_server.hits("/robots.txt")) == 1


def test_robots_for_our_agent_only(local_server):
    local_server.add(
        "/robots.txt",
        "User-agent: emclm-harvester\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
        content_type="text/plain",
    )
    local_server.add("/x", b"{}")
    with pytest.raises(RobotsDisallowed):
        fast_fetcher()(local_server.url("/x"))
    # a fetcher told to ignore robots (an operator's explicit choice) gets through
    assert fast_fetcher(respect_robots=False)(local_server.url("/x")).status == 200


def test_robots_server_error_disallows_everything(local_server):
    local_server.add("/robots.txt", "oops", status=500, content_type="text/plain")
    local_server.add("/x", b"{}")
    with pytest.raises(RobotsDisallowed, match="robots.txt"):
        fast_fetcher(max_retries=0)(local_server.url("/x"))


def test_429_then_200_is_retried_honouring_retry_after(local_server):
    calls = []

    def flaky(req: Request):
        calls.append(req)
        if len(calls) == 1:
            return 429, {"Retry-After": "7"}, b"slow down"
        return 200, {"Content-Type": "application/json"}, b"[1]"

    local_server.routes["/flaky"] = flaky
    sleeps: list[float] = []
    fetcher = fast_fetcher(sleep=sleeps.append, max_backoff_s=30)
    resp = fetcher(local_server.url("/flaky"))
    assert resp.json() == [1]
    assert len(calls) == 2
    assert sleeps == [7.0]


def test_5xx_backoff_is_exponential_and_gives_up(local_server):
    local_server.add("/down", b"broken", status=503)
    sleeps: list[float] = []
    fetcher = fast_fetcher(sleep=sleeps.append, backoff_base_s=1.0, max_backoff_s=100, max_retries=3)
    with pytest.raises(HTTPStatusError) as info:
        fetcher(local_server.url("/down"))
    assert info.value.status == 503
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(local_server.hits("/down")) == 4


def test_404_is_not_retried(local_server):
    fetcher = fast_fetcher()
    with pytest.raises(HTTPStatusError) as info:
        fetcher(local_server.url("/missing"))
    assert info.value.status == 404
    assert len(local_server.hits("/missing")) == 1


def test_conditional_request_and_304(local_server):
    def conditional(req: Request):
        if req.headers.get("if-none-match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"ETag": '"v1"', "Last-Modified": "Sat, 01 Nov 2025 10:00:00 GMT"}, b"[1, 2]"

    local_server.routes["/feed"] = conditional
    fetcher = fast_fetcher()
    first = fetcher(local_server.url("/feed"))
    assert first.json() == [1, 2] and not first.not_modified
    url = local_server.url("/feed")
    assert fetcher.validators[url] == {"etag": '"v1"', "last_modified": "Sat, 01 Nov 2025 10:00:00 GMT"}

    # a later run restores the persisted validators
    later = fast_fetcher(validators=dict(fetcher.validators))
    second = later(url)
    assert isinstance(second, NotModified) and second.not_modified and second.status == 304
    last = local_server.hits("/feed")[-1]
    assert last.headers["if-none-match"] == '"v1"'
    assert last.headers["if-modified-since"] == "Sat, 01 Nov 2025 10:00:00 GMT"
    with pytest.raises(ResponseFormatError):
        second.json()


def test_size_cap_aborts_while_streaming(local_server):
    sent = {"bytes": 0, "done": False}
    total = 64 * 1024 * 1024

    def stream(req: Request):
        # no Content-Length: only the check while streaming can stop this body
        h = req.handler
        h.send_response(200)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        chunk = b"x" * 65536
        try:
            while sent["bytes"] < total:
                h.wfile.write(chunk)
                sent["bytes"] += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        sent["done"] = True

    local_server.routes["/big"] = stream
    fetcher = fast_fetcher(max_bytes=100_000)
    with pytest.raises(ResponseTooLarge, match="100000"):
        fetcher(local_server.url("/big"))
    fetcher.close()
    deadline = time.monotonic() + 10
    while not sent["done"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sent["done"]
    assert sent["bytes"] < total  # the client hung up long before the end


def test_declared_content_length_over_cap_is_refused(local_server):
    local_server.add("/big", b"y" * 2000)
    with pytest.raises(ResponseTooLarge, match="Content-Length 2000"):
        fast_fetcher(max_bytes=1000)(local_server.url("/big"))


def test_timeout_is_a_clear_fetch_error(local_server):
    release = []

    def slow(req: Request):
        for _ in range(100):
            if release:
                break
            time.sleep(0.02)
        return 200, {}, b"late"

    local_server.routes["/slow"] = slow
    fetcher = fast_fetcher(timeout=0.2, max_retries=1)
    try:
        with pytest.raises(FetchError, match="timed out after 2 attempt"):
            fetcher(local_server.url("/slow"))
    finally:
        release.append(True)
    assert len(local_server.hits("/slow")) == 2


def test_connect_error_is_retried_then_reported():
    sleeps: list[float] = []
    fetcher = fast_fetcher(sleep=sleeps.append, respect_robots=False, max_retries=2)
    with pytest.raises(FetchError, match="network error after 3 attempt"):
        fetcher("http://127.0.0.1:1/nothing")
    assert len(sleeps) == 2


def test_malformed_json_error_says_where(local_server):
    url = local_server.add("/bad", b'{"a": [1, 2,}')
    with pytest.raises(ResponseFormatError, match="line 1 column 13") as info:
        fast_fetcher()(url).json()
    assert info.value.url == url


def test_latin1_bytes_declared_utf8_json(local_server):
    url = local_server.add(
        "/latin", '{"name": "Café"}'.encode("latin-1"), content_type="application/json; charset=utf-8"
    )
    with pytest.raises(ResponseFormatError, match="not valid UTF-8"):
        fast_fetcher()(url).json()


def test_declared_latin1_json_is_decoded(local_server):
    url = local_server.add(
        "/latin", '{"name": "Café"}'.encode("latin-1"), content_type="application/json; charset=ISO-8859-1"
    )
    assert fast_fetcher()(url).json() == {"name": "Café"}


def test_redirect_followed_and_robots_checked_on_target(local_server):
    local_server.add("/robots.txt", "User-agent: *\nDisallow: /secret\n", content_type="text/plain")
    local_server.add("/old", b"", status=301, headers={"Location": "/new"})
    local_server.add("/new", b"[3]")
    local_server.add("/sneaky", b"", status=302, headers={"Location": "/secret"})
    local_server.add("/secret", b"[4]")
    fetcher = fast_fetcher()
    resp = fetcher(local_server.url("/old"))
    assert resp.json() == [3] and resp.url.endswith("/new")
    with pytest.raises(RobotsDisallowed):
        fetcher(local_server.url("/sneaky"))
    assert local_server.hits("/secret") == []


def test_only_http_urls():
    with pytest.raises(FetchError, match="only http"):
        fast_fetcher()("file:///etc/passwd")


def test_min_interval_waits_between_requests_to_one_host(local_server):
    local_server.add("/a", b"[]")
    sleeps: list[float] = []
    fetcher = fast_fetcher(min_interval_s=30.0, sleep=sleeps.append)
    fetcher(local_server.url("/a"))
    fetcher(local_server.url("/a"))
    # the first request goes at once, the second waits for its turn
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 30.0
