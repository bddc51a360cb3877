"""Import official ESCO CSV exports (zip files, folders or single CSV / CSV.gz files, any version and language).

What a file is follows from its name, as ESCO names them in every release:

- ``skills_xx.csv``, ``occupations_xx.csv``, ``ISCOGroups_xx.csv``, ``skillGroups_xx.csv`` - concepts and labels;
- ``<name>Collection_xx.csv`` - collection membership (digital, DigComp, green, language, research, transversal);
- ``occupationSkillRelations[_xx].csv``, ``skillSkillRelations[_xx].csv``,
  ``broaderRelationsSkillPillar[_xx].csv``, ``broaderRelationsOccPillar[_xx].csv`` - relations.

Files in the *pivot* language (English by default, the language ESCO is authored in) create and update
concepts; files in other languages add labels and descriptions to concepts the pivot release has, and
count the URIs they name that it does not have (concepts ESCO has since removed). Every file is
remembered by its SHA-256, so importing the same file again changes nothing; a changed file replaces
what the previous version of that file contributed.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from emclm.taxonomy.models import (
    Broader,
    CollectionMember,
    Concept,
    ConceptText,
    ImportedFile,
    Label,
    OccupationSkill,
    SkillSkill,
)
from emclm.taxonomy.text import fold, split_labels

csv.field_size_limit(sys.maxsize)

CONCEPT_FILES = {
    "skills": "skill",
    "occupations": "occupation",
    "ISCOGroups": "isco_group",
    "skillGroups": "skill_group",
}
COLLECTION_NAMES = {
    "digitalSkills": "digital",
    "digCompSkills": "digcomp",
    "greenSkills": "green",
    "languageSkills": "language",
    "researchSkills": "research",
    "transversalSkills": "transversal",
    "researchOccupations": "research_occupations",
}
RELATION_FILES = (
    "occupationSkillRelations",
    "skillSkillRelations",
    "broaderRelationsSkillPillar",
    "broaderRelationsOccPillar",
)
CSV_TYPE = {
    "KnowledgeSkillCompetence": "skill",
    "Occupation": "occupation",
    "ISCOGroup": "isco_group",
    "SkillGroup": "skill_group",
}
_NAME = re.compile(r"^(?P<stem>[A-Za-z]+?)(?:_(?P<lang>[a-z]{2,3}(?:-[a-zA-Z]{2,4})?))?$")
MAX_LABEL = 512
BATCH = 5000


@dataclass
class Member:
    name: str  # file name without folders
    read: Callable[[], bytes]


@dataclass
class FileReport:
    name: str
    kind: str  # concepts | collection | relations | ignored
    lang: str | None = None
    rows: int = 0
    concepts_created: int = 0
    concepts_updated: int = 0
    labels: int = 0
    texts: int = 0
    relations: int = 0
    unknown_uris: int = 0
    errors: list[str] = field(default_factory=list)
    unchanged: bool = False


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"files": [asdict(f) for f in self.files]}


def iter_members(paths: Iterable[str | Path]) -> Iterator[Member]:
    """Every CSV in the given zips, folders (recursively) and files."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and (child.suffix in (".zip",) or child.name.endswith((".csv", ".csv.gz"))):
                    yield from iter_members([child])
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if info.is_dir() or not info.filename.endswith(".csv"):
                        continue
                    data = zf.read(info)
                    yield Member(Path(info.filename).name, lambda data=data: data)
        elif path.name.endswith(".csv.gz"):
            yield Member(path.name[: -len(".gz")], lambda path=path: gzip.decompress(path.read_bytes()))
        elif path.name.endswith(".csv"):
            yield Member(path.name, path.read_bytes)
        elif not path.exists():
            raise FileNotFoundError(f"ESCO import: no such file or folder: {path}")


