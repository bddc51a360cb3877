"""The main journeys in a real browser (Debian Chromium driven by Playwright), with axe-core on
every page: zero serious or critical WCAG 2.0/2.1 A/AA violations.

Screenshots go to a temporary folder; with EMCLM_SCREENSHOTS=1 (``make screenshots``) they replace
docs/screenshots/, which the README shows.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from tests.web.helpers import SCREENSHOTS

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def run_axe(page, axe_source: str, tmp_path, name: str) -> None:
    """Run axe-core on the page; fail on serious/critical violations (printed); take a screenshot."""
    page.wait_for_load_state("load")
    page.evaluate("window.scrollTo(0, 0)")
    # evaluated through the DevTools protocol: the portal's CSP (no inline script) would block a script tag
    page.evaluate(axe_source)
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
        }""",
        AXE_TAGS,
    )
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on {name} ({page.url}):\n" + json.dumps(bad, indent=1, ensure_ascii=False)
    folder = SCREENSHOTS if os.environ.get("EMCLM_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=False)


@pytest.fixture
def check_factory(axe_source, tmp_path):
    """``check_factory(page)("name")`` checks the page's accessibility and screenshots it."""
    return lambda page: lambda name: run_axe(page, axe_source, tmp_path, name)


@pytest.fixture
def check(page, check_factory):
    return check_factory(page)


def count_of(page) -> int:
    text = page.get_by_test_id("result-count").inner_text()
    return int(re.sub(r"\D", "", text.split()[0]))


def test_home_follows_the_browser_language_and_switches_on_request(browser, live_server, axe_source, tmp_path):
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    page = context.new_page()
    try:
        page.goto("/")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.get_by_role("heading", level=1).inner_text() == "Les MOOC européens au service de l'emploi"
        # keyboard: the skip link is the first stop and moves focus to the main content
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        # the user's choice beats the browser's language, and is remembered
        page.get_by_role("navigation", name="Langue").get_by_role("link", name="Deutsch").click()
        assert page.locator("html").get_attribute("lang") == "de"
        page.get_by_role("navigation", name="Hauptmenü").get_by_role("link", name="Über uns").click()
        assert page.locator("html").get_attribute("lang") == "de"
        assert "ESCO-Klassifikation der Europäischen Kommission" in page.locator("main").inner_text()
        assert (
            "This service uses the ESCO classification of the European Commission" in page.locator("main").inner_text()
        )
    finally:
        context.close()


def test_home_and_about_are_accessible(page, check):
    page.goto("/")
    check("home")
    page.get_by_role("link", name="About", exact=True).click()
    check("about")


def facet_count(option) -> int:
    return int(re.search(r"\((\d+)\)", option.inner_text()).group(1))


def test_search_filter_and_remove_chips(page, check):
    page.goto("/")
    page.get_by_label("Search courses, skills or jobs").fill("support")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=support*")
    total = count_of(page)
    assert total >= 16  # at least the French and English test courses ("IT support", "Support informatique")
    check("search")

    # htmx swaps results and facets; the URL follows so the page can be shared or reloaded.
    # Selecting a facet value gives exactly the count the facet announced.
    french = page.get_by_role("group", name="Language").locator(".check", has_text="French")
    n_french = facet_count(french)
    assert 0 < n_french < total
    french.get_by_role("checkbox").check()
    page.wait_for_url(re.compile(r"language=fr"))
    expect_count(page, n_french)
    free = page.get_by_role("group", name="Price").locator(".check", has_text="Free")
    n_free_fr = facet_count(free)
    free.get_by_role("checkbox").check()
    page.wait_for_url(re.compile(r"price=free"))
    expect_count(page, n_free_fr)
    assert 0 < n_free_fr < n_french
    chips = page.get_by_test_id("chip")
    assert chips.count() == 2
    check("search-filtered")

    # removing one chip keeps the other filter
    chips.filter(has_text="French").click()
    page.wait_for_url(lambda url: "language=fr" not in url)
    assert page.get_by_test_id("chip").count() == 1
    assert "price=free" in page.url
    assert n_free_fr < count_of(page) < total

    # pagination: ten per page
    page.get_by_test_id("chip").click()
    page.wait_for_url(lambda url: "price=" not in url)
    expect_count(page, total)
    assert page.locator(".hit").count() == 10
    page.get_by_role("navigation", name="Pagination").get_by_role("link", name="Next page").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator(".hit").count() == min(10, total - 10)


def expect_count(page, n: int) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_test_id("result-count")).to_contain_text(f"{n} course")


