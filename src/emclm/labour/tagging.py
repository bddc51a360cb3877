"""ESCO skills of a vacancy.

Three kinds of evidence (``VacancySkill.method``):

- **declared**: skills the source names (schema.org ``skills``, JobTech ``must_have.skills``) are
  matched to ESCO skill labels exactly (folded) in the ad's language, then in English;
- **extracted**: the skills branch's extractor (``emclm.skills.SkillExtractor``:
  ``from_database(url)``, ``.rank(text, lang=None, k=20)`` → items with ``.uri``, ``.score``,
  ``.evidence``) over title + text in the ad's language, imported lazily. When that package is
  not installed the tagger says so in its ``description`` (and in every import report) and tags
  declared skills only;
- **occupation**: the ESCO *essential* skills of the ad's ESCO occupation (score 0.5), so ads in
  languages without ESCO skill labels (Polish, Swedish …) still count towards skill demand.
  Demand queries can leave this method out (``methods=``).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, is_dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emclm.taxonomy.models import Concept, Label, OccupationSkill
from emclm.taxonomy.text import fold

log = logging.getLogger(__name__)
MIN_EXTRACTED_SCORE = 0.0
MAX_SKILLS = 20
OCCUPATION_SKILL_SCORE = 0.5


def load_extractor(url: str | None) -> Any | None:
    """The skill extractor for this database, or None (logged) when its index cannot be loaded."""
    from emclm.skills.extractor import SkillExtractor

    try:
        return SkillExtractor.from_database(url)
    except Exception as exc:  # noqa: BLE001 - a broken optional component must not stop imports
        log.warning("skill extractor unavailable: %s", exc)
        return None


def _plain(evidence: Any) -> Any:
    """Evidence as JSON: dicts and strings as they are, dataclasses (the skills branch's ``Evidence``) as dicts."""
    if isinstance(evidence, (dict, str)):
        return evidence
    if is_dataclass(evidence) and not isinstance(evidence, type):
        return {k: v for k, v in asdict(evidence).items() if isinstance(v, (str, int, float, bool, type(None)))}
    return str(evidence)


class VacancySkillTagger:
    def __init__(
        self,
        skill_ids: dict[str, int],
        labels: dict[str, dict[str, int]],
        extractor: Any | None = None,
        k: int = MAX_SKILLS,
        occupation_skills: dict[int, list[int]] | None = None,
    ):
        self.skill_ids = skill_ids  # uri → id
        self.labels = labels  # lang → folded label → skill id
        self.extractor = extractor
        self.k = k
        self.occupation_skills = occupation_skills or {}  # occupation id → essential skill ids

    @property
    def description(self) -> str:
        if self.extractor is None:
            return "declared skills only (emclm.skills.SkillExtractor not installed)"
        return f"declared + {type(self.extractor).__module__}.{type(self.extractor).__name__}"

    @classmethod
    def from_session(
        cls, session: Session, url: str | None = None, extractor: Any | None = None, use_extractor: bool = True
    ) -> VacancySkillTagger:
        ids = dict(session.execute(select(Concept.uri, Concept.id).where(Concept.concept_type == "skill")).all())
        labels: dict[str, dict[str, int]] = {}
        for cid, lang, norm, kind in session.execute(
            select(Label.concept_id, Label.lang, Label.norm, Label.kind)
            .join(Concept, Concept.id == Label.concept_id)
            .where(Concept.concept_type == "skill", Label.kind.in_(("preferred", "alternative")))
        ):
            d = labels.setdefault(lang, {})
            if kind == "preferred" or norm not in d:
                d[norm] = cid
        if extractor is None and use_extractor:
            extractor = load_extractor(url or session.get_bind().url.render_as_string(hide_password=False))
        occ_skills: dict[int, list[int]] = {}
        for occ, skill in session.execute(
            select(OccupationSkill.occupation_id, OccupationSkill.skill_id).where(
                OccupationSkill.relation_type == "essential"
            )
        ):
            occ_skills.setdefault(occ, []).append(skill)
        return cls(ids, labels, extractor, occupation_skills=occ_skills)

    def declared(self, names: list[str], lang: str | None) -> list[tuple[int, float, str, list]]:
        out = []
        for name in names:
            key = fold(name)
            sid = None
            for lg in (lang, "en"):
                if lg and key in self.labels.get(lg, {}):
                    sid = self.labels[lg][key]
                    break
            if sid is not None:
                out.append((sid, 1.0, "declared", [{"text": name, "field": "declared"}]))
        return out

    def extracted(self, text: str, lang: str | None) -> list[tuple[int, float, str, list]]:
        return self._extracted_batch([text], [lang])[0] if text else []

    def _extracted_batch(self, texts: list[str], langs: list[str | None]) -> list[list]:
        """One extractor call per language group (``rank_batch`` when the extractor has it)."""
        out: list[list] = [[] for _ in texts]
        if self.extractor is None:
            return out
        groups: dict[str | None, list[int]] = {}
        for i, lang in enumerate(langs):
            groups.setdefault(lang, []).append(i)
        batch = getattr(self.extractor, "rank_batch", None)
        for lang, idxs in groups.items():
            if batch is not None:
                results = batch([texts[i] for i in idxs], lang=lang, k=self.k)
            else:
                results = [self.extractor.rank(texts[i], lang=lang, k=self.k) for i in idxs]
            for i, items in zip(idxs, results):
                rows = []
                for item in items:
                    sid = self.skill_ids.get(item.uri)
                    if sid is None or float(item.score) < MIN_EXTRACTED_SCORE:
                        continue
                    ev = getattr(item, "evidence", None) or []
                    rows.append(
                        (
                            sid,
                            float(item.score),
                            "extracted",
                            [_plain(e) for e in (ev if isinstance(ev, list) else [ev])][:5],
                        )
                    )
                out[i] = rows
        return out

    def tag_batch(self, nvs: list) -> None:
        """Set ``nv.skills`` for a batch of normalised vacancies: declared, extracted, occupation."""
        texts = [f"{nv.record.title}\n{nv.record.text or ''}" for nv in nvs]
        extracted = self._extracted_batch(texts, [nv.record.lang for nv in nvs])
        for nv, ext in zip(nvs, extracted):
            found: dict[int, tuple[int, float, str, list]] = {}
            for row in self.declared(nv.record.declared_skills, nv.record.lang):
                found[row[0]] = row
            for row in ext:
                found.setdefault(row[0], row)
            if nv.occupation_id is not None:
                for sid in self.occupation_skills.get(nv.occupation_id, ()):
                    found.setdefault(sid, (sid, OCCUPATION_SKILL_SCORE, "occupation", []))
            nv.skills = list(found.values())

    def tag(self, nv) -> list[tuple[int, float, str, list]]:
        self.tag_batch([nv])
        return nv.skills
