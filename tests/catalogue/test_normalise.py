"""Normalisation helpers, tested on values taken from the real listings in data/catalogue
(Class Central 2019 JSON fields, edX 2021 CSV columns) plus the European-language forms
partners use."""

from __future__ import annotations

import gzip
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emclm.catalogue.models import CERTIFICATE_TYPES
from emclm.catalogue.normalise import (
    Effort,
    clean_text,
    detect_language,
    iso_duration_weeks,
    language_code,
    language_codes,
    organisation_key,
    pace_code,
    parse_date,
    parse_duration_weeks,
    parse_effort,
    parse_price,
    slug,
    subject_code,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "catalogue"


# ---------------------------------------------------------------- clean_text


def test_clean_text_real_escaped_html_with_word_styles():
    # Class Central "description" of kadenze-digital-modeling-volume-surface-space-8401 (start)
    raw = (
        "&lt;p&gt;This course introduces three-dimensional composition of modules, basic form\n"
        "and volume principles.&lt;/p&gt;&lt;!--[if gte mso 10]&gt;\n&lt;style&gt;\n /* Style Definitions */\n"
        "table.MsoNormalTable\n\t{mso-style-name:&quot;Table Normal&quot;;\n\tmso-style-parent:&quot;&quot;;}\n"
        "&lt;/style&gt;\n&lt;![endif]--&gt;&lt;p&gt;Students will produce models.&lt;/p&gt;"
    )
    assert clean_text(raw) == (
        "This course introduces three-dimensional composition of modules, basic form and volume principles."
        "\n\nStudents will produce models."
    )


def test_clean_text_lists_breaks_and_double_escaping():
    raw = (
        "&lt;p&gt;&lt;strong&gt;Welcome to the COMPLETE Music Theory Guide!&lt;/strong&gt;&lt;br&gt;&lt;/p&gt;"
        "&lt;ul&gt;&lt;li&gt;&lt;em&gt;&quot;The Best Teacher Ever, who makes you understand the ins &amp;amp; "
        "outs&quot;&lt;/em&gt;&lt;/li&gt;&lt;li&gt;don&#039;t&lt;/li&gt;&lt;/ul&gt;"
    )
    assert clean_text(raw) == (
        'Welcome to the COMPLETE Music Theory Guide!\n\n- "The Best Teacher Ever, who makes you understand '
        "the ins & outs\"\n- don't"
    )


def test_clean_text_plain_text_keeps_paragraphs_and_entities():
    raw = "college courses &amp; lower textbook costs\n\n\n\nfor  students.\t "
    assert clean_text(raw) == "college courses & lower textbook costs\n\nfor students."
    assert clean_text("Music & Society") == "Music & Society"  # a real title, not an entity


@pytest.mark.parametrize("value", [None, "", "   ", "<p> </p>", "&lt;br&gt;", "<!-- only a comment -->"])
def test_clean_text_empty_is_none(value):
    assert clean_text(value) is None


def test_clean_text_repairs_mojibake():
    assert clean_text("UniversitÃ© de Lyon") == "Université de Lyon"


# ---------------------------------------------------------------- languages


@pytest.mark.parametrize(
    "value, code",
    [
        # Class Central details.language
        ("English", "en"), ("Spanish", "es"), ("Thai", "th"), ("Chinese", "zh"), ("Hebrew", "he"),
        ("Czech", "cs"), ("Swedish", "sv"), ("Dutch", "nl"),
        # edX CSV language column (names in their own language)
        ("Español", "es"), ("Français", "fr"), ("Italiano", "it"), ("中文", "zh"), ("Português", "pt"),
        ("日本語", "ja"), ("اللغة العربية", "ar"), ("Deutsch", "de"), ("עברית", "he"), ("हिन्दी", "hi"),
        ("Русский", "ru"), ("한국어", "ko"), ("Türkçe", "tr"), ("Indonesian", "id"),
        # names in other EU languages, codes and tags
        ("francés", "fr"), ("Französisch", "fr"), ("inglese", "en"), ("angielski", "en"), ("Engels", "en"),
        ("fr-FR", "fr"), ("pt_BR", "pt"), ("zh-Hans", "zh"), ("eng", "en"), ("fre", "fr"), ("deu", "de"),
        ("EN", "en"), ("English (US)", "en"), ("Spanish; Castilian", "es"),
    ],
)  # fmt: skip
def test_language_code(value, code):
    assert language_code(value) == code


@pytest.mark.parametrize("value", [None, "", "Klingon", "xx", "zzz", "12", "Self paced"])
def test_language_code_unknown(value):
    assert language_code(value) is None


def test_language_codes_real_edx_subtitles():
    assert language_codes("English, Español, Français, עברית, Indonesian, Italiano, 日本語, Português, Türkçe") == [
        "en", "es", "fr", "he", "id", "it", "ja", "pt", "tr",
    ]  # fmt: skip
    assert language_codes("English, 中文, 中文") == ["en", "zh"]
    assert language_codes("English and Spanish") == ["en", "es"]
    assert language_codes(["en", "fr", "Klingon"]) == ["en", "fr"]
    assert language_codes("") == []


def test_detect_language():
    assert detect_language("Ce cours présente les principes fondamentaux de la conception graphique.") == "fr"
    assert (
        detect_language("Este curso presenta los principios fundamentales del diseño gráfico y la comunicación visual.")
        == "es"
    )
    assert detect_language("Dieser Kurs vermittelt die Grundlagen der Statistik für Lehrerinnen und Lehrer.") == "de"
    assert detect_language("Design 101") is None  # too short to judge
    assert detect_language(None) is None


# ---------------------------------------------------------------- effort


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2–3 hours per week", Effort(2.5, None)),  # edX course_effort (en dash)
        ("10–30 hours per week", Effort(20.0, None)),
        ("2-3 hours/week", Effort(2.5, None)),
        ("4 hours a week", Effort(4.0, None)),  # Class Central details.effort
        ("1 hours a week", Effort(1.0, None)),
        ("3-4 hours a week", Effort(3.5, None)),
        ("6 hours worth of material", Effort(None, 6.0)),
        ("60 hours worth of material", Effort(None, 60.0)),
        ("10 hours", Effort(None, 10.0)),
        ("6 heures par semaine", Effort(6.0, None)),
        ("2 à 3 heures par semaine", Effort(2.5, None)),
        ("3 horas semanales", Effort(3.0, None)),
        ("2 Stunden pro Woche", Effort(2.0, None)),
        ("3 ore a settimana", Effort(3.0, None)),
        ("1-2 uur per week", Effort(1.5, None)),
        ("4h/semaine", Effort(4.0, None)),
        ("30 minutes per day", Effort(3.5, None)),
        ("4 semanas", Effort(None, None)),
        ("7 weeks long", Effort(None, None)),
        ("", Effort(None, None)),
        (None, Effort(None, None)),
    ],
)
def test_parse_effort(text, expected):
    assert parse_effort(text) == expected


