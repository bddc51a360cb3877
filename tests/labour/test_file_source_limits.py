"""Issue #20 item 3 (files) for vacancy sources: only inside the data folders, up to the size limit,
and a deeply nested JSON file is a file error (ijson's C backend would need gigabytes for it)."""

from __future__ import annotations

import resource

from emclm.config import get_settings
from emclm.ingest import SourceConfig
from emclm.labour.sources import make_source

DEEP = b"[" * 200_000 + b"]" * 200_000


def _items(kind, path):
    source = make_source(SourceConfig(name="v", kind=kind, path=str(path)))
    return source, list(source.items())


def test_etc_passwd_is_refused():
    source, items = _items("jobposting", "/etc/passwd")
    assert len(items) == 1 and source.complete is False
    assert items[0].error.source == "v" and "/etc/passwd is outside the folders" in items[0].error.message


def test_a_symlink_in_a_folder_to_outside_is_refused_and_other_files_are_read(tmp_path):
    (tmp_path / "a.json").write_text('[{"@type": "JobPosting", "title": "Nurse", "datePosted": "2025-01-02"}]')
    (tmp_path / "b.json").symlink_to("/etc/passwd")
    source, items = _items("jobposting", tmp_path)
    errors = [i.error for i in items if i.error]
    assert [e.record_id for e in errors] == ["b.json"] and "outside the folders" in errors[0].message
    assert [i.record.title for i in items if i.record] == ["Nurse"]
    assert source.complete is False


def test_size_limit(tmp_path, monkeypatch):
    (tmp_path / "a.json").write_text('[{"@type": "JobPosting", "title": "' + "x" * 3000 + '"}]')
    monkeypatch.setattr(get_settings(), "file_source_max_bytes", 1000)
    _, items = _items("jobposting", tmp_path / "a.json")
    assert len(items) == 1 and "over the limit of 1000" in items[0].error.message


def test_a_200000_deep_json_array_is_a_file_error_in_bounded_memory(tmp_path):
    for name, body in (
        ("deep.json", DEEP),
        ("deep-obj.json", b'{"jobs": ' + DEEP + b"}"),
        ("deep.jsonl", DEEP + b"\n"),
    ):
        path = tmp_path / name
        path.write_bytes(body)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        source, items = _items("jobposting", path)
        assert len(items) == 1 and items[0].record is None, name
        assert "nested" in items[0].error.message and "deep" in items[0].error.message, items[0].error.message
        grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        assert grown_mb < 200, f"{name}: {grown_mb:.0f} MB"
