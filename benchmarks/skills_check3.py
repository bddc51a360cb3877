"""Third, independent quality check: English job-ad sentences whose gold skills come from a fixed rule.

    PYTHONPATH=src python benchmarks/skills_check3.py --encoder auto|static|e5 [--limit N] [--json out.json]

Why: the Decorte HOUSE/TECH validation splits have been used for many choices and no longer
predict held-out results (docs/benchmarks/skills.md, "Protocol"). This set was used for no choice
before the protocol was frozen, and under the protocol it is only *reported*, once per method.

Sources (both in /work/shared/data/skills-gold, licences in their folders):
- ``skillspan/data/json/train.json`` (MIT; Zhang et al. 2022): the TRAIN split only, so no
  sentence is shared with Decorte's validation (SkillSpan dev) or test sets; rows ``source`` house
  and tech are reported separately. Spans: ``tags_skill`` and ``tags_knowledge`` (BIO).
- ``green/preprocessed_data/df_testset.csv`` (CC BY 4.0; Green et al. 2022): ``Skill`` spans.

Gold rule (documented, no judgement): a span whose text, folded (lower case, accents stripped,
whitespace collapsed, a trailing "." or "," dropped), equals the folded text of an English ESCO
preferred or alternative label of a skill gives that skill (all such skills if the text is
ambiguous). Sentences with no such span are skipped. Metric as ``skills_eval.py``: RP@K over
URIs, MRR over the top 100.

Bias to keep in mind when reading it: the gold span is a label written verbatim in the sentence,
so the label matcher finds many of them by construction; this set rewards exact label matches
more than Decorte's (whose gold is an annotator's reading of the whole sentence). It is a check
that a change does not break what already works, not a measure of semantic skill.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

GOLD = Path("/work/shared/data/skills-gold")
if not GOLD.exists():
    GOLD = Path(__file__).resolve().parents[2] / "shared" / "data" / "skills-gold"


def _norm(text: str) -> str:
    from emclm.skills.text import fold

    return " ".join(fold(text).split()).strip(" .,;:")


def _spans(tokens: list[str], tags: list[str]) -> list[str]:
    out, cur = [], []
    for tok, tag in zip(tokens, tags, strict=True):
        if tag.startswith("B"):
            if cur:
                out.append(" ".join(cur))
            cur = [tok]
        elif tag.startswith("I") and cur:
            cur.append(tok)
        else:
            if cur:
                out.append(" ".join(cur))
            cur = []
    if cur:
        out.append(" ".join(cur))
    return out


def load_skillspan(path: Path) -> dict[str, list[tuple[str, list[str]]]]:
    by_source: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            toks = rec["tokens"]
            spans = _spans(toks, rec["tags_skill"]) + _spans(toks, rec["tags_knowledge"])
            if spans:
                by_source[rec.get("source") or "?"].append((" ".join(toks), spans))
    return by_source


def load_green(path: Path) -> list[tuple[str, list[str]]]:
    sents: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with open(path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            sents[row["sentence_id"]].append((row["word"], row["tag"]))
    out = []
    for rows in sents.values():
        toks = [w for w, _ in rows]
        tags = [t if t.endswith("-Skill") else "O" for _, t in rows]
        spans = _spans(toks, tags)
        if spans:
            out.append((" ".join(toks), spans))
    return out


def label_index(database: str | None) -> dict[str, set[str]]:
    from emclm.skills.taxonomy import SkillTaxonomy

    tax = SkillTaxonomy.from_database(database)
    idx: dict[str, set[str]] = defaultdict(set)
    for i, lang, kind, text in tax.labels:
        if lang == "en" and kind in ("preferred", "alternative"):
            idx[_norm(text)].add(tax.uris[i])
    return idx


def build_sets(database: str | None, limit: int, seed: int = 15) -> dict[str, list[tuple[str, set[str]]]]:
    labels = label_index(database)
    raw = {f"skillspan-train-{k}": v for k, v in load_skillspan(GOLD / "skillspan/data/json/train.json").items()}
    raw["green-test"] = load_green(GOLD / "green/preprocessed_data/df_testset.csv")
    sets = {}
    for name, rows in sorted(raw.items()):
        items, seen = [], set()
        for sent, spans in rows:
            gold = set().union(*(labels.get(_norm(s), set()) for s in spans))
            if gold and sent not in seen:
                seen.add(sent)
                items.append((sent, gold))
        random.Random(seed).shuffle(items)  # a fixed sample, not the first ads only
        sets[name] = items[:limit] if limit else items
    return sets


def score(ranked: list[list[str]], gold: list[set[str]], ks=(5, 10)) -> dict[str, float]:
    rp = dict.fromkeys(ks, 0.0)
    mrr = 0.0
    for pred, g in zip(ranked, gold, strict=True):
        for k in ks:
            rp[k] += len(g & set(pred[:k])) / min(k, len(g))
        for r, x in enumerate(pred, 1):
            if x in g:
                mrr += 1.0 / r
                break
    n = max(len(gold), 1)
    return {**{f"RP@{k}": round(100 * v / n, 1) for k, v in rp.items()}, "MRR": round(100 * mrr / n, 1), "n": len(gold)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", default=None)
    ap.add_argument("--encoder", choices=("auto", "static", "e5"), default=None)
    ap.add_argument("--limit", type=int, default=0, help="sentences per set (fixed random sample; 0 = all)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--stats", action="store_true", help="only print the set sizes")
    args = ap.parse_args(argv)
    sets = build_sets(args.database, args.limit)
    if args.stats:
        for name, items in sets.items():
            print(name, len(items), sum(len(g) for _, g in items) / max(len(items), 1))
        return 0
    from emclm.skills.extractor import SkillExtractor

    ex = SkillExtractor.from_database(args.database, mode=args.encoder)
    print(f"encoder mode {ex.mode} (tagger {ex.version})", file=sys.stderr)
    results = {}
    print("| set | n | RP@5 | RP@10 | MRR | s |")
    print("|---|---|---|---|---|---|")
    for name, items in sets.items():
        t = time.time()
        texts = [s for s, _ in items]
        ranked = []
        for s in range(0, len(texts), 64):
            ranked += [[m.uri for m in ms] for ms in ex.rank_batch(texts[s : s + 64], lang="en", k=100)]
        r = score(ranked, [g for _, g in items])
        r["seconds"] = round(time.time() - t, 1)
        results[name] = r
        print(f"| {name} | {r['n']} | {r['RP@5']} | {r['RP@10']} | {r['MRR']} | {r['seconds']} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"mode": ex.mode, "version": ex.version, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