def test_open_a_course(page, check):
    page.goto("/search?q=Lumorix&language=fr")
    first = page.locator(".hit h3 a").first
    title = first.inner_text()
    first.click()
    assert page.get_by_role("heading", level=1).inner_text() == title
    facts = page.locator("dl.facts").inner_text()
    for label in ("Certificate", "ECTS credits", "EQF level", "Assessment", "Identity check"):
        assert label in facts
    assert page.locator("section", has=page.get_by_role("heading", name="Skills taught")).locator("li").count() >= 1
    assert (
        page.locator("section", has=page.get_by_role("heading", name="Occupations it serves"))
        .get_by_role("link", name="ICT help desk agent")
        .count()
        == 1
    )
    assert page.get_by_role("link", name="Go to the course on FUN MOOC").get_attribute("href").startswith("https://")
    data = json.loads(page.locator('script[type="application/ld+json"]').inner_text())
    assert data["@type"] == "Course" and data["name"] == title
    assert data["hasCourseInstance"][0]["@type"] == "CourseInstance"
    check("course")
    # a skill link leads to the skill page
    page.locator("ul.skills a").first.click()
    assert "/skills/" in page.url
    check("skill")


def test_plan_my_path_in_french_updates_live(browser, live_server, check_factory):
    context = browser.new_context(base_url=live_server, locale="en-GB", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    check = check_factory(page)
    try:
        page.goto("/plan?lang=fr")
        assert page.locator("html").get_attribute("lang") == "fr"
        page.get_by_label("Votre profession actuelle ou la dernière").fill("employé de magasin")
        page.get_by_label("Profession visée").fill("agent de service d’assistance informatique")
        page.get_by_role("button", name="Afficher mon parcours").click()
        page.wait_for_url(re.compile(r"target="))
        summary = page.get_by_test_id("plan-summary").inner_text()
        assert "Il vous manque" in summary and "agent de service d’assistance informatique" in summary
        gap = page.get_by_test_id("gap-skills").locator("li")
        assert gap.count() > 3
        assert "fournir une assistance TIC" in page.get_by_test_id("gap-skills").inner_text()
        check("plan")
        # a constraint updates the plan without a page load (htmx) and the URL records it
        page.evaluate("window.__sameDocument = true")
        page.get_by_label("Cours gratuits uniquement").check()
        page.wait_for_url(re.compile(r"free=1"))
        assert page.evaluate("window.__sameDocument") is True
        page.get_by_label("Langue des cours").select_option("fr")
        page.wait_for_url(re.compile(r"language=fr"))
        assert page.evaluate("window.__sameDocument") is True
        assert page.get_by_test_id("gap-skills").locator("li").count() == gap.count()
    finally:
        context.close()


def test_occupation_page_in_german_and_not_found(browser, live_server, check_factory):
    context = browser.new_context(base_url=live_server, locale="de-DE")
    page = context.new_page()
    check = check_factory(page)
    try:
        page.goto("/occupations/aaeec9a7-dc57-4485-890c-86b3eef735f9")
        assert page.locator("html").get_attribute("lang") == "de"
        assert "IT-Helpdesk" in page.get_by_role("heading", level=1).inner_text()
        assert page.get_by_test_id("essential-skills").locator("li").count() > 5
        check("occupation")
        response = page.goto("/courses/999999")
        assert response.status == 404
        assert page.get_by_role("heading", level=1).inner_text() == "Nicht gefunden"
        check("not-found")
    finally:
        context.close()


def test_labour_market_page_filters_by_region(browser, live_server, check_factory):
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    page = context.new_page()
    check = check_factory(page)
    try:
        page.goto("/")
        page.get_by_role("link", name="Marché du travail").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Marché du travail"
        rows = page.get_by_role("region", name="Compétences demandées").locator("tbody tr")
        assert rows.count() > 5
        check("labour")
        page.get_by_label("Région").select_option("SE")
        page.get_by_role("button", name="Afficher").click()
        page.wait_for_url("**/labour?region=SE")
        assert page.get_by_label("Région").input_value() == "SE"
        assert page.get_by_role("region", name="Compétences demandées").locator("tbody tr").count() > 0
        check("labour-se")
    finally:
        context.close()
