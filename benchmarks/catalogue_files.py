"""Speed and memory of the catalogue's file sources and normalisation helpers.

Run from the repository root:

    PYTHONPATH=src python benchmarks/catalogue_files.py

Prints one line per measurement; results go into docs/benchmarks/catalogue-files.md.
Each measurement runs in a fresh process so load times and peak memory are not hidden by caches.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

CASES = {
    "import normalise": "import emclm.catalogue.normalise as n",
    "language tables (Babel CLDR)": "import emclm.catalogue.normalise as n\nT()\nn.language_code('Español')",
    "month tables (Babel CLDR)": "import emclm.catalogue.normalise as n\nT()\nn.parse_date('13 janvier 2020')",
    "lingua detector load + 1 text": (
        "import emclm.catalogue.normalise as n\nT()\n"
        "n.detect_language('Ce cours présente les principes fondamentaux de la conception graphique.')"
    ),
    "classcentral source, 3 demo files": (
        "from emclm.ingest import SourceConfig\n"
        "from emclm.catalogue.sources.classcentral import ClassCentralSource\nT()\n"
        "items = list(ClassCentralSource(SourceConfig('cc', 'classcentral', "
        "path='data/catalogue/classcentral-2019-*.json.gz')).items())\nN(len(items))"
    ),
    "edx_csv source, demo file": (
        "from emclm.ingest import SourceConfig\n"
        "from emclm.catalogue.sources.edx_csv import EdxCsvSource\nT()\n"
        "items = list(EdxCsvSource(SourceConfig('edx', 'edx_csv', path='data/catalogue/edx-2021-courses.csv.gz')).items())\n"
        "N(len(items))"
    ),
    "detect_language x 500 course texts": (
        "import gzip, json\nimport emclm.catalogue.normalise as n\n"
        "recs = list(json.load(gzip.open('data/catalogue/classcentral-2019-education.json.gz')).values())[:500]\n"
        "n.detect_language('warm up the detector with a sentence long enough')\nT()\n"
        "for r in recs: n.detect_language(r['name'] + '. ' + (r['overview'] or ''))\nN(len(recs))"
    ),
}

PRELUDE = textwrap.dedent(
    """
    import json, resource, time
    _t = [time.perf_counter()]
    _n = [None]
    def T(): _t[0] = time.perf_counter()
    def N(n): _n[0] = n
    """
)
POSTLUDE = textwrap.dedent(
    """
    print(json.dumps({"seconds": round(time.perf_counter() - _t[0], 3),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "items": _n[0]}))
    """
)


def main() -> None:
    for name, code in CASES.items():
        out = subprocess.run(
            [sys.executable, "-c", PRELUDE + code + "\n" + POSTLUDE], capture_output=True, text=True, check=True
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{name:40s} {result['seconds']:8.3f} s  peak RSS {result['peak_rss_mb']:7.1f} MB  items {result['items']}"
        )


if __name__ == "__main__":
    main()