# ---------------------------------------------------------------- duration


@pytest.mark.parametrize(
    "text, weeks",
    [
        ("7 weeks long", 7.0), ("5-6 weeks long", 5.5), ("109 weeks long", 109.0), ("1 weeks long", 1.0),
        ("6 Weeks", 6.0), ("17 Weeks", 17.0), ("6 weeks", 6.0), ("4 semanas", 4.0), ("5 semaines", 5.0),
        ("8 Wochen", 8.0), ("10 settimane", 10.0), ("3 months", 13.04), ("3 mesi", 13.04), ("10 days", 1.43),
        ("P7W", 7.0), ("P2M", 8.69), ("P14D", 2.0), ("PT10H", None), ("2 hours per week", None),
        ("Self paced", None), ("", None), (None, None),
    ],
)  # fmt: skip
def test_parse_duration_weeks(text, weeks):
    assert parse_duration_weeks(text) == weeks


def test_iso_duration_weeks():
    assert iso_duration_weeks("P1Y") == 52.18
    assert iso_duration_weeks("P1W3D") == 1.43
    assert iso_duration_weeks("PT30M") is None
    assert iso_duration_weeks("P") is None
    assert iso_duration_weeks("7 weeks") is None


# ---------------------------------------------------------------- price


def D(value: str) -> Decimal:
    return Decimal(value)


