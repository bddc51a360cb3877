"""The skill index cache under var/: two processes building it at the same time must not collide."""

from __future__ import annotations

import threading
from dataclasses import replace

from emclm.skills.extractor import SkillIndex

_both_writing = threading.Barrier(2)


class _Rendezvous:
    """Pickles as ``"x"``, once both writers are inside ``pickle.dump`` (their temp files open)."""

    def __reduce__(self):
        _both_writing.wait(timeout=20)
        return (str, ("x",))


def test_two_writers_of_the_index_cache_do_not_collide(tiny_extractor, tmp_path):
    """Both wrote ``index.pkl.tmp``: the first ``replace`` moved it, the second failed (ENOENT)."""
    folder = tmp_path / "race"
    errors: list[BaseException] = []

    def write():  # each writer has its own index, as two processes do
        index = replace(tiny_extractor.index, label_texts=[*tiny_extractor.index.label_texts, _Rendezvous()])
        index.embeddings = tiny_extractor.index.embeddings
        try:
            index.save(folder)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    writers = [threading.Thread(target=write) for _ in range(2)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=60)
    assert not errors, errors
    loaded = SkillIndex.load(folder)
    assert loaded is not None and loaded.label_texts == [*tiny_extractor.index.label_texts, "x"]
    assert loaded.embeddings.shape == tiny_extractor.index.embeddings.shape
    assert sorted(p.name for p in folder.iterdir()) == ["embeddings.npy", "index.pkl"]  # no temp file left
