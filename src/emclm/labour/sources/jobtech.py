"""Arbetsförmedlingen (Swedish public employment service) ads: JobSearch / JobStream JSON.

Three generations of the same ad are read:

- JobSearch / JobStream v1 (``headline``, ``description.text``, ``workplace_address.region_code``,
  ``occupation_group.legacy_ams_taxonomy_id`` = SSYK 2012 unit group, ``must_have.skills``);
- the older Swedish search schema (``rubrik``, ``beskrivning.annonstext``, ``arbetsplatsadress.lanskod``,
  ``yrkesgrupp.taxonomi-kod``, ``krav.kompetenser``);
- the raw Platsbanken source record (``annonsrubrik``, ``annonstext``, ``arbetsplatsadress.lan.varde``).

Files may be a JobStream array, JSON lines, an Elasticsearch response or ``{"testannonser": [...]}``.
Region: the län code → SE NUTS 3 (``data/labour/place-names.csv``), else the postcode.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from emclm.labour.records import VacancyRecord
from emclm.labour.sources.base import BadValue, SourceItem, VacancySource, parse_date, strip_html
from emclm.labour.sources.jsonstream import JsonItemError, iter_objects


def _g(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _s(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def _labels(items: Any, key: str = "label") -> list[str]:
    return [str(i[key]).strip() for i in items or [] if isinstance(i, dict) and i.get(key)]


class JobTechSource(VacancySource):
    kind = "jobtech"

    def __init__(self, config, fetch=None):
        super().__init__(config, fetch)
        self.default_country = self.default_country or "SE"
        self.default_lang = self.default_lang or "sv"

    def parse_file(self, path: Path) -> Iterator[SourceItem]:
        for obj in iter_objects(path):
            if isinstance(obj, JsonItemError):
                yield self.bad(path.name, None, str(obj))
                continue
            if isinstance(obj, dict) and "_source" in obj:
                obj = obj["_source"]
            rid = None
            try:
                if not isinstance(obj, dict):
                    yield self.bad(None, None, f"not a JSON object: {type(obj).__name__}")
                elif obj.get("removed") is True:
                    continue  # JobStream deletion notice
                else:
                    rid = obj.get("id") or obj.get("annonsId")
                    yield self.parse(obj)
            except BadValue as exc:
                yield self.bad(rid, str(exc).split(":", 1)[0], str(exc))

    def parse(self, ad: dict) -> SourceItem:
        if "headline" in ad or "workplace_address" in ad:
            return self._v1(ad)
        if "rubrik" in ad or "beskrivning" in ad:
            return self._old(ad)
        if "annonsrubrik" in ad or "annonsId" in ad:
            return self._raw(ad)
        return self.bad(ad.get("id"), None, "not a JobTech ad (no headline/rubrik/annonsrubrik)")

    def _finish(self, rid: Any, title: str | None, **kw) -> SourceItem:
        if rid is None:
            return self.bad(None, "id", "missing ad id")
        if not title or not str(title).strip():
            return self.bad(rid, "title", "missing title")
        return SourceItem(
            record=VacancyRecord(
                source_record_id=str(rid),
                title=str(title).strip(),
                lang=self.default_lang,
                country=self.default_country,
                **kw,
            )
        )

    def _v1(self, ad: dict) -> SourceItem:
        desc = ad.get("description") or {}
        parts = [desc.get("text")] + [desc.get(k) for k in ("needs", "requirements")]
        text = strip_html("\n".join(p for p in parts if p))
        addr = ad.get("workplace_address") or {}
        codes = {}
        ssyk = _s(_g(ad, "occupation_group", "legacy_ams_taxonomy_id"))
        if ssyk:
            codes["ssyk2012"] = ssyk
        skills = _labels(_g(ad, "must_have", "skills")) + _labels(_g(ad, "nice_to_have", "skills"))
        return self._finish(
            ad.get("id"),
            ad.get("headline"),
            text=text,
            employer=_s(_g(ad, "employer", "name")) or _s(_g(ad, "employer", "workplace")),
            url=_s(ad.get("webpage_url")),
            region_code=_s(addr.get("region_code")),
            region_text=_s(addr.get("region")) or _s(addr.get("municipality")),
            postcode=_s(addr.get("postcode")),
            date_posted=parse_date(ad.get("publication_date"), "publication_date"),
            date_expires=parse_date(
                ad.get("application_deadline") or ad.get("last_publication_date"), "application_deadline"
            ),
            occupation_codes=codes,
            occupation_label=_s(_g(ad, "occupation", "label")),
            declared_skills=skills,
            number_of_vacancies=ad.get("number_of_vacancies"),
        )

    def _old(self, ad: dict) -> SourceItem:
        desc = ad.get("beskrivning") or {}
        text = strip_html("\n".join(p for p in (desc.get("annonstext"), desc.get("behov"), desc.get("krav")) if p))
        addr = ad.get("arbetsplatsadress") or {}
        codes = {}
        ssyk = _s(_g(ad, "yrkesgrupp", "taxonomi-kod"))
        if ssyk:
            codes["ssyk2012"] = ssyk
        skills = _labels(_g(ad, "krav", "kompetenser"), "term") + _labels(_g(ad, "meriterande", "kompetenser"), "term")
        return self._finish(
            ad.get("id"),
            ad.get("rubrik"),
            text=text,
            employer=_s(_g(ad, "arbetsgivare", "namn")),
            region_code=_s(addr.get("lanskod")),
            region_text=_s(addr.get("lan")) or _s(addr.get("kommun")),
            postcode=_s(addr.get("postnummer")),
            date_posted=parse_date(ad.get("publiceringsdatum"), "publiceringsdatum"),
            date_expires=parse_date(ad.get("sista_ansokningsdatum"), "sista_ansokningsdatum"),
            occupation_codes=codes,
            occupation_label=_s(_g(ad, "yrkesroll", "term")),
            declared_skills=skills,
            number_of_vacancies=ad.get("antal_platser"),
        )

    def _raw(self, ad: dict) -> SourceItem:
        addr = ad.get("arbetsplatsadress") or {}
        return self._finish(
            ad.get("annonsId") or ad.get("id"),
            ad.get("annonsrubrik"),
            text=strip_html(ad.get("annonstext")),
            employer=_s(ad.get("arbetsgivareNamn")),
            url=_s(ad.get("webbadress")),
            region_code=_s(_g(addr, "lan", "varde")),
            region_text=_s(_g(addr, "lan", "namn")) or _s(_g(addr, "kommun", "namn")),
            postcode=_s(addr.get("postnr")),
            date_posted=parse_date(ad.get("publiceringsdatum"), "publiceringsdatum"),
            date_expires=parse_date(ad.get("sistaAnsokningsdatum"), "sistaAnsokningsdatum"),
            occupation_label=_s(_g(ad, "yrkesroll", "namn")),
            declared_skills=_labels(ad.get("kompetenser"), "namn"),
            number_of_vacancies=ad.get("antalPlatser"),
        )