@pytest.mark.parametrize(
    "text, price, currency, free_audit, cert_type, cert_price",
    [
        # edX price column
        ("FREE-Add a Verified Certificate for $49 USD", D("0.00"), "USD", True, "verified", D("49.00")),
        ("FREE-Add a Verified Certificate for $299.70 USD", D("0.00"), "USD", True, "verified", D("299.70")),
        # Class Central details.certificate and details.cost
        ("$59 Certificate Available", None, "USD", None, "paid", D("59.00")),
        ("Paid Certificate Available", None, None, None, "paid", None),
        ("Certificate Available", None, None, None, None, None),
        ("Free Online Course (Audit)", D("0.00"), None, True, None, None),
        ("Free Online Course", D("0.00"), None, True, None, None),
        ("Paid Course", None, None, False, None, None),
        ("$394", D("394.00"), "USD", None, None, None),
        # European forms
        ("49 €", D("49.00"), "EUR", None, None, None),
        ("EUR 29,90", D("29.90"), "EUR", None, None, None),
        ("1.299,00 €", D("1299.00"), "EUR", None, None, None),
        ("£49", D("49.00"), "GBP", None, None, None),
        ("Free", D("0.00"), None, True, None, None),
        ("Gratuit", D("0.00"), None, True, None, None),
        ("Gratis", D("0.00"), None, True, None, None),
        ("Free Certificate", None, None, None, "free", D("0.00")),
        ("Kostenlos, Zertifikat 49 €", D("0.00"), "EUR", True, "paid", D("49.00")),
        ("", None, None, None, None, None),
    ],
)
def test_parse_price(text, price, currency, free_audit, cert_type, cert_price):
    result = parse_price(text)
    assert (result.price, result.currency, result.free_audit, result.certificate_type, result.certificate_price) == (
        price, currency, free_audit, cert_type, cert_price,
    )  # fmt: skip


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "text, lang, expected",
    [
        ("13th Jan, 2020", None, date(2020, 1, 13)),  # Class Central "start date" shapes
        ("1st Jul, 2019", None, date(2019, 7, 1)),
        ("22nd Apr, 2019", None, date(2019, 4, 22)),
        ("3rd Dec, 2018", None, date(2018, 12, 3)),
        ("Jan 13, 2020", None, date(2020, 1, 13)),
        ("2020-01-13", None, date(2020, 1, 13)),
        ("2020-01-13T10:00:00Z", None, date(2020, 1, 13)),
        ("2020-01-13 10:00:00+01:00", None, date(2020, 1, 13)),
        ("13/01/2020", None, date(2020, 1, 13)),
        ("05/01/2020", "fr", date(2020, 1, 5)),  # day first in Europe
        ("05/01/2020", "en_US", date(2020, 5, 1)),
        ("01/13/2020", None, date(2020, 1, 13)),  # 13 cannot be a month
        ("13.01.2020", None, date(2020, 1, 13)),
        ("13 janvier 2020", None, date(2020, 1, 13)),
        ("1er février 2021", None, date(2021, 2, 1)),
        ("13 de enero de 2020", None, date(2020, 1, 13)),
        ("13. Januar 2020", None, date(2020, 1, 13)),
        ("13 gennaio 2020", None, date(2020, 1, 13)),
        ("3 listopada 2020", "pl", date(2020, 11, 3)),
        ("January 2020", None, date(2020, 1, 1)),
        ("Self Paced", None, None),
        ("Self paced", None, None),
        ("TBA", None, None),
        ("NA", None, None),
        ("2019", None, None),
        ("31st Feb, 2020", None, None),
        ("", None, None),
    ],
)
def test_parse_date(text, lang, expected):
    assert parse_date(text, lang) == expected


