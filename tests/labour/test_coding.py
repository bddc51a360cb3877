"""Occupation coding on the full ESCO (27 languages of occupation labels): the lexical zero-shot ranker, the
shipped supervised Polish model and the dispatch between them, and the `occupations rank` CLI."""

from __future__ import annotations

import csv
import gzip
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from emclm.cli import app
from emclm.config import get_settings
from emclm.db.session import session_scope
from emclm.labour import coding
from emclm.labour.coding import MAX_AD_CHARS, OccupationRanker, load_models, rank_lines, split_title, stems
from emclm.labour.occupation_model import ModelFileError, OccupationModel, model_path, tfidf_rows

csv.field_size_limit(2**31 - 1)


@pytest.fixture(scope="module")
def ranker(esco_db_url):
    """Lexical only (``models={}``): the zero-shot ranker every language without a model gets."""
    with session_scope(esco_db_url) as s:
        return OccupationRanker.from_session(s, ["pl", "sv", "de", "en"], models={})


@pytest.fixture(scope="module")
def shipped(esco_db_url):
    """As `emclm occupations rank` builds it: the shipped supervised models included."""
    with session_scope(esco_db_url) as s:
        return OccupationRanker.from_session(s, ["pl", "sv", "de", "en"])


@pytest.fixture(scope="module")
def real_ads():
    """Real hand-coded Polish ads from the shipped demo file (OJALAB 2021), by URL → (title, text, KZiS)."""
    path = get_settings().data_dir / "labour" / "demo" / "pl-ojalab-2021.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return {r["url"]: (r["job.title"], r["job.description"], r["kod zawodu"][:6]) for r in csv.DictReader(fh)}


def test_stems_fold_and_keep_prefixes():
    assert stems("Kierowca ciężarówki (m/k)") == ["kierowca", "~kiero", "ciezarowki", "~cieza", "^zarowki"]
    # a long word also gives its tail, the head of a compound
    assert "^hauffor" in stems("Lastbilschaufför") and "^hauffor" in stems("privatchaufför")


@pytest.mark.parametrize(
    "title,lang,isco",
    [
        ("Magazynier", "pl", "4321"),
        ("Pracownik magazynu", "pl", "9333"),
        ("Pomoc kuchenna", "pl", "9412"),
        ("Kierowca samochodu ciężarowego", "pl", "8332"),
        ("Barnmorska", "sv", "2222"),
        ("Lagerarbetare", "sv", "9333"),
        ("Lagerarbeiter (m/w/d)", "de", "9333"),
        ("Software developer", "en", "2512"),
    ],
)
def test_titles_rank_their_unit_group_first(ranker, title, lang, isco):
    top = ranker.rank(title, None, lang, k=5)
    assert top and top[0].isco == isco, [(r.label, r.isco) for r in top]
    assert top[0].score >= top[-1].score


def test_restrictions_by_unit_group_and_candidates(ranker):
    top = ranker.rank("Sprzedawca", "Obsługa klienta w sklepie", "pl", k=3, isco_prefix="5223")
    assert top and all(r.isco == "5223" for r in top)
    only = "http://data.europa.eu/esco/occupation/d7a9f9e0-e2f5-4804-a0e0-b21ebb1403ee"  # magazynier
    assert [r.uri for r in ranker.rank("Kierowca", None, "pl", k=3, candidates={only})] == [only]


def test_rank_lines_format_and_bad_lines(ranker):
    lines = [
        '{"id": 7, "text": "Magazynier\\nPraca w magazynie, obsługa wózka widłowego"}',
        "",
        "[1, 2]",
        '{"id": "x", "title": "Pomoc kuchenna", "text": "", "lang": "pl"}',
    ]
    out = list(rank_lines(ranker, lines, k=3, lang="pl"))
    assert out[0]["id"] == 7 and len(out[0]["occupations"]) == 3
    assert set(out[0]["occupations"][0]) == {"uri", "isco", "label", "score"}
    assert out[0]["occupations"][0]["isco"] == "4321"
    assert out[1]["error"] and out[1]["line"] == 3
    assert out[2]["id"] == "x" and out[2]["occupations"][0]["isco"] == "9412"


def test_split_title():
    assert split_title("Magazynier\nOpis") == ("Magazynier", "Opis")
    title, body = split_title("one two three four five six seven eight nine ten eleven twelve thirteen")
    assert title.split()[-1] == "twelve" and body.endswith("thirteen")


