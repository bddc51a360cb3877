"""How benchmarks/search_judgements.jsonl was made (kept so the grades can be audited and remade).

Each judged query has hand-written patterns over the folded (lower-case, accent-free) title and
description of the demo listings, in every language a relevant course may be written in:

- grade 3: the title names the topic (``t3``)
- grade 2: the title names a closely related topic (``t2``), or the description names the topic
  at least twice (``d2``)
- grade 1: the description names the topic once
- anything else: 0 (not listed)

The rules were written by reading the listings; the output was spot-checked and kept as explicit
URL → grade lists, so the judgements do not change when the rules or the catalogue import change.

    PYTHONPATH=src python benchmarks/search_judge_rules.py > benchmarks/search_judgements.jsonl
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from emclm.taxonomy.text import fold  # noqa: E402
from search_corpus import iter_records  # noqa: E402

DATA_ANALYST = "http://data.europa.eu/esco/occupation/d3edb8f8-3a06-47a0-8fb9-9b212c006aa2"
STAT = r"\b(statisti\w*|estadistic\w*|statistik\w*|statistiqu\w*)"
DATA_AN = r"\b(data analy\w*|analy\w* (of )?data|analisis de datos|analyse de(s)? donnees|analisi (dei )?dati|datenanalyse|data science|ciencia de datos|analitica de datos|data analytics)"
PYTHON = r"\bpython\b"
DRAW = r"\b(drawing|draw|dibujo|dibujar|disegno|disegnare|dessin|dessiner|zeichnen|sketch\w*)\b"
PHOTO = r"\b(photograph\w*|fotograf\w*|photographi\w*)"
ML = r"\b(machine learning|aprendizaje automatico|apprentissage automatique|apprendimento automatico|maschinelles lernen|deep learning)"
GRAPHIC = r"\b(graphic design\w*|diseno grafico|design graphique|graphisme|grafica|graphic designer)"
MATH_TEACH = r"\b(teach\w* (of )?math\w*|math\w* (education|teach\w*|for teachers|in the classroom)|ensenanza de las matematicas|didactica de las matematicas|enseignement des mathematiques|didattica della matematica|insegnamento della matematica|matematicas para docentes)"
PROG = r"\b(programming|programacion|programmation|programmazione|programmieren|coding|python|java\b|javascript)"
CALC = r"\b(calculus|calculo|calcul differentiel|calcolo|analisi matematica|derivatives|integrals?)\b"
LINALG = r"\b(linear algebra|algebra lineal|algebre lineaire|algebra lineare|lineare algebra|matri(x|ces))"
MUSIC_TH = r"\b(music theory|teoria musical|theorie musicale|teoria musicale|harmony|armonia)\b"
ONLINE_TEACH = r"\b(online teaching|teaching online|e-?learning|blended learning|ensenanza en linea|docencia en linea|enseignement en ligne|didattica online|online learning|mooc design|design (a|your) mooc|monter un mooc)"
PROB = r"\b(probabilit\w*|probabilidad\w*|wahrscheinlichkeit\w*)"
MATH = r"\b(math\w*|matematic\w*|mathemati\w*)"
TEACHER = r"\b(teacher\w*|teaching|docente\w*|profesor\w*|enseignant\w*|insegnant\w*|lehrer\w*|educator\w*|formador\w*|pedagog\w*)"
SQLDB = r"\b(sql|databases?|bases? de datos)\b"

Q = [
    # (query, lang, t3, t2, d)  d: description pattern for grades 2/1 (default t3)
    ("statistics", "en", STAT, PROB, None),
    ("learn python programming", "en", PYTHON, r"\b(programming|coding)\b", PYTHON),
    ("drawing for beginners", "en", DRAW, r"\b(illustration|sketchbook|painting)\b", DRAW),
    ("music theory", "en", MUSIC_TH, r"\b(music|musica|musique)\b", MUSIC_TH),
    ("photography", "en", PHOTO, r"\b(camera|image editing)\b", PHOTO),
    ("calculus", "en", CALC, r"\b(precalculus|functions|analysis)\b", CALC),
    ("machine learning", "en", ML, r"\b(artificial intelligence|inteligencia artificial|data science|ai)\b", ML),
    ("teaching mathematics", "en", MATH_TEACH, MATH, MATH_TEACH),
    (
        "online teaching",
        "en",
        ONLINE_TEACH,
        r"\b(online|en linea|en ligne|digital)\b.*\b(teach\w*|learning|ensenanza|education)",
        ONLINE_TEACH,
    ),
    (
        "courses to become a data analyst",
        "en",
        DATA_AN + "|" + STAT,
        SQLDB + r"|\b(big data|excel|visuali[sz]\w*|analytics)\b",
        DATA_AN,
    ),
    ("graphic design", "en", GRAPHIC, r"\b(typograph\w*|logo|illustrator|photoshop|visual design|branding)\b", GRAPHIC),
    ("linear algebra", "en", LINALG, r"\b(algebra|algebre)\b", LINALG),
    ("analyse de données", "fr", DATA_AN, STAT, DATA_AN),
    ("statistique", "fr", STAT, PROB, None),
    ("dessin", "fr", DRAW, r"\b(illustration|peinture|painting|pittura|pintura)\b", DRAW),
    ("enseignement des mathématiques", "fr", MATH_TEACH, MATH, MATH_TEACH),
    ("programmation python", "fr", PYTHON, r"\b(programming|programmation|programacion)\b", PYTHON),
    ("photographie", "fr", PHOTO, r"\b(camera|camara)\b", PHOTO),
    ("probabilités", "fr", PROB, STAT, PROB),
    (
        "apprentissage automatique",
        "fr",
        ML,
        r"\b(artificial intelligence|intelligence artificielle|data science)\b",
        ML,
    ),
    ("estadística", "es", STAT, PROB, None),
    ("dibujo", "es", DRAW, r"\b(illustration|ilustracion|pintura|painting)\b", DRAW),
    ("análisis de datos", "es", DATA_AN, STAT, DATA_AN),
    (
        "aprendizaje automático",
        "es",
        ML,
        r"\b(artificial intelligence|inteligencia artificial|data science|ciencia de datos)\b",
        ML,
    ),
    ("diseño gráfico", "es", GRAPHIC, r"\b(typograph\w*|tipografia|logo|illustrator|photoshop)\b", GRAPHIC),
    ("matemáticas para docentes", "es", MATH_TEACH, MATH + r".*" + TEACHER + "|" + TEACHER + r".*" + MATH, MATH_TEACH),
    ("fotografía", "es", PHOTO, r"\b(camera|camara)\b", PHOTO),
    (
        "cursos para ser analista de datos",
        "es",
        DATA_AN + "|" + STAT,
        SQLDB + r"|\b(big data|excel|visuali[sz]\w*|analytics)\b",
        DATA_AN,
    ),
    ("programación", "es", PROG, r"\b(algorithm\w*|algoritm\w*|software)\b", PROG),
    ("Datenanalyse", "de", DATA_AN, STAT, DATA_AN),
    ("Statistik", "de", STAT, PROB, None),
    ("Zeichnen", "de", DRAW, r"\b(illustration|painting|pintura)\b", DRAW),
    ("Programmieren lernen", "de", PROG, r"\b(algorithm\w*|software)\b", PROG),
    ("Fotografie", "de", PHOTO, r"\b(camera|kamera)\b", PHOTO),
    ("Mathematik für Lehrer", "de", MATH_TEACH, MATH + r".*" + TEACHER + "|" + TEACHER + r".*" + MATH, MATH_TEACH),
    ("statistica", "it", STAT, PROB, None),
    ("disegno", "it", DRAW, r"\b(illustration|illustrazione|pittura|painting)\b", DRAW),
    ("analisi dei dati", "it", DATA_AN, STAT, DATA_AN),
    ("programmazione", "it", PROG, r"\b(algorithm\w*|algoritm\w*|software)\b", PROG),
    ("fotografia", "it", PHOTO, r"\b(camera|fotocamera)\b", PHOTO),
    (
        "insegnamento della matematica",
        "it",
        MATH_TEACH,
        MATH + r".*" + TEACHER + "|" + TEACHER + r".*" + MATH,
        MATH_TEACH,
    ),
    (DATA_ANALYST, None, DATA_AN + "|" + STAT, SQLDB + r"|\b(big data|excel|visuali[sz]\w*|analytics)\b", DATA_AN),
]


def grade(rec: dict, t3: str, t2: str, d: str | None) -> int:
    title = fold(rec["title"])
    desc = fold(rec["description"] or "")[:4000]
    d = d or t3
    if re.search(t3, title):
        return 3
    n = len(re.findall(d, desc))
    if re.search(t2, title) or n >= 2:
        return 2
    return 1 if n == 1 else 0


def main() -> None:
    recs = {}
    for r in iter_records():
        if r["url"] and r["url"] not in recs:
            recs[r["url"]] = r
    for q, lang, t3, t2, d in Q:
        rel = {}
        for url, r in recs.items():
            g = grade(r, t3, t2, d)
            if g:
                rel[url] = g
        kind = (
            "occupation"
            if (q.startswith("http") or "analista" in q or "analyst" in q)
            else (
                "cross-lingual"
                if q
                in (
                    "analyse de données",
                    "Datenanalyse",
                    "analisi dei dati",
                    "apprentissage automatique",
                    "aprendizaje automático",
                    "Zeichnen",
                    "Statistik",
                    "Fotografie",
                )
                else "monolingual"
            )
        )
        print(json.dumps({"query": q, "lang": lang, "kind": kind, "relevant": rel}, ensure_ascii=False))


if __name__ == "__main__":
    main()