def classify(name: str) -> tuple[str, str | None, str | None]:
    """(kind, stem, lang) for an ESCO CSV file name."""
    base = name[: -len(".csv")] if name.endswith(".csv") else name
    match = _NAME.match(base)
    if not match:
        return "ignored", None, None
    stem, lang = match["stem"], (match["lang"] or None)
    if stem in CONCEPT_FILES and lang:
        return "concepts", stem, lang.lower()
    if stem.endswith("Collection") and stem[: -len("Collection")] in COLLECTION_NAMES:
        return "collection", stem[: -len("Collection")], lang
    if stem in RELATION_FILES:
        return "relations", stem, lang
    return "ignored", stem, lang


def _rows(data: bytes) -> Iterator[dict[str, str]]:
    text = data.decode("utf-8-sig")
    yield from csv.DictReader(io.StringIO(text, newline=""))


class EscoImporter:
    def __init__(self, session: Session, pivot_lang: str = "en", version: str | None = None):
        self.session = session
        self.pivot_lang = pivot_lang
        self.version = version
        self._uri_ids: dict[str, int] | None = None

    # -- helpers -------------------------------------------------------------------------------
    def uri_ids(self) -> dict[str, int]:
        if self._uri_ids is None:
            self._uri_ids = dict(self.session.execute(select(Concept.uri, Concept.id)).all())
        return self._uri_ids

    def _already(self, name: str, digest: str) -> bool:
        return (
            self.session.execute(
                select(ImportedFile.id).where(ImportedFile.name == name, ImportedFile.sha256 == digest)
            ).first()
            is not None
        )

    def _remember(self, name: str, digest: str, lang: str | None, rows: int) -> None:
        self.session.execute(delete(ImportedFile).where(ImportedFile.name == name))
        self.session.add(ImportedFile(name=name, sha256=digest, lang=lang, rows=rows))

    def _bulk(self, table, rows: list[dict]) -> None:
        if not rows:
            return
        conn = self.session.connection()
        if conn.dialect.name == "postgresql":
            # COPY is several times faster than multi-row INSERT on PostgreSQL.
            columns = list(rows[0].keys())
            names = ", ".join(f'"{c}"' for c in columns)
            with conn.connection.driver_connection.cursor() as cur:
                with cur.copy(f'COPY "{table.__tablename__}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(tuple(row.get(c) for c in columns))
            return
        for start in range(0, len(rows), BATCH):
            self.session.execute(insert(table), rows[start : start + BATCH])

    # -- entry point ---------------------------------------------------------------------------
    def import_paths(
        self, paths: Iterable[str | Path], progress: Callable[[FileReport], None] | None = None
    ) -> ImportReport:
        members = list(iter_members(paths))

        def order(m: Member) -> tuple[int, int]:
            kind, stem, lang = classify(m.name)
            # pivot concepts, relations (which may name concepts the concept files omit), collections,
            # then the other languages' labels (which may label those omitted concepts)
            rank = {"concepts": 0, "relations": 1, "collection": 2}.get(kind, 4)
            if kind == "concepts" and lang != self.pivot_lang:
                rank = 3
            # ISCO groups and skill groups before the concepts that point to them
            sub = list(CONCEPT_FILES).index(stem) if kind == "concepts" else 0
            return rank, -sub

        report = ImportReport()
        for member in sorted(members, key=order):
            file_report = self.import_member(member)
            report.files.append(file_report)
            if progress:
                progress(file_report)
        return report

    def import_member(self, member: Member) -> FileReport:
        kind, stem, lang = classify(member.name)
        rep = FileReport(name=member.name, kind=kind, lang=lang)
        if kind == "ignored":
            return rep
        data = member.read()
        digest = hashlib.sha256(data).hexdigest()
        if self._already(member.name, digest):
            rep.unchanged = True
            return rep
        rows = list(_rows(data))
        rep.rows = len(rows)
        if kind == "concepts":
            self._import_concepts(rows, CONCEPT_FILES[stem], lang, rep)
        elif kind == "collection":
            self._import_collection(rows, COLLECTION_NAMES[stem], rep)
        else:
            self._import_relations(rows, stem, rep)
        self._remember(member.name, digest, lang, len(rows))
        self.session.flush()
        return rep

    # -- concepts and labels -------------------------------------------------------------------
    def _import_concepts(self, rows: list[dict], concept_type: str, lang: str, rep: FileReport) -> None:
        ids = self.uri_ids()
        pivot = lang == self.pivot_lang
        if pivot:
            existing = {
                c.uri: c
                for c in self.session.execute(select(Concept).where(Concept.concept_type == concept_type)).scalars()
            }
            new_rows, updates = [], []
            for row in rows:
                uri = (row.get("conceptUri") or "").strip()
                if not uri:
                    rep.errors.append(f"row without conceptUri: {row.get('preferredLabel')!r}")
                    continue
                values = {
                    "uri": uri,
                    "concept_type": concept_type,
                    "skill_type": row.get("skillType") or None,
                    "reuse_level": row.get("reuseLevel") or None,
                    "isco_code": (row.get("iscoGroup") or (row.get("code") if concept_type == "isco_group" else None))
                    or None,
                    "code": row.get("code") or None,
                    "status": row.get("status") or None,
                    "esco_version": self.version,
                }
                current = existing.get(uri)
                if current is None:
                    new_rows.append(values)
                elif any(getattr(current, k) != v for k, v in values.items() if k != "esco_version" or v):
                    updates.append({"id": current.id, **values})
            self._bulk(Concept, new_rows)
            for start in range(0, len(updates), BATCH):
                self.session.execute(update(Concept), updates[start : start + BATCH])
            rep.concepts_created, rep.concepts_updated = len(new_rows), len(updates)
            if new_rows:
                self._uri_ids = None
                ids = self.uri_ids()

        # Replace this language's labels and texts for the concepts this file covers.
        covered: list[int] = []
        labels: list[dict] = []
        texts: list[dict] = []
        for row in rows:
            uri = (row.get("conceptUri") or "").strip()
            concept_id = ids.get(uri)
            if concept_id is None:
                if uri:
                    rep.unknown_uris += 1
                continue
            covered.append(concept_id)
            seen: set[tuple[str, str]] = set()
            for kind, values in (
                ("preferred", split_labels(row.get("preferredLabel"))[:1]),
                ("alternative", split_labels(row.get("altLabels"))),
                ("hidden", split_labels(row.get("hiddenLabels"))),
            ):
                for text in values:
                    if (kind, text) in seen:
                        continue
                    seen.add((kind, text))
                    if len(text) > MAX_LABEL:
                        rep.errors.append(f"{uri}: {kind} label longer than {MAX_LABEL} characters skipped")
                        continue
                    labels.append(
                        {
                            "concept_id": concept_id,
                            "lang": lang,
                            "kind": kind,
                            "text": text,
                            "norm": fold(text)[:MAX_LABEL],
                        }
                    )
            for column, field_name in (
                ("description", "description"),
                ("definition", "definition"),
                ("scopeNote", "scope_note"),
            ):
                value = (row.get(column) or "").strip()
                if value:
                    texts.append({"concept_id": concept_id, "lang": lang, "field": field_name, "text": value})
        covered_set = set(covered)
        for chunk in _chunks(sorted(covered_set), 900):
            self.session.execute(delete(Label).where(Label.lang == lang, Label.concept_id.in_(chunk)))
            self.session.execute(delete(ConceptText).where(ConceptText.lang == lang, ConceptText.concept_id.in_(chunk)))
        self._bulk(Label, labels)
        self._bulk(ConceptText, texts)
        rep.labels, rep.texts = len(labels), len(texts)

    # -- collections ---------------------------------------------------------------------------
    def _import_collection(self, rows: list[dict], collection: str, rep: FileReport) -> None:
        ids = self.uri_ids()
        members = set()
        for row in rows:
            concept_id = ids.get((row.get("conceptUri") or "").strip())
            if concept_id is None:
                rep.unknown_uris += 1
            else:
                members.add(concept_id)
        self.session.execute(delete(CollectionMember).where(CollectionMember.collection == collection))
        self._bulk(CollectionMember, [{"collection": collection, "concept_id": cid} for cid in sorted(members)])
        rep.relations = len(members)

    # -- relations -----------------------------------------------------------------------------
    def _unlisted(self, rows: list[dict], pairs: list[tuple[str, str | None]], rep: FileReport) -> dict[str, int]:
        """Relations may name concepts that the release's concept files omit (ESCO v1.1.1 relates 67
        skills to "therapeutic radiographer", which occupations_en.csv lacks). Keep every relation: such
        a URI becomes a concept with status ``unlisted``, which counts and listings leave out."""
        ids = self.uri_ids()
        missing: dict[str, str] = {}
        for row in rows:
            for uri_col, type_spec in pairs:
                uri = (row.get(uri_col) or "").strip()
                if uri and uri not in ids and uri not in missing:
                    ctype = CSV_TYPE.get(row.get(type_spec, ""), None) if type_spec and type_spec in row else type_spec
                    if ctype not in CSV_TYPE.values():
                        ctype = (
                            "occupation" if "/occupation/" in uri else "skill" if "/skill/" in uri else "skill_group"
                        )
                    missing[uri] = ctype
        if missing:
            self._bulk(
                Concept,
                [
                    {"uri": u, "concept_type": t, "status": "unlisted", "esco_version": self.version}
                    for u, t in missing.items()
                ],
            )
            rep.unknown_uris += len(missing)
            rep.errors.append(
                f"{len(missing)} URI(s) named by relations but absent from the concept files kept as 'unlisted' concepts"
            )
            self._uri_ids = None
        return self.uri_ids()

    def _import_relations(self, rows: list[dict], stem: str, rep: FileReport) -> None:
        out: dict[tuple[int, int], dict] = {}
        if stem == "occupationSkillRelations":
            ids = self._unlisted(rows, [("occupationUri", "occupation"), ("skillUri", "skill")], rep)
            table = OccupationSkill
            for row in rows:
                occ, skill = ids.get(row.get("occupationUri", "")), ids.get(row.get("skillUri", ""))
                if occ is None or skill is None:
                    continue
                out[(occ, skill)] = {
                    "occupation_id": occ,
                    "skill_id": skill,
                    "relation_type": row.get("relationType") or "optional",
                }
            self.session.execute(delete(OccupationSkill))
        elif stem == "skillSkillRelations":
            ids = self._unlisted(rows, [("originalSkillUri", "skill"), ("relatedSkillUri", "skill")], rep)
            table = SkillSkill
            for row in rows:
                a, b = ids.get(row.get("originalSkillUri", "")), ids.get(row.get("relatedSkillUri", ""))
                if a is None or b is None:
                    continue
                out[(a, b)] = {
                    "skill_id": a,
                    "related_skill_id": b,
                    "relation_type": row.get("relationType") or "optional",
                }
            self.session.execute(delete(SkillSkill))
        else:
            table = Broader
            types = ("skill", "skill_group") if stem == "broaderRelationsSkillPillar" else ("occupation", "isco_group")
            ids = self._unlisted(rows, [("conceptUri", "conceptType"), ("broaderUri", "broaderType")], rep)
            for row in rows:
                a, b = ids.get(row.get("conceptUri", "")), ids.get(row.get("broaderUri", ""))
                if a is None or b is None:
                    continue
                out[(a, b)] = {"concept_id": a, "broader_id": b}
            self.session.execute(
                delete(Broader).where(Broader.concept_id.in_(select(Concept.id).where(Concept.concept_type.in_(types))))
            )
        self._bulk(table, list(out.values()))
        rep.relations = len(out)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def default_paths(esco_dir: Path) -> list[Path]:
    """The shipped release: the official v1.1.1 zips, then the extra languages."""
    paths = sorted((esco_dir / "v1.1.1").glob("*.zip"))
    i18n = esco_dir / "i18n"
    if i18n.exists():
        paths.append(i18n)
    return paths


def import_esco(
    session: Session,
    paths: Iterable[str | Path],
    pivot_lang: str = "en",
    version: str | None = None,
    progress: Callable[[FileReport], None] | None = None,
) -> ImportReport:
    return EscoImporter(session, pivot_lang=pivot_lang, version=version).import_paths(paths, progress)
