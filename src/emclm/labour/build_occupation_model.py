"""Build (and cross-validate) the supervised Polish occupation model from hand-coded ads (OJALAB 2021).

Build-time only: needs scikit-learn (``pip install -e '.[train]'``); the runtime applies the saved
model with numpy/scipy (``emclm.labour.occupation_model``).

Protocol (frozen before any tuning; docs/benchmarks/labour.md):

- ads: OJALAB ``kom1``/``kom2`` (title, full text, employer; = ``data/labour/demo/pl-ojalab-2021.csv.gz``)
  and ``hand-coded-1k`` (title and text run together; split as ``emclm occupations rank`` splits it);
  label = first 4 digits of the hand-assigned 6-digit KZiS code (ISCO-08 unit group);
- **groups**: ads that share a normalised description (all its letters, no digits/spaces), a normalised
  title + employer, or an employer are one group (union-find), so re-posted texts and one employer's
  templated ads never sit on both sides of a split;
- **frozen test split**: groups whose SHA-256 of their smallest key is 0 mod 5 (≈ 20 %), never used
  for any choice; **5-fold GroupKFold** on the other groups for every choice;
- the shipped model is trained on ALL ads with the chosen settings.

    python -m emclm.labour.build_occupation_model --ads data/labour/demo/pl-ojalab-2021.csv.gz \\
        --extra /path/ojalab-pl/data/hand-coded-1k.csv [--cv] [--out data/labour/occupation-model-pl.npz]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from emclm.labour.occupation_model import OccupationModel, body_features, model_path, softmax, title_features
from emclm.taxonomy.text import fold

csv.field_size_limit(2**31 - 1)

DEFAULTS = {"C": 0.5, "title_weight": 1.0, "body_weight": 0.6, "min_df": 2, "keep": 400_000, "temperature": 0.15}


# "employer" values that name a job board or nobody, not an employer
NOT_EMPLOYERS = {"brak", "nan", "none", "centralna baza ofert pracy", "anonim", "pracodawca"}


@dataclass
class Ad:
    id: str
    title: str
    text: str
    code: str  # 6-digit KZiS
    employer: str = ""
    raw: str = ""  # the one-field form (hand-coded-1k), as given to `occupations rank`

    def line(self) -> dict:
        """The ad as an `emclm occupations rank` input line: title ⏎ text (or the one field as given)."""
        return {"id": self.id, "text": self.raw or f"{self.title}\n{self.text}"}

    @property
    def isco4(self) -> str:
        return self.code[:4]


def read_ads(path: Path) -> list[Ad]:
    """Hand-coded ads with a 6-digit code; rows without one are skipped (and counted on stderr)."""
    from emclm.labour.coding import split_title

    opener = gzip.open if path.suffix == ".gz" else open
    out, skipped = [], 0
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh)):
            code = (row.get("kod zawodu") or row.get("class") or "").strip()
            code = code[:-2] if code.endswith(".0") else code
            if not (code.isdigit() and len(code) == 6):
                skipped += 1
                continue
            if "desc" in row:  # hand-coded-1k: one field, split the way `occupations rank` splits one text
                title, text = split_title(row["desc"])
                out.append(Ad(f"{path.name}:{n}", title, text, code, raw=row["desc"]))
            else:
                out.append(
                    Ad(
                        row.get("url") or f"{path.name}:{n}",
                        row.get("job.title") or "",
                        row.get("job.description") or "",
                        code,
                        (row.get("employer") or "").strip(),
                    )
                )
    if skipped:
        print(f"{path.name}: {skipped} rows without a 6-digit code skipped", file=sys.stderr)
    return out


def _keys(ad: Ad) -> list[str]:
    desc = "".join(ch for ch in fold(ad.text) if ch.isalpha())
    keys = []
    if len(desc) >= 50:  # the whole text, letters only: re-posts with another town, date or salary meet
        keys.append("d:" + hashlib.sha1(desc.encode()).hexdigest())
    emp = fold(ad.employer)
    if emp and emp not in NOT_EMPLOYERS:
        keys.append("e:" + emp)
        keys.append("te:" + fold(ad.title) + "|" + emp)
    if not keys:
        keys.append("t:" + fold(ad.title) + "|" + desc)
    return keys


def groups(ads: list[Ad]) -> list[str]:
    """A group name per ad (union-find over shared keys); the name is the group's smallest key."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    ad_keys = [_keys(a) for a in ads]
    for keys in ad_keys:
        root = find(keys[0])
        for k in keys[1:]:
            r = find(k)
            if r != root:
                lo, hi = sorted((root, r))
                parent[hi] = lo
                root = lo
    return [find(keys[0]) for keys in ad_keys]


