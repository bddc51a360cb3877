"""The portal and the REST API answer the same question the same way: the pages call the domain
functions the API calls (course skills and occupations, occupation lookup, pathway), so for the same
inputs they show the same concepts, in the same order."""

from __future__ import annotations

import html
import re

import pytest

ESCO = "http://data.europa.eu/esco/"


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def _ids(html: str, kind: str) -> list[str]:
    return re.findall(rf'href="/{kind}/([0-9a-f-]{{36}})"', html)


def test_course_skills_and_occupations_agree_with_the_api(client, web_db):
    checked = 0
    for course_id in web_db["course_ids"][:6]:
        page = client.get(f"/courses/{course_id}").text
        api_skills = [s["uri"].rsplit("/", 1)[-1] for s in client.get(f"/api/courses/{course_id}").json()["skills"]]
        api_occupations = [
            o["uri"].rsplit("/", 1)[-1] for o in client.get(f"/api/courses/{course_id}/skills").json()["occupations"]
        ]
        assert api_skills, "the seeded courses are tagged"
        assert _ids(_section(page, "skills-h"), "skills") == api_skills
        shown = _ids(_section(page, "occ-h"), "occupations")
        assert shown == api_occupations[: len(shown)]
        assert len(shown) == min(8, len(api_occupations))
        checked += bool(shown)
    assert checked, "at least one course serves an occupation (covers two essential skills of it)"


def _labelled(section: str, kind: str) -> list[tuple[str, str]]:
    found = re.findall(rf'<a href="/{kind}/([0-9a-f-]{{36}})"[^>]*>([^<]+)</a>', section)
    return [(i, html.unescape(label)) for i, label in found]


def _api_labelled(items: list[dict]) -> list[tuple[str, str]]:
    return [(o["uri"].rsplit("/", 1)[-1], o["label"]) for o in items]


@pytest.mark.parametrize("ui", ["fr", "de", "en"])
def test_course_skill_and_occupation_labels_agree_with_the_api_in_the_ui_language(client, web_db, ui):
    """The portal labels a course's skills and occupations in the UI language; the API's ``lang`` does the
    same (its occupations were always English), and without ``lang`` it labels them in the course's
    language, as the course API does its skills."""
    checked = 0
    for course_id in web_db["course_ids"][:6]:
        client.cookies.clear()
        page = client.get(f"/courses/{course_id}", headers={"Accept-Language": ui}).text
        api = client.get(f"/api/courses/{course_id}/skills", params={"lang": ui}).json()
        occupations = _labelled(_section(page, "occ-h"), "occupations")
        assert occupations == _api_labelled(api["occupations"])[: len(occupations)]
        assert _labelled(_section(page, "skills-h"), "skills") == _api_labelled(api["skills"])
        checked += bool(occupations)
        course_lang = client.get(f"/api/courses/{course_id}").json()["language"]
        default = client.get(f"/api/courses/{course_id}/skills").json()
        assert default == client.get(f"/api/courses/{course_id}/skills", params={"lang": course_lang}).json()
    assert checked
    if ui != "en":  # the labels really are in the UI language (ESCO has them), not the English fallback
        english = client.get(f"/api/courses/{course_id}/skills", params={"lang": "en"}).json()
        assert _api_labelled(api["occupations"]) != _api_labelled(english["occupations"])


@pytest.mark.parametrize(
    "text",
    [
        "ICT help desk agent",  # exact
        "vendeuse",  # one form of a gendered French label
        "ict help desk agnt",  # typo
        "ict help desk",  # part of several labels: ambiguous
        "zzzz qqqq",  # nothing
    ],
)
def test_occupation_lookup_agrees_with_the_api(client, text):
    api = client.post("/api/guidance/gap", json={"target": text})
    page = client.get("/plan", params={"target": text}).text
    result = _section(page, "plan-h")
    if api.status_code == 200:
        uri = api.json()["occupation"]["uri"]
        assert f'href="/occupations/{uri.rsplit("/", 1)[-1]}"' in result
        assert 'role="alert"' not in result
    else:
        assert api.status_code in (404, 409)
        assert 'role="alert"' in result  # the page says it did not find it
        if api.status_code == 409:
            candidates = [c["label"] for c in api.json()["detail"]["candidates"]][:5]
            offered = re.findall(r'<li><a href="/plan\?[^"]*">([^<]+)</a></li>', result)
            assert offered and len(offered) == len(candidates)


def test_pathway_agrees_with_the_api(client):
    form = {"current": "shop assistant", "target": "ICT help desk agent", "language": "fr"}
    api = client.post(
        "/api/guidance/pathway",
        json={
            "profile": {"occupations": [form["current"]]},
            "target": form["target"],
            "constraints": {"languages": [form["language"]]},
        },
    )
    assert api.status_code == 200
    expected = [str(c["course_id"]) for c in api.json()["pathway"]]
    assert expected, "the seeded French courses cover part of the gap"
    page = client.get("/plan", params=form).text
    shown = re.findall(r'<li><a href="/courses/(\d+)">', _section(page, "plan-h"))
    assert shown == expected


def test_career_moves_agree_with_the_api(client):
    api = client.post("/api/guidance/transitions", json={"profile": {"occupations": ["shop assistant"]}, "k": 10})
    assert api.status_code == 200
    expected = [t["occupation_uri"].rsplit("/", 1)[-1] for t in api.json()["transitions"]]
    assert len(expected) == 10
    page = client.get("/transitions", params={"current": "shop assistant"}).text
    moves = page[page.index('data-testid="moves"') :].split("</ol>")[0]
    assert re.findall(r'<li><a href="/occupations/([0-9a-f-]{36})"', moves) == expected
