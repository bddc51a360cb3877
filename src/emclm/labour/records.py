"""``VacancyRecord``: what a vacancy source yields, before storage (the catalogue's ``CourseRecord`` twin).

Sources fill what the ad says; normalisation (``emclm.labour.normalise``) adds country, NUTS
region and ESCO occupation. Codes keep their system: ``occupation_codes = {"isco08": "2512",
"kzis": "251201", "ssyk2012": "2512"}``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date


@dataclass
class VacancyRecord:
    source_record_id: str
    title: str
    text: str | None = None
    employer: str | None = None
    lang: str | None = None  # ISO 639-1 of the ad text
    url: str | None = None
    # where: what the ad says, and what normalisation made of it
    country: str | None = None  # NUTS country code (EL for Greece)
    region_text: str | None = None
    postcode: str | None = None
    region_code: str | None = None  # a national region code given by the source (e.g. Swedish län "01")
    nuts_code: str | None = None
    # when
    date_posted: date | None = None
    date_expires: date | None = None
    date_collected: date | None = None
    # what: occupation codes by system, skills named by the source
    occupation_codes: dict[str, str] = field(default_factory=dict)
    occupation_label: str | None = None  # the source's own occupation name
    esco_occupation_uri: str | None = None
    declared_skills: list[str] = field(default_factory=list)
    number_of_vacancies: int | None = None
    weight: float | None = None  # sampling weight (survey-style data), 1 when absent

    @property
    def month(self) -> str | None:
        d = self.date_posted or self.date_collected
        return f"{d.year:04d}-{d.month:02d}" if d else None

    def content_hash(self) -> str:
        return hashlib.sha256(
            json.dumps(asdict(self), sort_keys=True, default=str, ensure_ascii=False).encode()
        ).hexdigest()
