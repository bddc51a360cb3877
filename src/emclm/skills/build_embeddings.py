"""Precompute the ESCO label embeddings shipped in ``data/skills/`` (run once; preferred labels
en/fr/es ≈ 41k labels, ~7 min on 2 idle cores, much longer on a busy machine).

    python -m emclm.skills.build_embeddings --esco-dir /work/shared/data/esco/v1.1.1 \\
        --i18n-dir /work/shared/data/esco/i18n/v1.0-skills-fr-es
    python -m emclm.skills.build_embeddings --database sqlite:///var/emclm.sqlite3

Embeds every preferred, alternative and hidden label of every skill in the chosen languages, then
prunes alternative labels whose vector is nearly identical (cosine ≥ ``--prune``) to a label of
the same skill that is already kept: they cannot change a max-over-labels score by more than that.
Rows already present in an existing store (same URI, language and text) are reused, so a re-run
after a taxonomy update only embeds what is new.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np

from emclm.config import get_settings
from emclm.skills.embeddings import EMBED_KINDS, Encoder, load_store, save_store
from emclm.skills.taxonomy import LABEL_KIND_ORDER, SkillTaxonomy

log = logging.getLogger("emclm.skills.build_embeddings")


def select_labels(
    tax: SkillTaxonomy, langs: list[str], kinds: tuple[str, ...] = EMBED_KINDS
) -> list[tuple[str, str, str, str]]:
    seen = set()
    out = []
    for i, lang, kind, text in sorted(tax.labels, key=lambda r: (r[0], r[1], LABEL_KIND_ORDER[r[2]], r[3])):
        if lang not in langs or kind not in kinds:
            continue
        key = (i, lang, text.strip().lower())
        if key in seen:
            continue
        seen.add(key)
        out.append((tax.uris[i], lang, kind, text.strip()))
    return out


def prune(keys: list[tuple[str, str, str, str]], vecs: np.ndarray, threshold: float) -> list[int]:
    """Keep preferred labels always; drop a non-preferred label too close to a kept one of the same skill."""
    keep: list[int] = []
    start = 0
    while start < len(keys):
        end = start
        while end < len(keys) and keys[end][0] == keys[start][0]:
            end += 1
        kept_local: list[int] = []
        for j in range(start, end):
            if keys[j][2] != "preferred" and kept_local:
                if float(np.max(vecs[kept_local] @ vecs[j])) >= threshold:
                    continue
            kept_local.append(j)
        keep.extend(kept_local)
        start = end
    return keep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", help="SQLAlchemy URL of a built emclm database")
    ap.add_argument("--esco-dir", type=Path, help="unpacked ESCO v1.1.1 CSV export (classification-en/, relations/)")
    ap.add_argument("--i18n-dir", type=Path, help="folder with skills_fr.csv, skills_es.csv (ESCO v1.0)")
    ap.add_argument("--langs", default="en,fr,es")
    ap.add_argument("--kinds", default=",".join(EMBED_KINDS), help="label kinds to embed (see EMBED_KINDS)")
    ap.add_argument("--prune", type=float, default=0.96)
    ap.add_argument("--out", type=Path, default=None, help="data dir (default: Settings().data_dir)")
    ap.add_argument("--reuse", type=Path, default=None, help="data dir whose stored vectors are reused")
    ap.add_argument("--checkpoint", type=Path, default=None, help="data dir for an unpruned partial store")
    ap.add_argument("--limit", type=int, default=0, help="embed only the first N labels (smoke test)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.esco_dir:
        tax = SkillTaxonomy.from_esco_csv(args.esco_dir, args.i18n_dir)
    else:
        tax = SkillTaxonomy.from_database(args.database)
    langs = [x.strip() for x in args.langs.split(",") if x.strip()]
    keys = select_labels(tax, langs, tuple(k.strip() for k in args.kinds.split(",") if k.strip()))
    if args.limit:
        keys = keys[: args.limit]
    data_dir = args.out or get_settings().data_dir
    vecs = np.zeros((len(keys), 384), dtype=np.float32)
    todo = list(range(len(keys)))
    old = load_store(args.reuse or data_dir)
    if old is not None:
        lookup = old.lookup()
        todo = []
        for j, (uri, lang, _kind, text) in enumerate(keys):
            row = lookup.get((uri, lang, text))
            if row is None:
                todo.append(j)
            else:
                vecs[j] = old.matrix[row].astype(np.float32) / 127.0
    log.info("%d labels in %s; %d to embed", len(keys), ",".join(langs), len(todo))
    # preferred labels of every language first, then alternative/hidden: a partial run is still useful
    todo.sort(key=lambda j: (keys[j][2] != "preferred", keys[j][1] != "en", j))
    enc = Encoder()
    t0 = time.time()
    chunk = 2048
    done_mask = np.ones(len(keys), dtype=bool)
    done_mask[todo] = False
    for s in range(0, len(todo), chunk):
        idx = todo[s : s + chunk]
        vecs[idx] = enc.encode([keys[j][3] for j in idx], batch_size=64)
        done_mask[idx] = True
        done = s + len(idx)
        rate = done / max(time.time() - t0, 1e-6)
        log.info("embedded %d/%d (%.0f labels/s, ~%.0f s left)", done, len(todo), rate, (len(todo) - done) / rate)
        if args.checkpoint and (s // chunk) % 4 == 3:
            part = np.flatnonzero(done_mask).tolist()
            save_store(args.checkpoint, [keys[j] for j in part], vecs[part], {"partial": True, "langs": langs})
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    vecs /= norms
    keep = prune(keys, vecs, args.prune) if args.prune < 1 else list(range(len(keys)))
    log.info("kept %d of %d label vectors after pruning at %.2f", len(keep), len(keys), args.prune)
    save_store(
        data_dir,
        [keys[j] for j in keep],
        vecs[keep],
        {"langs": langs, "prune": args.prune, "source": str(args.esco_dir or args.database or "settings")},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
