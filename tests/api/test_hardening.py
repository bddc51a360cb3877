"""Issue #20 items 2, 3, 5 and issue #16's baseline: no 500 on out-of-range ids, pages or NaN bodies;
bounded bodies and echoes; 422s in the declared shape naming the field; datetimes with their zone;
security headers, rate limits and body limits (decision 0021)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "catalogue"))

from harvest_support import ListSource, make_record  # noqa: E402

from emclm.api.app import create_app  # noqa: E402
from emclm.api.middleware import BodyLimit, TokenBuckets  # noqa: E402
from emclm.catalogue.harvest import harvest  # noqa: E402
from emclm.config import get_settings  # noqa: E402
from emclm.db.migrate import upgrade  # noqa: E402

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "emclm" / "web" / "templates"
BIG = 2**31  # one more than the INTEGER id columns hold (int4 on PostgreSQL)


@pytest.fixture
def client(sqlite_url):
    upgrade(sqlite_url)
    harvest(ListSource("test", [make_record(i) for i in range(3)]), sqlite_url)
    with TestClient(create_app(sqlite_url), raise_server_exceptions=False) as c:
        yield c


def _json(text: str) -> dict:
    return {"content": text.encode(), "headers": {"content-type": "application/json"}}


def _field_error(response, loc: list) -> dict:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail  # the shape the OpenAPI document declares
    matching = [d for d in detail if d["loc"] == loc]
    assert matching, detail
    assert "input" not in matching[0]  # the refused input is never echoed
    return matching[0]


# --- item 2: no server error ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, loc",
    [
        (f"/api/courses/{BIG}", ["path", "course_id"]),
        (f"/api/courses/{2**63}", ["path", "course_id"]),
        (f"/api/courses/{BIG}/skills", ["path", "course_id"]),
        (f"/api/courses?page={BIG}", ["query", "page"]),
        (f"/api/search?page={BIG}", ["query", "page"]),
        ("/api/courses/0", ["path", "course_id"]),
    ],
)
def test_ids_and_pages_beyond_bigint_are_422_naming_the_parameter(client, path, loc):
    _field_error(client.get(path), loc)


def test_largest_bigint_id_is_a_plain_404(client):
    assert client.get(f"/api/courses/{BIG - 1}").status_code == 404
    assert client.get(f"/api/courses/{BIG - 1}/skills").status_code == 404


def test_large_page_is_an_empty_page(client):
    body = client.get("/api/courses", params={"page": 10**9}).json()
    assert body["items"] == [] and body["total"] == 3


@pytest.mark.parametrize("value", ["1", "3", "8"])
def test_each_eqf_level_is_accepted(client, value):
    assert client.get("/api/search", params={"eqf_level": value}).status_code == 200


def test_eqf_levels_are_checked_one_by_one(client):
    ok = client.get("/api/search", params=[("eqf_level", "3"), ("eqf_level", "8")])
    assert ok.status_code == 200
    err = _field_error(
        client.get("/api/search", params=[("eqf_level", "3"), ("eqf_level", "9")]), ["query", "eqf_level"]
    )
    assert "'9'" in err["msg"]


@pytest.mark.parametrize(
    "path, body, loc",
    [
        ("/api/skills/extract", '{"text": "a", "k": NaN}', ["body", "k"]),
        (
            "/api/guidance/pathway",
            '{"target": "x", "constraints": {"money_weight": NaN}}',
            ["body", "constraints", "money_weight"],
        ),
        (
            "/api/guidance/pathway",
            '{"target": "x", "constraints": {"max_total_hours": Infinity}}',
            ["body", "constraints", "max_total_hours"],
        ),
        ("/api/guidance/gap", '{"target": NaN}', ["body", "target"]),
        ("/api/guidance/transitions", '{"profile": {"text": -Infinity}}', ["body", "profile", "text"]),
        ("/api/auth/login", '{"email": NaN, "password": "x"}', ["body", "email"]),
    ],
)
def test_nan_and_infinity_in_a_body_are_422_naming_the_field(client, path, body, loc):
    _field_error(client.post(path, **_json(body)), loc)


# --- item 3: bounded input -----------------------------------------------------------------------------


def test_body_over_the_limit_is_413_before_parsing(client):
    limit = get_settings().max_body_bytes
    body = '{"target": "x", "profile": {"skills": [' + ",".join(['"s"'] * (limit // 4 + 10)) + "]}}"
    assert len(body) > limit
    r = client.post("/api/guidance/gap", **_json(body))
    assert r.status_code == 413 and "body" in r.json()["detail"] and str(limit) in r.json()["detail"]


def test_streamed_body_without_length_is_cut_at_the_limit():
    """No Content-Length: the body is counted as it streams and the rest is never read."""
    import asyncio

    reached = []

    async def app(scope, receive, send):  # the app behind the limit: must not be reached
        reached.append(scope["path"])

    limit, chunk, read, sent = 1000, b" " * 300, [], []

    async def receive():
        read.append(1)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/guidance/gap", "headers": []}
    asyncio.run(BodyLimit(app, lambda path: limit)(scope, receive, send))
    assert sent[0]["status"] == 413 and not reached
    assert len(read) == 4  # 1200 bytes > 1000: stopped at the chunk that passed the limit


def test_skill_extraction_accepts_a_text_body_larger_than_the_general_limit(client):
    size = get_settings().max_body_bytes + 10
    r = client.post("/api/skills/extract", **_json("x" * size))  # over the general limit, not over its own
    assert r.status_code == 422  # parsed (not JSON), not refused unread


def test_a_long_skill_list_is_refused_not_echoed(client):
    body = '{"target": "x", "profile": {"skills": [' + ",".join(['"s"'] * 600) + "]}}"
    r = client.post("/api/guidance/gap", **_json(body))
    _field_error(r, ["body", "profile", "skills"])
    assert len(r.content) < 2000


def test_a_huge_skill_label_is_refused(client):
    r = client.post("/api/guidance/gap", json={"target": "x", "profile": {"skills": ["s" * 600]}})
    _field_error(r, ["body", "profile", "skills", 0])


# --- item 5: schema truth ------------------------------------------------------------------------------

ISO_WITH_ZONE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def test_course_datetimes_carry_their_zone(client):
    course_id = client.get("/api/courses").json()["items"][0]["id"]
    body = client.get(f"/api/courses/{course_id}").json()
    assert ISO_WITH_ZONE.match(body["first_seen_at"]) and ISO_WITH_ZONE.match(body["last_changed_at"])
    assert all(ISO_WITH_ZONE.match(p["first_seen_at"]) for p in body["provenances"])


def test_route_errors_use_the_validation_shape(client):
    _field_error(client.get("/api/labour/demand", params={"methods": "guessed"}), ["query", "methods"])
    _field_error(client.post("/api/auth/signup", json={"email": "no-at-sign", "password": "x" * 20}), ["body", "email"])
    _field_error(
        client.post("/api/auth/signup", json={"email": "a@example.org", "password": "short"}), ["body", "password"]
    )


def test_error_statuses_are_documented(client):
    spec = client.get("/api/openapi.json").json()
    course = spec["paths"]["/api/courses/{course_id}"]["get"]["responses"]
    assert {"200", "404", "422"} <= set(course)
    gap = spec["paths"]["/api/guidance/gap"]["post"]["responses"]
    assert {"400", "404", "409", "413", "422"} <= set(gap)  # 400/413: the body parser and the body limit
    assert "429" in spec["paths"]["/api/search"]["get"]["responses"] and "429" not in course
    hook = spec["paths"]["/api/sources/richie/course-runs-sync"]["post"]["responses"]
    assert {"400", "401", "413", "422", "503"} <= set(hook)
    schema = course["422"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert spec["components"]["schemas"][schema]["properties"]["detail"]["type"] == "array"


# --- issue #16: headers --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/courses", "/", "/api/nowhere", "/nowhere", "/static/site.css", "/api/docs"])
def test_security_headers_on_every_response(client, path):
    r = client.get(path)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert r.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in r.headers  # plain http


def test_headers_also_on_refusals(client):
    r = client.post("/api/guidance/gap", content=b"x" * (get_settings().max_body_bytes + 1))
    assert r.status_code == 413 and r.headers["x-frame-options"] == "DENY"


def test_hsts_only_over_https(sqlite_url):
    upgrade(sqlite_url)
    with TestClient(create_app(sqlite_url), base_url="https://testserver") as c:
        assert c.get("/api/courses").headers["strict-transport-security"].startswith("max-age=")
    with TestClient(create_app(sqlite_url)) as c:  # a forwarded header is not believed unless configured
        assert "strict-transport-security" not in c.get("/api/courses", headers={"x-forwarded-proto": "https"}).headers


def test_no_inline_script_or_handler_in_templates():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/ld+json"' in tag, f"{path.name}: inline script {tag}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"{path.name}: inline event handler"
        assert "<style" not in text, f"{path.name}: inline style element"


def test_api_docs_start_from_a_static_script(client):
    html = client.get("/api/docs").text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    init = client.get("/static/swagger-init.js")
    assert init.status_code == 200 and "SwaggerUIBundle" in init.text
    assert 'data-openapi-url="/api/openapi.json"' in html


# --- issue #16: rate limit -----------------------------------------------------------------------------


def test_token_bucket_refills_at_its_rate():
    now = [0.0]
    buckets = TokenBuckets(rate=60, burst=2, clock=lambda: now[0])
    assert buckets.take("a") == 0 and buckets.take("a") == 0
    wait = buckets.take("a")
    assert 0.9 < wait <= 1.0  # one token a second
    assert buckets.take("b") == 0  # another caller has its own bucket
    now[0] += 1.0
    assert buckets.take("a") == 0 and buckets.take("a") > 0


@pytest.fixture
def limited_client(sqlite_url, monkeypatch):
    upgrade(sqlite_url)
    monkeypatch.setenv("EMCLM_RATE_LIMIT_ENABLED", "true")
    monkeypatch.setenv("EMCLM_RATE_LIMIT_BURST", "3")
    monkeypatch.setenv("EMCLM_RATE_LIMIT_PER_MINUTE", "1")  # a token a minute: none comes back during the test
    get_settings.cache_clear()
    try:
        with TestClient(create_app(sqlite_url)) as c:
            yield c
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_rate_limit_answers_429_with_retry_after(limited_client):
    codes = [limited_client.get("/api/search/suggest", params={"q": "dat"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = limited_client.get("/api/search", params={"q": "data"})
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60  # one a minute
    assert "rate limit" in r.json()["detail"]
    assert limited_client.get("/api/courses").status_code == 200  # not a limited route
    # a bearer token has its own bucket (an unknown token is then refused by the route, not the limit)
    auth = {"authorization": "Bearer emclm_test"}
    assert limited_client.get("/api/search/suggest", params={"q": "dat"}, headers=auth).status_code == 200


def test_rate_limit_covers_login_and_extraction(limited_client):
    login = {"email": "a@example.org", "password": "x" * 12}
    for _ in range(3):
        limited_client.post("/api/auth/login", json=login)
    assert limited_client.post("/api/auth/login", json=login).status_code == 429
    assert limited_client.post("/api/skills/extract", json={"text": "python"}).status_code == 429
