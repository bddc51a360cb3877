"""A compact, read-only snapshot of what skill extraction needs from ESCO.

Built either from the database (``SkillTaxonomy.from_database``, the normal path) or straight
from the ESCO CSV exports (``from_esco_csv``, used to precompute the shipped label embeddings
before a database exists). Both give the same structure, keyed by concept URI.
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text as sql

from emclm.db.session import get_engine

LABEL_KIND_ORDER = {"preferred": 0, "alternative": 1, "hidden": 2, "variant": 3}


@dataclass
class SkillTaxonomy:
    uris: list[str]
    db_ids: list[int | None]
    skill_type: list[str | None]  # "skill/competence" | "knowledge" | None
    reuse_level: list[str | None]
    preferred: dict[str, list[str | None]]  # lang -> label per skill index
    labels: list[tuple[int, str, str, str]]  # (skill index, lang, kind, text)
    occupation_uris: list[str] = field(default_factory=list)
    occupation_ids: list[int | None] = field(default_factory=list)
    occupation_labels: list[str] = field(default_factory=list)  # English preferred label
    occupation_skills: list[tuple[int, int, bool]] = field(default_factory=list)  # (occ idx, skill idx, essential)
    broader: dict[int, list[str]] = field(default_factory=dict)  # skill idx -> broader concept URIs

    def __post_init__(self) -> None:
        self.index = {uri: i for i, uri in enumerate(self.uris)}

    @property
    def languages(self) -> list[str]:
        return sorted({lang for _, lang, _, _ in self.labels})

    def fingerprint(self) -> str:
        """Changes whenever a skill, label or relation changes: keys caches."""
        h = hashlib.sha256()
        for i, uri in enumerate(self.uris):
            h.update(f"{uri}|{self.skill_type[i]}|{self.reuse_level[i]}\n".encode())
        for row in sorted(self.labels):
            h.update(("%d|%s|%s|%s\n" % row).encode())
        h.update(str(len(self.occupation_skills)).encode())
        h.update(str(sum(o * 31 + s * 7 + e for o, s, e in self.occupation_skills)).encode())
        h.update(str(sorted((k, tuple(v)) for k, v in self.broader.items())).encode())
        return h.hexdigest()[:20]

    def label(self, i: int, lang: str = "en") -> str:
        return self.preferred.get(lang, [None] * len(self.uris))[i] or self.preferred["en"][i] or self.uris[i]

    # --- loaders ---------------------------------------------------------------------------

    @classmethod
    def from_database(cls, url: str | None = None) -> SkillTaxonomy:
        engine = get_engine(url)
        with engine.connect() as conn:
            rows = conn.execute(
                sql(
                    "SELECT id, uri, skill_type, reuse_level FROM esco_concept "
                    "WHERE concept_type = 'skill' AND (status IS NULL OR status <> 'obsolete') ORDER BY uri"
                )
            ).all()
            uris = [r.uri for r in rows]
            db_ids = [r.id for r in rows]
            by_id = {r.id: i for i, r in enumerate(rows)}
            skill_type = [r.skill_type for r in rows]
            reuse = [r.reuse_level for r in rows]
            labels: list[tuple[int, str, str, str]] = []
            preferred: dict[str, list[str | None]] = defaultdict(lambda: [None] * len(uris))
            for r in conn.execute(
                sql(
                    "SELECT l.concept_id, l.lang, l.kind, l.text FROM esco_label l "
                    "JOIN esco_concept c ON c.id = l.concept_id WHERE c.concept_type = 'skill'"
                )
            ):
                i = by_id.get(r.concept_id)
                if i is None:
                    continue
                lang = r.lang.split("-")[0].lower()
                if r.lang.lower() != lang and lang != "en":
                    continue
                if r.lang.lower() != lang:  # en-us etc: English spelling variants, matched but not embedded
                    labels.append((i, "en", "variant", r.text))
                    continue
                labels.append((i, lang, r.kind, r.text))
                if r.kind == "preferred":
                    preferred[lang][i] = r.text
            occ_rows = conn.execute(
                sql("SELECT id, uri FROM esco_concept WHERE concept_type = 'occupation' ORDER BY uri")
            ).all()
            occ_by_id = {r.id: k for k, r in enumerate(occ_rows)}
            occ_labels = [""] * len(occ_rows)
            for r in conn.execute(
                sql(
                    "SELECT l.concept_id, l.text FROM esco_label l JOIN esco_concept c ON c.id = l.concept_id "
                    "WHERE c.concept_type = 'occupation' AND l.lang = 'en' AND l.kind = 'preferred'"
                )
            ):
                k = occ_by_id.get(r.concept_id)
                if k is not None:
                    occ_labels[k] = r.text
            occ_skills = []
            for r in conn.execute(sql("SELECT occupation_id, skill_id, relation_type FROM esco_occupation_skill")):
                k, i = occ_by_id.get(r.occupation_id), by_id.get(r.skill_id)
                if k is not None and i is not None:
                    occ_skills.append((k, i, r.relation_type == "essential"))
            broader: dict[int, list[str]] = defaultdict(list)
            for r in conn.execute(
                sql(
                    "SELECT b.concept_id, p.uri FROM esco_broader b JOIN esco_concept p ON p.id = b.broader_id "
                    "JOIN esco_concept c ON c.id = b.concept_id WHERE c.concept_type = 'skill'"
                )
            ):
                i = by_id.get(r.concept_id)
                if i is not None:
                    broader[i].append(r.uri)
        return cls(
            uris=uris,
            db_ids=db_ids,
            skill_type=skill_type,
            reuse_level=reuse,
            preferred=dict(preferred),
            labels=labels,
            occupation_uris=[r.uri for r in occ_rows],
            occupation_ids=[r.id for r in occ_rows],
            occupation_labels=occ_labels,
            occupation_skills=sorted(set(occ_skills)),
            broader={k: sorted(v) for k, v in broader.items()},
        )

    @classmethod
    def from_esco_csv(cls, esco_dir: Path, i18n_dir: Path | None = None, langs: tuple[str, ...] = ("fr", "es")):
        """From an unpacked ESCO v1.1.1 export (``classification-en/``, ``relations/``) + v1.0 fr/es skills."""
        csv.field_size_limit(1 << 30)
        en_dir = esco_dir / "classification-en"
        rel_dir = esco_dir / "relations"
        with open(en_dir / "skills_en.csv", encoding="utf-8") as fh:
            rows = sorted(csv.DictReader(fh), key=lambda r: r["conceptUri"])
        rows = [r for r in rows if r.get("status", "released") != "obsolete"]
        uris = [r["conceptUri"] for r in rows]
        index = {u: i for i, u in enumerate(uris)}
        labels: list[tuple[int, str, str, str]] = []
        preferred: dict[str, list[str | None]] = {"en": [None] * len(uris)}

        def add(i: int, lang: str, r: dict) -> None:
            pref = (r.get("preferredLabel") or "").strip()
            if pref:
                labels.append((i, lang, "preferred", pref))
                preferred[lang][i] = pref
            for kind, col in (("alternative", "altLabels"), ("hidden", "hiddenLabels")):
                for alt in (r.get(col) or "").split("\n"):
                    alt = alt.strip()
                    if alt and alt != pref:
                        labels.append((i, lang, kind, alt))

        for i, r in enumerate(rows):
            add(i, "en", r)
        for lang in langs if i18n_dir else ():
            path = i18n_dir / f"skills_{lang}.csv"
            if not path.exists():
                continue
            preferred[lang] = [None] * len(uris)
            with open(path, encoding="utf-8") as fh:
                for r in csv.DictReader(fh):
                    i = index.get(r["conceptUri"])
                    if i is not None:
                        add(i, lang, r)
        with open(en_dir / "occupations_en.csv", encoding="utf-8") as fh:
            occ = sorted(csv.DictReader(fh), key=lambda r: r["conceptUri"])
        occ_index = {r["conceptUri"]: k for k, r in enumerate(occ)}
        occ_skills = set()
        with open(rel_dir / "occupationSkillRelations.csv", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                k, i = occ_index.get(r["occupationUri"]), index.get(r["skillUri"])
                if k is not None and i is not None:
                    occ_skills.add((k, i, r["relationType"] == "essential"))
        broader: dict[int, list[str]] = defaultdict(list)
        with open(rel_dir / "broaderRelationsSkillPillar.csv", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                i = index.get(r["conceptUri"])
                if i is not None:
                    broader[i].append(r["broaderUri"])
        return cls(
            uris=uris,
            db_ids=[None] * len(uris),
            skill_type=[r.get("skillType") or None for r in rows],
            reuse_level=[r.get("reuseLevel") or None for r in rows],
            preferred=preferred,
            labels=labels,
            occupation_uris=[r["conceptUri"] for r in occ],
            occupation_ids=[None] * len(occ),
            occupation_labels=[r["preferredLabel"] for r in occ],
            occupation_skills=sorted(occ_skills),
            broader={k: sorted(v) for k, v in broader.items()},
        )