def is_frozen_test(group: str) -> bool:
    return int(hashlib.sha256(group.encode("utf-8")).hexdigest(), 16) % 5 == 0


def split(ads: list[Ad]) -> tuple[list[int], list[int], list[str]]:
    """(development indices, frozen test indices, group per ad)."""
    g = groups(ads)
    dev = [i for i, x in enumerate(g) if not is_frozen_test(x)]
    test = [i for i, x in enumerate(g) if is_frozen_test(x)]
    return dev, test, g


def folds(dev: list[int], g: list[str], k: int = 5):
    from sklearn.model_selection import GroupKFold

    dev_arr = np.array(dev)
    for tr, te in GroupKFold(n_splits=k).split(dev_arr, groups=[g[i] for i in dev]):
        yield dev_arr[tr].tolist(), dev_arr[te].tolist()


def _identity(x):
    return x


def fit(ads: list[Ad], params: dict | None = None, lang: str = "pl") -> OccupationModel:
    """Train on ``ads``; coefficients pruned to the ``keep`` largest by magnitude (the rest are 0)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    p = {**DEFAULTS, **(params or {})}
    tv = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=p["min_df"], dtype=np.float64)
    bv = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=p["min_df"], dtype=np.float64)
    xt = tv.fit_transform([title_features(a.title) for a in ads])
    xb = bv.fit_transform([body_features(a.text) for a in ads])
    x = sp.hstack([xt * p["title_weight"], xb * p["body_weight"]], format="csr")
    y = [a.isco4 for a in ads]
    clf = LinearSVC(C=p["C"], class_weight=None, max_iter=5000)
    clf.fit(x, y)
    coef = clf.coef_.T  # features × classes
    if p["keep"] and coef.size > p["keep"]:
        thr = np.partition(np.abs(coef).ravel(), coef.size - p["keep"])[coef.size - p["keep"]]
        coef = np.where(np.abs(coef) >= thr, coef, 0.0)
    classes = [str(c) for c in clf.classes_]
    intercept = clf.intercept_
    if len(classes) == 2:  # binary LinearSVC has one column; not expected with hundreds of unit groups
        raise ValueError("need at least three unit groups to train")
    return OccupationModel(
        lang=lang,
        classes=classes,
        title_vocab={f: int(i) for f, i in tv.vocabulary_.items()},
        title_idf=tv.idf_,
        body_vocab={f: int(i) for f, i in bv.vocabulary_.items()},
        body_idf=bv.idf_,
        coef=sp.csr_matrix(coef.astype(np.float16).astype(np.float64)),
        intercept=intercept.astype(np.float64),
        title_weight=float(p["title_weight"]),
        body_weight=float(p["body_weight"]),
        temperature=float(p["temperature"]),
        meta={"n_ads": len(ads), "params": p},
    )


def topk_scores(model: OccupationModel, ads: list[Ad]) -> dict:
    """Model-only accuracy (ISCO-4 / ISCO-2, top-1 / top-3) and log loss on ``ads``."""
    proba = model.proba([a.title for a in ads], [a.text for a in ads])
    order = np.argsort(-proba, axis=1)[:, :5]
    cls = np.array(model.classes)
    res = {"n": len(ads)}
    gold4 = np.array([a.isco4 for a in ads])
    top = cls[order]
    res["isco4_top1"] = float(np.mean(top[:, 0] == gold4))
    res["isco4_top3"] = float(np.mean((top[:, :3] == gold4[:, None]).any(axis=1)))
    res["isco2_top1"] = float(np.mean([t[:2] == g[:2] for t, g in zip(top[:, 0], gold4)]))
    idx = {c: i for i, c in enumerate(model.classes)}
    pg = np.array([proba[r, idx[g]] if g in idx else 0.0 for r, g in enumerate(gold4)])
    res["log_loss"] = float(-np.mean(np.log(np.clip(pg, 1e-6, 1))))
    return res


def cross_validate(ads: list[Ad], params: dict | None = None, k: int = 5) -> dict:
    dev, _test, g = split(ads)
    agg: dict[str, float] = {}
    n = 0
    for tr, te in folds(dev, g, k):
        m = fit([ads[i] for i in tr], params)
        r = topk_scores(m, [ads[i] for i in te])
        for key, v in r.items():
            if key != "n":
                agg[key] = agg.get(key, 0.0) + v * r["n"]
        n += r["n"]
    return {key: round(v / n, 4) for key, v in agg.items()} | {"n": n}


def _temperature_grid(ads: list[Ad], params: dict | None, k: int = 5) -> dict:
    dev, _test, g = split(ads)
    decisions, gold, classes_all = [], [], []
    for tr, te in folds(dev, g, k):
        m = fit([ads[i] for i in tr], params)
        decisions.append(m.decision([ads[i].title for i in te], [ads[i].text for i in te]))
        gold.append([ads[i].isco4 for i in te])
        classes_all.append(m.classes)
    out = {}
    for t in (0.05, 0.1, 0.15, 0.2, 0.3, 0.5):
        ll, n = 0.0, 0
        for z, gl, cl in zip(decisions, gold, classes_all):
            p = softmax(z, t)
            idx = {c: i for i, c in enumerate(cl)}
            ll -= sum(np.log(max(p[r, idx[x]], 1e-6)) if x in idx else np.log(1e-6) for r, x in enumerate(gl))
            n += len(gl)
        out[t] = round(ll / n, 4)
    return out


def main(argv: list[str] | None = None) -> None:
    from emclm.config import get_settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ads", action="append", default=None, help="kom1/kom2-style CSV(.gz); repeatable")
    ap.add_argument("--extra", action="append", default=[], help="hand-coded-1k-style CSV (class, desc)")
    ap.add_argument("--cv", action="store_true", help="report 5-fold grouped CV on the development part")
    ap.add_argument("--grid", default=None, help='JSON list of parameter dicts to cross-validate, e.g. [{"C": 1}]')
    ap.add_argument("--temperature", action="store_true", help="CV log loss over softmax temperatures")
    ap.add_argument("--out", default=None, help="model file (default data/labour/occupation-model-pl.npz)")
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args(argv)
    paths = [Path(p) for p in (args.ads or [str(get_settings().data_dir / "labour/demo/pl-ojalab-2021.csv.gz")])]
    ads = [a for p in paths for a in read_ads(p)] + [a for p in args.extra for a in read_ads(Path(p))]
    dev, test, g = split(ads)
    print(
        json.dumps(
            {"ads": len(ads), "groups": len(set(g)), "development": len(dev), "frozen_test": len(test)}, indent=None
        ),
        file=sys.stderr,
    )
    if args.grid:
        for params in json.loads(args.grid):
            t0 = time.perf_counter()
            r = cross_validate(ads, params)
            print(json.dumps({"params": params, "cv": r, "s": round(time.perf_counter() - t0)}), flush=True)
    elif args.cv:
        print(json.dumps({"params": DEFAULTS, "cv": cross_validate(ads)}), flush=True)
    if args.temperature:
        print(json.dumps({"temperature_log_loss": _temperature_grid(ads, None)}), flush=True)
    if not args.no_save:
        out = Path(args.out) if args.out else model_path(get_settings().data_dir, "pl")
        model = fit(ads)
        model.meta |= {"trained_on": [p.name for p in paths] + [Path(p).name for p in args.extra]}
        model.save(out)
        print(f"saved {out} ({out.stat().st_size / 1e6:.2f} MB, {len(model.classes)} unit groups)", file=sys.stderr)


if __name__ == "__main__":
    main()
