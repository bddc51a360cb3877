"""From a source's ``VacancyRecord`` to what is stored: country and NUTS region, ISCO-08 unit
group and ESCO occupation (with the method that chose it), ready for skill tagging.

Occupation, in order of trust:

1. ``source_uri``  the source names an ESCO occupation URI;
2. ``crosswalk``   a national code with shipped ESCO links (KZiS → ``data/labour/kzis-esco.csv``):
                   the linked occupation (ranked among the links when there are several);
3. ``isco``        an ISCO-08 code (or KZiS's first 4 digits): the best-ranked ESCO occupation of
                   that unit group when the ad's words point at one, else the unit group only;
4. ``ranked``      no usable code: the ranker's best occupation over all of ESCO (restricted to
                   the ISCO major group of a national code that shares it, SSYK 2012); kept only
                   with score ≥ ``MIN_RANK_SCORE``.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from emclm.config import get_settings
from emclm.ingest import RecordError
from emclm.labour.coding import OccupationRanker
from emclm.labour.nuts import NutsTable, nuts_table
from emclm.labour.records import VacancyRecord

NORMALISER_VERSION = "labour-1"
MIN_RANK_SCORE = 0.35


@dataclass
class NormalisedVacancy:
    record: VacancyRecord
    country: str | None
    nuts: str | None
    isco: str | None = None
    occupation_id: int | None = None
    occupation_uri: str | None = None
    occupation_method: str | None = None
    occupation_score: float | None = None
    skills: list[tuple[int, float, str, list]] = field(default_factory=list)  # (skill id, score, method, evidence)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{NORMALISER_VERSION}|{self.record.content_hash()}".encode()).hexdigest()


def load_crosswalks(data_dir: Path | None = None) -> dict[str, dict[str, set[str]]]:
    """``{"kzis": {"251201": {esco uri, …}}}`` from the shipped crosswalk files."""
    base = (data_dir or get_settings().data_dir) / "labour"
    out: dict[str, dict[str, set[str]]] = {}
    path = base / "kzis-esco.csv"
    if path.exists():
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                out.setdefault("kzis", {}).setdefault(row["kzis"], set()).add(row["esco_uri"])
    return out


class Normaliser:
    def __init__(self, ranker: OccupationRanker, nuts: NutsTable | None = None, crosswalks: dict | None = None):
        self.ranker = ranker
        self.nuts = nuts or nuts_table()
        self.crosswalks = crosswalks if crosswalks is not None else load_crosswalks()

    @classmethod
    def from_session(cls, session: Session) -> Normaliser:
        return cls(OccupationRanker.from_session(session))

    def error(self, source: str, rec: VacancyRecord, field_name: str, message: str) -> RecordError:
        return RecordError(source, rec.source_record_id, field_name, message)

    def place(self, source: str, rec: VacancyRecord) -> tuple[str | None, str | None]:
        t = self.nuts
        country = t.country_code(rec.country) if rec.country else None
        if rec.country and country is None:
            raise self.error(source, rec, "country", f"unknown country {rec.country!r}")
        nuts = None
        if country == "SE" and rec.region_code:
            nuts = t.resolve_se(lan_code=rec.region_code)
        if nuts is None and (rec.region_text or rec.postcode):
            place = t.resolve(country, rec.region_text, rec.postcode)
            other = t.country_code(rec.region_text) if rec.region_text else None
            if place.abroad or (other and country and other != country):
                raise self.error(source, rec, "region", f"job abroad ({rec.region_text!r}), not in {country}")
            nuts = place.nuts
            country = country or place.country
            if nuts is None and rec.region_text and t.country_code(rec.region_text) is None:
                raise self.error(source, rec, "region", f"unknown region {rec.region_text!r} in {country or '?'}")
        if nuts and country and not nuts.startswith(country):
            raise self.error(source, rec, "region", f"region {nuts} is not in country {country}")
        return country, nuts

    def occupation(self, rec: VacancyRecord) -> tuple[str | None, int | None, str | None, str | None, float | None]:
        """(isco, occupation id, uri, method, score)."""
        r = self.ranker
        codes = rec.occupation_codes
        title = rec.title
        if rec.esco_occupation_uri and rec.esco_occupation_uri in r.by_uri:
            oid = r.by_uri[rec.esco_occupation_uri]
            return r.occupations[oid][1], oid, rec.esco_occupation_uri, "source_uri", 1.0
        isco = None
        if codes.get("isco08"):
            isco = codes["isco08"][:4]
        kzis = codes.get("kzis")
        if kzis and len(kzis) == 6:
            isco = isco or kzis[:4]
            links = self.crosswalks.get("kzis", {}).get(kzis)
            if links and len(links) == 1 and next(iter(links)) in r.by_uri:
                uri = next(iter(links))
                return isco, r.by_uri[uri], uri, "crosswalk", 1.0
            if links:
                best = r.rank(title, rec.text, rec.lang, k=1, candidates=links)
                if best:
                    return isco, r.by_uri[best[0].uri], best[0].uri, "crosswalk", best[0].score
        if isco and isco.isdigit() and len(isco) == 4:
            best = r.rank(title, rec.text, rec.lang, k=1, isco_prefix=isco)
            if best and best[0].score > 0:
                return isco, r.by_uri[best[0].uri], best[0].uri, "isco", best[0].score
            # the unit group is known but nothing in the ad points at one of its ESCO occupations
            return isco, None, None, "isco", None
        prefix = None
        if codes.get("ssyk2012", "")[:1].isdigit():
            prefix = codes["ssyk2012"][0]  # SSYK 2012 major groups are ISCO-08's
        query = f"{rec.occupation_label} {title}" if rec.occupation_label else title
        best = r.rank(query, rec.text, rec.lang, k=1, isco_prefix=prefix)
        if best and best[0].score >= MIN_RANK_SCORE:
            return best[0].isco, r.by_uri[best[0].uri], best[0].uri, "ranked", best[0].score
        return None, None, None, None, None

    def normalise(self, source: str, rec: VacancyRecord) -> NormalisedVacancy:
        if not rec.title or not rec.title.strip():
            raise self.error(source, rec, "title", "missing title")
        country, nuts = self.place(source, rec)
        isco, oid, uri, method, score = self.occupation(rec)
        return NormalisedVacancy(rec, country, nuts, isco, oid, uri, method, score)
