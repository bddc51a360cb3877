"""`emclm sources`, `emclm harvest`, `emclm courses stats` and the sources settings file."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harvest_support import ListSource, make_record  # noqa: E402

from emclm.catalogue.harvest import harvest  # noqa: E402
from emclm.catalogue.registry import SourcesFileError, load_sources, source_class  # noqa: E402
from emclm.cli import app  # noqa: E402
from emclm.ingest import Source  # noqa: E402

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


def test_courses_stats_json_is_exactly_the_documented_shape(db_url):
    records = [make_record(i) for i in range(6)] + [make_record(9, provider="other", provider_name="Other", runs=1)]
    harvest(ListSource("t", records), db_url)
    harvest(ListSource("t", records[1:]), db_url)  # course 0 (French) withdrawn
    result = runner.invoke(app, ["courses", "stats", "--json", "--database-url", db_url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "courses": 6,
        "runs": 11,
        "by_provider": {"Test MOOC": 5, "Other": 1},
        "by_language": {"en": 4, "fr": 2},
    }


def test_sources_lists_the_settings_and_the_last_run(sqlite_url, tmp_path):
    from emclm.db.migrate import upgrade

    upgrade(sqlite_url)
    harvest(ListSource("demo", [make_record(1)]), sqlite_url)
    settings = tmp_path / "sources.toml"
    settings.write_text(
        '[[source]]\nname = "demo"\nkind = "classcentral"\npath = "catalogue/cc.json.gz"\npriority = 3\n'
        '[[source]]\nname = "feed"\nkind = "futurelearn"\nurl = "https://example.org/feed"\nenabled = false\n'
    )
    result = runner.invoke(app, ["sources", "--json", "--sources-file", str(settings), "--database-url", sqlite_url])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["demo"]["priority"] == 3 and rows["demo"]["status"] == "complete"
    assert rows["demo"]["last_run"]["created"] == 1
    assert rows["feed"]["enabled"] is False and rows["feed"]["status"] is None


def test_harvest_unknown_source_is_refused(sqlite_url, tmp_path):
    settings = tmp_path / "sources.toml"
    settings.write_text('[[source]]\nname = "demo"\nkind = "classcentral"\npath = "x.json"\n')
    result = runner.invoke(app, ["harvest", "nope", "--sources-file", str(settings), "--database-url", sqlite_url])
    assert result.exit_code == 2
    assert "unknown source(s): nope" in result.output


@pytest.mark.parametrize(
    "entry, message",
    [
        ('name = "a"\nkind = "x"\n', "field url: a source needs a url or a path"),
        ('name = "a"\nkind = "../x"\npath = "p"\n', "field kind"),
        ('name = "a"\nkind = "x"\npath = "p"\npriority = "high"\n', "field priority"),
        ('name = "a"\nkind = "x"\nurl = "file:///etc/passwd"\n', "field url"),
        ('name = "a"\nkind = "x"\npath = "p"\nprority = 1\n', "field prority: unknown setting"),
    ],
)
def test_bad_settings_name_the_source_and_field(tmp_path, entry, message):
    settings = tmp_path / "sources.toml"
    settings.write_text("[[source]]\n" + entry)
    with pytest.raises(SourcesFileError, match=message):
        load_sources(settings)


def test_shipped_settings_load_and_paths_are_under_the_data_dir(tmp_path):
    configs = load_sources(REPO / "data" / "sources.toml", data_dir=tmp_path)
    assert len({c.name for c in configs}) == len(configs)
    for c in configs:
        assert c.url or (c.path and c.path.startswith(str(tmp_path)))
    platform = [c for c in configs if c.kind in ("futurelearn", "richie", "moochub")]
    aggregator = [c for c in configs if c.kind == "classcentral"]
    assert min(p.priority for p in platform) > max(a.priority for a in aggregator)


def test_kind_lookup_refuses_what_is_not_a_source_module(monkeypatch):
    with pytest.raises(LookupError, match="no source module"):
        source_class("no_such_kind")
    # a module in the sources package without a Source subclass of that kind (the shared base class
    # lives in emclm.ingest, so no real module of the package is like that)
    helpers = types.ModuleType("emclm.catalogue.sources.helpers_only")
    helpers.Source = Source
    monkeypatch.setitem(sys.modules, helpers.__name__, helpers)
    with pytest.raises(LookupError, match="no Source subclass"):
        source_class("helpers_only")
    with pytest.raises(LookupError, match="not a source kind"):
        source_class("os.path")
