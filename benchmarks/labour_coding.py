"""Occupation coding accuracy on hand-coded Polish ads (OJALAB 2021), codes held out, by the frozen protocol.

Protocol (docs/benchmarks/labour.md): ads grouped against duplicates; a hashed ~20 % test split never
used for choices; 5-fold GroupKFold on the rest. Each ad goes through exactly what
`emclm occupations rank` does (``rank_lines``: one JSON line ``{"id", "text"}``, title as first line),
with no code and no crosswalk; the distinct ISCO-08 codes of the returned occupations, best first, are
compared with the hand-assigned KZiS code's first 4 digits (unit group) and first 2 (sub-major group).

Modes (all need scikit-learn, the ``train`` extra, except ``speed`` and ``swedish``):

- ``cv``     5-fold grouped CV on the development part: a model per fold trained on the other 4 folds,
             for each ``--lexical-weight``; the lexical zero-shot ranker on the same folds for reference;
- ``test``   the frozen test split, once: model trained on the whole development part;
- ``speed``  load time of the shipped model and ads/s through ``rank_lines`` with it;
- ``swedish`` the zero-shot ranker on the Swedish JobTech ads that carry an SSYK 2012 code (major group
             agreement only: SSYK 2012 shares ISCO-08's major groups, not its unit-group codes).

    PYTHONPATH=src python benchmarks/labour_coding.py cv|test|speed|swedish [--db sqlite:///var/emclm.sqlite3] \\
        [--extra /path/ojalab-pl/data/hand-coded-1k.csv] [--lexical-weight 0 0.1 0.2] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import numpy as np  # noqa: E402

from emclm.labour import coding  # noqa: E402
from emclm.labour.build_occupation_model import Ad, fit, folds, read_ads, split  # noqa: E402
from emclm.labour.occupation_model import softmax  # noqa: E402


def evaluate(ranker, ads: list[Ad], lang: str | None = "pl") -> dict:
    c: Counter = Counter()
    gold = {a.id: a.isco4 for a in ads}
    lines = [json.dumps(a.line(), ensure_ascii=False) for a in ads]
    t0 = time.perf_counter()
    for out in coding.rank_lines(ranker, lines, k=5, lang=lang):
        g = gold[out["id"]]
        iscos = list(dict.fromkeys(o["isco"] or "" for o in out.get("occupations", [])))
        two = list(dict.fromkeys(i[:2] for i in iscos))
        c["n"] += 1
        c["isco4_top1"] += iscos[:1] == [g]
        c["isco4_top3"] += g in iscos[:3]
        c["isco4_top5"] += g in iscos[:5]
        c["isco2_top1"] += two[:1] == [g[:2]]
        c["isco2_top3"] += g[:2] in two[:3]
    dt = time.perf_counter() - t0
    res = {k: v for k, v in c.items()}
    res["ads_per_s"] = round(c["n"] / dt, 1) if dt else None
    return res


def _title_body(ad: Ad) -> tuple[str, str]:
    """Title and body as `rank_lines` splits the ad's input line."""
    return coding.split_title(ad.line()["text"])


def _score(ranked: list, ads: list[Ad]) -> dict:
    c: Counter = Counter()
    for top, a in zip(ranked, ads):
        iscos = list(dict.fromkeys(r.isco or "" for r in top))
        two = list(dict.fromkeys(i[:2] for i in iscos))
        c["n"] += 1
        c["isco4_top1"] += iscos[:1] == [a.isco4]
        c["isco4_top3"] += a.isco4 in iscos[:3]
        c["isco4_top5"] += a.isco4 in iscos[:5]
        c["isco2_top1"] += two[:1] == [a.isco4[:2]]
        c["isco2_top3"] += a.isco4[:2] in two[:3]
    return dict(c)


