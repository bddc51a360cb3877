"""The static encoder built from e5 (``emclm.skills.static``, ``build_static``) and the extractor
running on it (the default ``Settings.skills_encoder``)."""

from __future__ import annotations

import numpy as np
import pytest

from emclm.config import get_settings
from emclm.skills.build_static import piece_counts, piece_texts, static_vectors
from emclm.skills.static import StaticEncoder, load_tokenizer

from .conftest import SKILLS


@pytest.fixture(scope="module")
def static():
    return StaticEncoder(get_settings().data_dir)


def test_the_shipped_static_encoder_gives_unit_vectors(static):
    vecs = static.encode(["Experience with SQL databases", "Znajomość języka angielskiego", ""])
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs[:2], axis=1), 1.0, atol=1e-5)
    assert not vecs[2].any()  # nothing to embed: a zero vector, not NaN


def test_related_texts_are_closer_than_unrelated_ones(static):
    a, b, c = static.encode(["maintain the company accounts", "bookkeeping and accounting", "bake bread and pastries"])
    assert a @ b > a @ c + 0.1


def test_static_encoder_is_cross_lingual(static):
    en, fr, es, pl, other = static.encode(
        ["data analysis", "analyse de données", "análisis de datos", "analiza danych", "beekeeping"]
    )
    for v in (fr, es, pl):
        assert en @ v > en @ other


def test_large_batches_equal_small_ones(static):
    texts = [f"skill number {i} in project management" for i in range(5000)]
    big = static.encode(texts)
    small = np.vstack([static.encode(texts[i : i + 7]) for i in range(0, 35, 7)])
    assert np.allclose(big[:35], small, atol=1e-6)


def test_tokenizer_is_the_xlmr_one():
    tok = load_tokenizer()
    assert tok.get_vocab_size() == 250002
    assert tok.encode("data", add_special_tokens=False).tokens == ["▁data"]
    assert piece_texts(tok, np.array(tok.encode("data", add_special_tokens=False).ids)) == ["data"]


def test_piece_counts_are_document_frequencies():
    tok = load_tokenizer()
    counts = piece_counts(tok, ["data data data", "data analysis", "bread"])
    assert counts[tok.token_to_id("▁data")] == 2
    assert counts[tok.token_to_id("▁bread")] == 1


def test_static_vectors_are_centred_and_frequent_pieces_weigh_less():
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(4, 8)).astype(np.float32) + 5.0  # a large shared component, as in e5
    vec = static_vectors(raw, np.array([1000, 10, 10, 10]), a=1e-3)
    centred = raw - raw.mean(axis=0)
    assert np.allclose(vec[1:] / centred[1:], vec[1, 0] / centred[1, 0], rtol=1e-4)  # same weight for equal frequency
    assert np.linalg.norm(vec[0]) / np.linalg.norm(centred[0]) < 0.1 * np.linalg.norm(vec[1]) / np.linalg.norm(
        centred[1]
    )


def test_the_default_extractor_is_auto_static_for_labelled_languages_e5_for_the_others(extractor):
    assert get_settings().skills_encoder == "auto"
    assert extractor.mode == "auto" and extractor.version == "esco-fused-auto-3"
    sentence = "Experience with SQL databases is required."
    description = "Roman Architecture\n" + "This course explores the temples and aqueducts of ancient Rome. " * 8
    assert extractor.is_static("en", sentence) and extractor.is_static("fr", "Comptabilité et paie.")
    assert extractor.is_static("en", description)
    assert not extractor.is_static("de", "Kenntnisse in der Buchhaltung.")
    # both routes in one batch, each with its own result
    short, long_, german = extractor.rank_batch(
        [sentence, description, "Sie haben Kenntnisse in der Buchhaltung."], langs=["en", "en", "de"], k=10
    )
    assert "SQL" in [m.label for m in short]
    assert any("architect" in m.label for m in long_[:5])
    # ESCO's German skill labels ship now (v1.2.0): a German text's skills are named in German
    assert any(w in m.label.lower() for m in german[:5] for w in ("buchführung", "buchhaltung", "rechnungslegung"))


