"""The third-check benchmark's gold rule (benchmarks/skills_check3.py): BIO spans, folding, scoring."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "skills_check3.py"


@pytest.fixture(scope="module")
def check3():
    spec = importlib.util.spec_from_file_location("skills_check3", PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bio_spans(check3):
    toks = ["Experience", "with", "project", "management", "and", "SQL", ".", "Teamwork"]
    tags = ["O", "O", "B", "I", "O", "B", "O", "I"]  # an I without a B starts nothing
    assert check3._spans(toks, tags) == ["project management", "SQL"]
    assert check3._spans(["a", "b"], ["B", "B"]) == ["a", "b"]


def test_fold_rule_matches_labels_not_near_misses(check3):
    assert check3._norm("  Gestión de  Proyectos. ") == "gestion de proyectos"
    assert check3._norm("SQL,") == "sql"
    assert check3._norm("SQL databases") != check3._norm("SQL")


def test_green_reader_keeps_only_skill_spans(check3, tmp_path):
    csv = tmp_path / "g.csv"
    csv.write_text(
        "sentence_id,word,pos,tag\n1,Manage,VB,B-Skill\n1,budgets,NNS,I-Skill\n1,in,IN,O\n1,London,NNP,B-Domain\n"
        "2,Nothing,NN,O\n",
        encoding="utf-8",
    )
    assert check3.load_green(csv) == [("Manage budgets in London", ["Manage budgets"])]


def test_score_is_rp_at_k_over_uris(check3):
    r = check3.score([["a", "x", "b"], ["y"]], [{"a", "b"}, {"z"}], ks=(1, 3))
    assert r["RP@1"] == 50.0  # (1/1 + 0/1) / 2
    assert r["RP@3"] == 50.0  # (2/2 + 0/1) / 2
    assert r["MRR"] == 50.0 and r["n"] == 2
