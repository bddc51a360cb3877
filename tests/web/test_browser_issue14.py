"""Issue 14 in a real browser: phone widths, the API docs with no network beyond the server, and
axe-core on the pages the issue adds or changes (career moves, the occupations box, the plan's
exclusions, the error pages)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.web.test_browser import run_axe

WIDEST = """() => {
    const vw = document.documentElement.clientWidth;
    const wide = [];
    for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect();
        if (r.width > vw + 0.5) {
            wide.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' ' + Math.round(r.width));
        }
    }
    return {vw: vw, scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 10)};
}"""


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_course_page_fits_a_phone(phone, web_db, axe_source, tmp_path):
    course_id = web_db["course_ids"][0]  # scheduled: has a sessions table
    phone.goto(f"/courses/{course_id}")
    assert phone.locator("table.runs tbody tr").count() >= 1
    found = phone.evaluate(WIDEST)
    assert found["vw"] == 390
    assert found["scroll"] <= 390 and not found["wide"], found  # nothing wider, nothing to scroll sideways
    # each cell still says which column it is
    label = phone.evaluate("getComputedStyle(document.querySelector('table.runs td'), '::before').content")
    assert "Starts" in label
    run_axe(phone, axe_source, tmp_path, "course-phone")


def test_api_docs_work_without_any_network_but_the_server(page, live_server):
    server = urlparse(live_server).netloc
    outside: list[str] = []

    def only_the_server(route):
        if urlparse(route.request.url).netloc == server:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_server)
    page.goto("/api/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 10
    assert not outside, outside


@pytest.mark.parametrize(
    "path, name",
    [
        ("/transitions?current=shop+assistant", "transitions"),
        ("/search?q=vendeur", "search-occupations"),
        ("/plan?current=shop+assistant&target=ICT+help+desk+agent&language=fr&free=1", "plan-exclusions"),
        ("/courses/abc", "error-404"),
        ("/search?page=abc", "error-400"),
    ],
)
def test_new_and_changed_pages_are_accessible(page, axe_source, tmp_path, path, name):
    page.goto(path)
    run_axe(page, axe_source, tmp_path, name)