def _summary(counts: list[dict]) -> dict:
    n = sum(r["n"] for r in counts)
    out = {k: round(sum(r[k] for r in counts) / n, 3) for k in counts[0] if k.startswith("isco")}
    return out | {"n": n}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["cv", "test", "speed", "swedish"])
    ap.add_argument("--db", default=f"sqlite:///{REPO / 'var' / 'emclm.sqlite3'}")
    ap.add_argument("--data", default=str(REPO / "data" / "labour" / "demo" / "pl-ojalab-2021.csv.gz"))
    ap.add_argument("--extra", default=None, help="OJALAB data/hand-coded-1k.csv (title+text in one field)")
    ap.add_argument("--lexical-weight", type=float, nargs="+", default=[coding.LEXICAL_WEIGHT])
    ap.add_argument("--no-lexical-reference", action="store_true")
    ap.add_argument("--limit", type=int, default=None, help="speed: ads to rank")
    ap.add_argument("--se-dir", default="/work/shared/data/labour/jobtech-se", help="swedish: JobTech fixtures")
    args = ap.parse_args()
    from emclm.db.session import session_scope

    with session_scope(args.db) as s:
        ranker = coding.OccupationRanker.from_session(s, models={})
    if args.mode == "swedish":
        print(json.dumps(swedish(ranker, Path(args.se_dir)), indent=2))
        return
    ads = read_ads(Path(args.data)) + (read_ads(Path(args.extra)) if args.extra else [])
    dev, test, g = split(ads)
    results: dict = {"ads": len(ads), "development": len(dev), "frozen_test": len(test)}
    if args.mode == "speed":
        from emclm.config import get_settings
        from emclm.labour.occupation_model import OccupationModel, model_path

        path = model_path(get_settings().data_dir, "pl")
        t0 = time.perf_counter()
        model = OccupationModel.load(path)
        results["model_file_mb"] = round(path.stat().st_size / 1e6, 2)
        results["model_load_s"] = round(time.perf_counter() - t0, 3)
        ranker.models = {"pl": model}
        sample = ads[: args.limit or 1000]
        results["supervised"] = evaluate(ranker, sample) | {"note": "shipped model, trained on these ads"}
        ranker.models = {}
        results["lexical"] = evaluate(ranker, sample)
    elif args.mode == "cv":
        per_w: dict[float, list[dict]] = {w: [] for w in args.lexical_weight}
        lexical: list[dict] = []
        temps = (0.05, 0.1, 0.15, 0.2, 0.3, 0.5)
        nll = dict.fromkeys(temps, 0.0)
        n_seen = 0
        for fold_no, (tr, te) in enumerate(folds(dev, g)):
            t0 = time.perf_counter()
            model = fit([ads[i] for i in tr])
            ranker.models = {"pl": model}
            held = [ads[i] for i in te]
            z = model.decision([a.title for a in held], [a.text for a in held])
            col = {c: j for j, c in enumerate(model.classes)}
            seen = [(r, col[a.isco4]) for r, a in enumerate(held) if a.isco4 in col]
            n_seen += len(seen)
            for t in temps:  # softmax temperature: log loss of the true unit group (ads whose group was trained)
                p = softmax(z, t)
                nll[t] -= sum(np.log(max(p[r, j], 1e-6)) for r, j in seen)
            # the model's probabilities (one batch) and each ad's lexical list, once; then every weight
            # through the same `combine` that `rank` uses (rank = combine(proba, lexical))
            proba = model.proba([a.title for a in held], [a.text for a in held])
            lex = [ranker._lexical(*_title_body(a), "pl", k=0) for a in held]
            for w in args.lexical_weight:
                per_w[w].append(_score([ranker.combine(p, lx, "pl", 5, w) for p, lx in zip(proba, lex)], held))
            if not args.no_lexical_reference:
                ranker.models = {}
                lexical.append(evaluate(ranker, held))
            print(f"fold {fold_no}: {len(held)} ads, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        results["supervised_cv"] = {str(w): _summary(r) for w, r in per_w.items()}
        results["temperature_log_loss"] = {str(t): round(v / n_seen, 3) for t, v in nll.items()}
        if lexical:
            results["lexical_cv"] = _summary(lexical)
    else:  # test: once, with the settings chosen on CV
        model = fit([ads[i] for i in dev])
        ranker.models = {"pl": model}
        held = [ads[i] for i in test]
        results["lexical_weight"] = coding.LEXICAL_WEIGHT
        results["supervised_test"] = _summary([evaluate(ranker, held)])
        ranker.models = {}
        results["lexical_test"] = _summary([evaluate(ranker, held)])
    print(json.dumps(results, indent=2))


def _swedish_ads(node, out: dict) -> None:
    """Every JSON object that is a Platsbanken ad (old or JobSearch schema) with an SSYK 2012 unit group."""
    if isinstance(node, list):
        for x in node:
            _swedish_ads(x, out)
    elif isinstance(node, dict):
        title = node.get("rubrik") or node.get("headline")
        group = node.get("yrkesgrupp") or node.get("occupation_group") or {}
        ssyk = (
            str(group.get("taxonomi-kod") or group.get("legacy_ams_taxonomy_id") or "")
            if isinstance(group, dict)
            else ""
        )
        if isinstance(title, str) and ssyk.isdigit() and len(ssyk) == 4:
            desc = node.get("beskrivning") or node.get("description") or {}
            text = (desc.get("annonstext") or desc.get("text") or "") if isinstance(desc, dict) else str(desc)
            out.setdefault(str(node.get("id") or title), (ssyk, title, text))
            return
        for v in node.values():
            _swedish_ads(v, out)


def swedish(ranker, base: Path) -> dict:
    """Swedish ads with an SSYK 2012 code (JobTech fixtures): zero-shot major group vs SSYK's first digit."""
    found: dict = {}
    for path in sorted(base.rglob("*.json")):
        _swedish_ads(json.loads(path.read_text(encoding="utf-8")), found)
    c: Counter = Counter()
    rows = []
    for ssyk, title, text in found.values():
        top = ranker.rank(title, text, "sv", k=3)
        c["n"] += 1
        c["major_top1"] += bool(top) and (top[0].isco or "")[:1] == ssyk[:1]
        c["major_top3"] += any((r.isco or "")[:1] == ssyk[:1] for r in top)
        c["unit_top1_same_code"] += bool(top) and top[0].isco == ssyk
        rows.append((ssyk, title, top[0].isco if top else None))
    n = c["n"] or 1
    return {
        "n": c["n"],
        "major_group_top1": round(c["major_top1"] / n, 3),
        "major_group_top3": round(c["major_top3"] / n, 3),
        "same_4_digit_code_top1": round(c["unit_top1_same_code"] / n, 3),
        "ads": rows,
    }


if __name__ == "__main__":
    main()
