"""CLI: ``emclm skills rank`` (JSON lines in → ranked ESCO skills out) and ``emclm courses tag``."""

from __future__ import annotations

import json
import sys

import typer


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    skills = groups["skills"]
    courses = groups["courses"]

    @skills.command("rank")
    def rank(
        top: int = typer.Option(20, "--top", "-k", min=1, max=200, help="skills per text"),
        lang: str | None = typer.Option(None, "--lang", help="language of the texts (default: guessed)"),
        evidence: bool = typer.Option(False, "--evidence", help="add the evidence spans to each skill"),
        batch: int = typer.Option(32, "--batch", min=1, max=1024, help="texts embedded together"),
        database: str | None = typer.Option(None, "--database", help="SQLAlchemy URL (default: settings)"),
    ) -> None:
        """Read JSON lines {"id": …, "text": …} on stdin; write {"id": …, "skills": [{"uri", "label", "score"}…]}.

        A bad line gets {"id": …, "error": "…"} and the batch goes on.
        """
        from emclm.skills.extractor import SkillExtractor
        from emclm.skills.text import SkillInputError, check_text

        extractor = SkillExtractor.from_database(database)
        out = sys.stdout

        def emit(obj: dict) -> None:
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")

        def flush(pending: list[tuple[object, str]]) -> None:
            if not pending:
                return
            ranked = extractor.rank_batch([t for _, t in pending], lang=lang, k=top)
            for (rid, _), matches in zip(pending, ranked, strict=True):
                skills_out = []
                for m in matches:
                    d = {"uri": m.uri, "label": m.label, "score": m.score}
                    if evidence:
                        d["evidence"] = [e.__dict__ for e in m.evidence]
                    skills_out.append(d)
                emit({"id": rid, "skills": skills_out})
            out.flush()

        pending: list[tuple[object, str]] = []
        for lineno, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                flush(pending)
                pending = []
                emit({"id": None, "error": f"line {lineno}: not JSON ({exc.msg})"})
                continue
            rid = rec.get("id") if isinstance(rec, dict) else None
            try:
                if not isinstance(rec, dict):
                    raise SkillInputError("expected an object with 'id' and 'text'")
                text = check_text(rec.get("text"), field=f"line {lineno} text")
            except SkillInputError as exc:
                flush(pending)
                pending = []
                emit({"id": rid, "error": str(exc)})
                continue
            pending.append((rid, text))
            if len(pending) >= batch:
                flush(pending)
                pending = []
        flush(pending)

    @courses.command("tag")
    def tag(
        force: bool = typer.Option(False, "--force", help="re-tag every course, changed or not"),
        top: int = typer.Option(30, "--top", min=1, max=200, help="skills stored per course"),
        database: str | None = typer.Option(None, "--database", help="SQLAlchemy URL (default: settings)"),
    ) -> None:
        """Tag every course with ESCO skills; only courses whose text or tagger version changed are touched."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        from emclm.skills.extractor import SkillExtractor
        from emclm.skills.tagging import tag_courses

        extractor = SkillExtractor.from_database(database)
        with Progress(
            TextColumn("tagging courses"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
        ) as progress:
            task = progress.add_task("tag", total=None)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = tag_courses(database, extractor, k=top, force=force, progress=on_progress)
        typer.echo(
            f"{report.tagged} tagged, {report.unchanged} unchanged, {report.failed} failed (tagger {extractor.version})"
        )
        for err in report.errors[:20]:
            typer.echo(f"  {err}", err=True)

    @courses.command("export-tags")
    def export_tags_cmd(
        path: str = typer.Argument(
            ..., help="output file (.jsonl.gz), e.g. data/catalogue/demo-course-skills.jsonl.gz"
        ),
        database: str | None = typer.Option(None, "--database", help="SQLAlchemy URL (default: settings)"),
    ) -> None:
        """Write the current auto tags (with text hashes and tagger version) for shipping with a catalogue."""
        from pathlib import Path

        from emclm.skills.shipped import export_tags

        typer.echo(f"{export_tags(database, Path(path))} courses written to {path}")