# ---------------------------------------------------------------- slug, organisation, pace, subject


def test_slug():
    assert slug("Miríadax") == "miriadax"
    assert slug("France Université Numerique") == "france-universite-numerique"
    assert slug("UPV [X]") == "upv-x"
    assert slug("+Acumen") == "plus-acumen"
    assert slug("Rwaq (رواق)") == "rwaq-رواق"
    assert slug("  ") == ""


def test_organisation_key():
    assert organisation_key("The University of Michigan") == organisation_key("Univ. of Michigan")
    assert organisation_key("Universitat Politècnica de València") == organisation_key(
        "universitat politecnica de valencia"
    )
    assert organisation_key("Wageningen University & Research") == "wageningen university and research"
    assert organisation_key("Harvard University") != organisation_key("Stanford University")


def test_organisation_key_fits_the_stored_column():
    long_name = "Univ. of " + "Applied Sciences and Arts " * 20  # the key expands "Univ." and "&"
    key = organisation_key(long_name)
    assert len(key) <= 255 and key.startswith("university of applied sciences") and not key.endswith(" ")


def test_pace_code_real_values():
    assert pace_code("Self-paced on your time") == "self_paced"  # edX course_type
    assert pace_code("Instructor-led on a course schedule") == "scheduled"
    assert pace_code("Self Paced") == "self_paced"  # Class Central session
    assert pace_code("Upcoming") == "scheduled"
    assert pace_code("à votre rythme") == "self_paced"
    assert pace_code("whatever") is None


def test_subject_code():
    assert subject_code("Mathematics") == "0541"
    assert subject_code("Statistics & Probability") == "0542"
    assert subject_code("Visual Arts") == "0213"
    assert subject_code("Education & Teacher Training") == "0110"
    assert subject_code("Test Prep") is None
    assert subject_code("0613") == "0613"


# ---------------------------------------------------------------- every real value parses


def _classcentral_details():
    for path in sorted(DATA.glob("classcentral-2019-*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for record in json.load(handle).values():
                yield record["details"]


def test_every_real_classcentral_effort_duration_and_price_is_understood():
    efforts = durations = certs = 0
    for details in _classcentral_details():
        if details.get("effort"):
            effort = parse_effort(details["effort"])
            assert effort.hours_per_week or effort.total_hours, details["effort"]
            efforts += 1
        if details.get("duration"):
            assert parse_duration_weeks(details["duration"]), details["duration"]
            durations += 1
        if details.get("certificate"):
            cert = parse_price(details["certificate"])
            assert cert.certificate_type in (None, *CERTIFICATE_TYPES)
            if details["certificate"].startswith("$"):
                assert cert.certificate_price and cert.currency == "USD", details["certificate"]
            certs += 1
        cost = parse_price(details["cost"])
        assert cost.price is not None or cost.free_audit is False, details["cost"]
    assert efforts > 1400 and durations > 1800 and certs > 1400


# ---------------------------------------------------------------- robustness


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_no_parser_crashes_on_arbitrary_text(text):
    clean_text(text)
    language_code(text)
    language_codes(text)
    effort = parse_effort(text)
    assert effort.hours_per_week is None or effort.hours_per_week > 0
    weeks = parse_duration_weeks(text)
    assert weeks is None or weeks > 0
    price = parse_price(text)
    assert price.certificate_type in (None, *CERTIFICATE_TYPES)
    assert price.price is None or price.price >= 0
    parse_date(text)
    parse_date(text, "en_US")
    slug(text)
    organisation_key(text)
    pace_code(text)
    subject_code(text)


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"\d{1,4}[ -–/.,]{0,2}\d{0,4} ?(hours?|weeks?|€|\$|Jan|semanas|P\d+W)?", fullmatch=True))
def test_no_parser_crashes_on_number_like_text(text):
    parse_effort(text)
    parse_duration_weeks(text)
    parse_price(text)
    parse_date(text)
