"""Throughput of the protocol sources' record mapping (no network): MOOChub v3 records with
JSON Schema validation, OAI-PMH LOM records, schema.org JSON-LD Course nodes.

    PYTHONPATH=src python benchmarks/catalogue_protocols.py [N]
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path

from lxml import etree

from emclm.catalogue.sources.moochub import MOOChubSource
from emclm.catalogue.sources.oaipmh import NS, OAIPMHSource
from emclm.catalogue.sources.schemaorg import SchemaOrgSource, _nodes
from emclm.catalogue.xmlsafe import parse_html, parse_xml
from emclm.ingest import SourceConfig

FIX = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sources"


def bench(label: str, n: int, fn) -> None:
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<44} {n:>6} records  {elapsed:6.2f} s  {n / elapsed:8.0f} records/s")


def main(n: int) -> None:
    page = json.loads((FIX / "moochub" / "v3_page1.json").read_text())
    records = [copy.deepcopy(page["data"][i % 2]) for i in range(n)]
    hub = MOOChubSource(SourceConfig(name="b", kind="moochub", url="http://x"))
    bench("MOOChub v3 parse + JSON Schema validation", n, lambda: [hub.parse(r) for r in records])

    body = (FIX / "oaipmh" / "listrecords_page1.xml").read_bytes()
    record = parse_xml(body).find("oai:ListRecords/oai:record", NS)
    xml = etree.tostring(record)
    many = (
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>' + xml * n + b"</ListRecords></OAI-PMH>"
    )
    oai = OAIPMHSource(SourceConfig(name="b", kind="oaipmh", url="http://x"))

    def run_oai():
        root = parse_xml(many)
        for rec in root.find("oai:ListRecords", NS).findall("oai:record", NS):
            oai.parse(rec)

    bench("OAI-PMH LOM page parse (safe XML) + mapping", n, run_oai)

    html = (FIX / "schemaorg" / "course_fr.html").read_bytes()
    ld = SchemaOrgSource(SourceConfig(name="b", kind="schemaorg", options={"urls": ["http://x/"]}))

    def run_ld():
        for _ in range(n):
            root = parse_html(html)
            for script in root.iter("script"):
                for node in _nodes(json.loads(script.text)):
                    if node.get("@type") == "Course":
                        ld.parse(node, "http://x/")

    bench("schema.org page parse (HTML + JSON-LD) + mapping", n, run_ld)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