def test_cli_rank_reads_and_writes_json_lines(esco_db_url):
    stdin = '{"id": "a", "text": "Pomoc kuchenna\\nzmywanie naczyń"}\n{"id": "b", "text": "Magazynier"}\n'
    result = CliRunner().invoke(
        app, ["occupations", "rank", "--top", "2", "--lang", "pl", "--database-url", esco_db_url], input=stdin
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert all(len(r["occupations"]) == 2 for r in rows)
    assert rows[0]["occupations"][0]["isco"] == "9412"


# ---------------------------------------------------------------------------------------------
# supervised Polish model


def test_shipped_polish_model_loads_and_is_compact():
    path = model_path(get_settings().data_dir, "pl")
    assert path.stat().st_size < 5_000_000
    model = OccupationModel.load(path)
    assert model.lang == "pl" and len(model.classes) > 250
    assert all(len(c) == 4 and c.isdigit() for c in model.classes)
    assert model.coef.shape == (len(model.title_vocab) + len(model.body_vocab), len(model.classes))
    assert load_models()["pl"].classes == model.classes


@pytest.mark.parametrize(
    "url_part",
    [
        "programista-ka-net-lubuskie",  # 251401 programista aplikacji
        "doradca-handlowy-ds-fotowoltaiki-biskupiec",  # 332203 przedstawiciel handlowy
        "3148260-Architekt",  # 216101 architekt
        "administrator-citrix-wroclaw",  # 252201 administrator systemów komputerowych
        "pracownik-drogowy-operator-koparko-ladowarki",  # 834206 operator koparko-ładowarki
        "mechanik-utrzymania-ruchu-sroda-wielkopolska",  # 311514 technik utrzymania ruchu
    ],
)
def test_shipped_model_codes_real_polish_ads(shipped, real_ads, url_part):
    """Real ads (in the model's training data: this checks that the shipped file applies the features it was
    built with; accuracy on unseen ads is measured by benchmarks/labour_coding.py)."""
    (title, text, code) = next(v for u, v in real_ads.items() if url_part in u)
    assert shipped.method("pl") == "supervised"
    top = shipped.rank(title, text, "pl", k=3)
    assert top[0].isco == code[:4], [(r.label, r.isco, r.score) for r in top]
    assert top[0].uri in shipped.by_uri and shipped.occupations[shipped.by_uri[top[0].uri]][1] == code[:4]
    assert 0 < top[-1].score <= top[0].score <= 1


def test_runtime_features_equal_scikit_learn_tfidf(real_ads):
    """The runtime applies TF-IDF without scikit-learn; it must give the matrix the model was trained on."""
    import sklearn.feature_extraction.text as sk  # the `train` extra, which the `test` extra includes

    from emclm.labour.occupation_model import body_features

    docs = [body_features(text) for _, text, _ in list(real_ads.values())[:60]]
    vec = sk.TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True, min_df=2)
    expected = vec.fit_transform(docs)
    got = tfidf_rows(docs, vec.vocabulary_, vec.idf_)
    assert np.allclose(got.toarray(), expected.toarray())


def test_dispatch_supervised_only_for_model_languages_without_a_code(shipped, ranker):
    assert shipped.method("pl") == "supervised"
    assert shipped.method("pl", isco_prefix="5223") == "lexical"
    assert shipped.method("pl", candidates={"x"}) == "lexical"
    assert shipped.method("sv") == shipped.method("de") == shipped.method("en") == "lexical"
    # a language without a model gets exactly the zero-shot ranker's answer
    for title, lang in [("Lagerarbetare", "sv"), ("Lagerarbeiter (m/w/d)", "de"), ("Software developer", "en")]:
        assert [r.as_dict() for r in shipped.rank(title, None, lang)] == [
            r.as_dict() for r in ranker.rank(title, None, lang)
        ]
    # a code restricts Polish ads to the lexical ranker inside the unit group
    top = shipped.rank("Sprzedawca", "Obsługa klienta w sklepie", "pl", k=3, isco_prefix="5223")
    assert top and all(r.isco == "5223" for r in top)


@pytest.mark.parametrize("title", ["sędzia", "synoptyk", "tancerz / tancerka"])
def test_unit_group_the_model_lacks_comes_from_the_lexical_ranker(shipped, title):
    """No training ad has these unit groups (judges 2612, meteorologists 2112, dancers 2653): the ESCO label
    match still puts them first."""
    model = shipped.models["pl"]
    top = shipped.rank(title, None, "pl", k=3)
    assert top[0].isco not in model.classes, top[0]
    lexical_first = shipped._lexical(title, None, "pl", k=0)[0][1]
    assert top[0].isco == shipped.occupations[lexical_first][1]


def test_without_lexical_weight_a_missing_unit_group_cannot_win(shipped, monkeypatch):
    monkeypatch.setattr(coding, "LEXICAL_WEIGHT", 0.0)
    top = shipped.rank("sędzia", None, "pl", k=3)
    assert all(r.isco in shipped.models["pl"].classes for r in top)


def test_rank_lines_output_format_with_the_shipped_model(shipped):
    lines = [
        '{"id": 7, "text": "Magazynier\\nPraca w magazynie, obsługa wózka widłowego"}',
        '{"id": "x", "title": "Pomoc kuchenna", "text": "", "lang": "pl"}',
    ]
    out = list(rank_lines(shipped, lines, k=4, lang="pl"))
    for row in out:
        assert list(row) == ["id", "occupations"] and len(row["occupations"]) == 4
        assert all(list(o) == ["uri", "isco", "label", "score"] for o in row["occupations"])
        scores = [o["score"] for o in row["occupations"]]
        assert scores == sorted(scores, reverse=True) and all(0 <= x <= 1 for x in scores)
    assert out[0]["id"] == 7 and out[0]["occupations"][0]["isco"] == "4321"
    assert out[1]["occupations"][0]["isco"] == "9412" and out[1]["occupations"][0]["label"]


def test_rank_lines_bad_input_names_record_and_field(shipped):
    huge = json.dumps({"id": "big", "text": "Magazynier\n" + "praca " * (MAX_AD_CHARS // 6 + 10)})
    lines = [
        '{"id": "e1", "text": ""}',
        '{"id": "e2", "title": " ", "text": "  ... "}',
        huge,
        '{"id": 3, "text": 5}',
        '{"id": "ok", "text": "Pomoc kuchenna"}',
    ]
    out = list(rank_lines(shipped, lines, lang="pl"))
    assert [r["id"] for r in out] == ["e1", "e2", "big", None, "ok"]
    assert "'e1'" in out[0]["error"] and "'text'" in out[0]["error"] and out[0]["line"] == 1
    assert "'e2'" in out[1]["error"] and "empty" in out[1]["error"]
    assert "'big'" in out[2]["error"] and "'text'" in out[2]["error"] and "too long" in out[2]["error"]
    assert out[3]["line"] == 4 and "text" in out[3]["error"]
    assert out[4]["occupations"][0]["isco"] == "9412"


def test_broken_model_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "occupation-model-pl.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="occupation-model-pl.npz"):
        OccupationModel.load(bad)
