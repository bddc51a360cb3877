"""Issue #20 item 3 (files): a file source reads only inside the configured data folders and up to
the configured size, and a JSON file nested 200,000 deep is a file error, not a RecursionError."""

from __future__ import annotations

import gzip

import pytest
from sqlalchemy import func, select

from emclm.catalogue.harvest import harvest
from emclm.catalogue.models import Course
from emclm.catalogue.sources.classcentral import ClassCentralSource
from emclm.catalogue.sources.partner_csv import PartnerCsvSource
from emclm.catalogue.sources.partner_json import PartnerJsonSource
from emclm.config import get_settings
from emclm.db.session import session_scope
from emclm.ingest import SourceConfig

DEEP = b"[" * 200_000 + b"]" * 200_000


def _json(path, name="pj"):
    return PartnerJsonSource(SourceConfig(name, "partner_json", path=str(path), options={"provider_code": "p"}))


def _csv(path):
    options = {"provider_code": "p", "columns": {"source_record_id": "root", "title": "x"}, "delimiter": ":"}
    return PartnerCsvSource(SourceConfig("etc", "partner_csv", path=str(path), options=options))


def _only_error(source):
    items = list(source.items())
    assert len(items) == 1 and items[0].record is None, items
    assert source.complete is False
    return items[0].error


def test_a_source_outside_the_data_folders_is_refused(db_url):
    error = _only_error(_csv("/etc/passwd"))
    assert error.source == "etc" and error.field_name == "(file)"
    assert "/etc/passwd is outside the folders file sources may read" in error.message
    report = harvest(_csv("/etc/passwd"), db_url)
    assert report.created == 0 and report.failed == 1 and report.status == "partial"
    assert "outside the folders" in report.errors[0].message
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Course)) == 0


def test_a_symlink_out_of_the_data_folders_is_refused(tmp_path):
    link = tmp_path / "catalogue.json"
    link.symlink_to("/etc/passwd")
    assert "outside the folders" in _only_error(_json(link)).message
    glob = ClassCentralSource(SourceConfig("cc", "classcentral", path=str(tmp_path / "*.json")))
    assert "outside the folders" in _only_error(glob).message


def test_the_roots_come_from_settings(tmp_path, monkeypatch):
    good = tmp_path / "ok.json"
    good.write_text('[{"source_record_id": "1", "title": "A course"}]')
    assert [i.record.title for i in _json(good).items()] == ["A course"]
    monkeypatch.setattr(get_settings(), "file_source_roots", [])
    assert "outside the folders" in _only_error(_json(good)).message


def test_files_over_the_size_limit_are_refused(tmp_path, monkeypatch):
    big = tmp_path / "big.json"
    big.write_text('[{"source_record_id": "1", "title": "' + "x" * 5000 + '"}]')
    monkeypatch.setattr(get_settings(), "file_source_max_bytes", 4096)
    assert "over the limit of 4096" in _only_error(_json(big)).message
    # options.max_bytes may lower the limit, never raise it
    raised = PartnerJsonSource(
        SourceConfig("pj", "partner_json", path=str(big), options={"provider_code": "p", "max_bytes": 10**9})
    )
    assert "over the limit of 4096" in _only_error(raised).message
    packed = tmp_path / "big.json.gz"
    packed.write_bytes(gzip.compress(big.read_bytes()))  # small on disk, too big unpacked
    assert "larger than the limit of 4096" in _only_error(_json(packed)).message


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_a_200000_deep_json_file_is_a_file_error(tmp_path, suffix, db_url):
    path = tmp_path / f"deep{suffix}"
    path.write_bytes(gzip.compress(DEEP) if suffix.endswith(".gz") else DEEP)
    error = _only_error(_json(path))
    assert error.field_name == "(file)" and "nested too deeply" in error.message and str(path) in error.message
    report = harvest(_json(path), db_url)
    assert report.failed == 1 and report.status == "partial"


def test_a_deep_json_line_is_a_record_error_and_the_others_go_on(tmp_path):
    path = tmp_path / "lines.jsonl"
    path.write_bytes(b'{"source_record_id": "1", "title": "First"}\n' + b'{"x_deep": ' + DEEP + b"}\n")
    items = list(_json(path).items())
    assert items[0].record.title == "First"
    assert items[1].error.field_name == "(line)" and "nested too deeply" in items[1].error.message


def test_classcentral_deep_file(tmp_path):
    path = tmp_path / "cc.json"
    path.write_bytes(DEEP)
    source = ClassCentralSource(SourceConfig("cc", "classcentral", path=str(path)))
    assert "nested too deeply" in _only_error(source).message