def test_a_long_text_in_auto_mode_also_reads_its_title_through_e5(extractor):
    """Static vectors of short syllabus lines match labels that share a word piece; e5's reading of
    the title (the lead) pulls the course's topic up. Without it, auto is static mode."""
    from emclm.skills.extractor import SkillExtractor

    text = (
        "Roman Architecture\nRoman Architecture is a course for people who love to travel and want to "
        "discover the power of architecture to shape politics, society, and culture.\nSyllabus\n"
        + "\n".join(f"-Houses and Villas at Pompeii, part {i}: temples, baths and aqueducts." for i in range(8))
    )
    assert extractor._uses_lead("en", text)
    static = SkillExtractor(extractor.index, mode="static")
    assert not static._uses_lead("en", text) and not static._uses_lead("en", "Roman Architecture")
    with_lead = [m.label for m in extractor.rank(text, lang="en", k=10)]
    without = [m.label for m in static.rank(text, lang="en", k=10)]
    assert with_lead != without
    arch = lambda labels: sum("architect" in x for x in labels[:5])  # noqa: E731
    assert arch(with_lead) > arch(without)


def test_auto_adds_e5_on_a_short_text_whole_and_static_mode_does_not(extractor):
    """Decision 0016: in "auto" a short en/fr/es text also goes through e5 whole (weight
    ``whole_e5``); with that weight at 0 "auto" ranks exactly like "static" mode, so the difference
    is the e5 term alone, and it moves the ranking."""
    from dataclasses import replace

    from emclm.skills.extractor import SkillExtractor

    static = SkillExtractor(extractor.index, mode="static")
    text = "You will write Python scripts and manage the project budgets."
    assert static.version == "esco-fused-static-1"
    assert static.is_static("de", "Kenntnisse in der Buchhaltung.") and static.is_static("en", "word " * 200)
    assert extractor.weights.whole_e5 > 0 and extractor._uses_lead("en", text)
    assert not static._uses_lead("en", text)
    no_e5 = SkillExtractor(extractor.index, mode="auto", weights=replace(extractor.weights, whole_e5=0.0))
    assert not no_e5._uses_lead("en", text)
    static_uris = [m.uri for m in static.rank(text, lang="en")]
    assert [m.uri for m in no_e5.rank(text, lang="en")] == static_uris
    auto = extractor.rank(text, lang="en")
    assert [m.uri for m in auto] != static_uris
    assert SKILLS["python"][0] in [m.uri for m in auto[:5]]


@pytest.mark.parametrize(
    "lang,text,expected",
    [
        ("en", "You will write Python scripts and manage the project budgets.", SKILLS["python"][0]),
        ("es", "Buscamos personas con capacidad de trabajar en equipo.", SKILLS["teams"][0]),
        ("pl", "Umiejętność programowania w języku Java jest wymagana.", SKILLS["java"][0]),
    ],
)
def test_the_e5_encoder_still_finds_the_skill(extractor, lang, text, expected):
    """The transformer path stays available (Settings.skills_encoder = "e5")."""
    from emclm.skills.extractor import SkillExtractor, make_encoder

    precise = SkillExtractor(extractor.index, encoder=make_encoder("e5"))
    assert precise.version == "esco-fused-1"
    assert expected in [m.uri for m in precise.rank(text, lang=lang, k=10)]


def test_static_label_vectors_are_cached_next_to_the_index(tiny_esco, tmp_path):
    """A new process reads the static label vectors from var/cache instead of encoding every label
    again (start-up); the cached matrix is the one a fresh encoding gives, and a stale file of
    another shape is recomputed, not used."""
    from emclm.skills.extractor import SkillExtractor

    url, _ = tiny_esco
    first = SkillExtractor.from_database(url, cache_dir=tmp_path / "cache", mode="auto")
    fresh = first._label_matrix(True)
    files = list((tmp_path / "cache").glob("*/static-labels-*.npy"))
    assert len(fresh) > 1 and not np.array_equal(fresh, fresh[::-1])
    assert len(files) == 1 and np.array_equal(np.load(files[0]), fresh)
    np.save(files[0], np.ones((3, 384), np.float32))  # stale: wrong shape
    second = SkillExtractor.from_database(url, cache_dir=tmp_path / "cache", mode="auto")
    assert second.index is not first.index
    assert np.array_equal(second._label_matrix(True), fresh)
    assert np.array_equal(np.load(files[0]), fresh)  # rewritten
    np.save(files[0], fresh[::-1].copy())  # a file of the right shape is trusted: proves it is read
    third = SkillExtractor.from_database(url, cache_dir=tmp_path / "cache", mode="auto")
    assert np.array_equal(third._label_matrix(True), fresh[::-1])
