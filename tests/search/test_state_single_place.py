"""Search state lives in one place (issue #14): ``emclm.search.state``. No other module of the search
package keeps module-level mutable state (dicts, lists, sets, OrderedDicts, locks …) or rebinds module
globals; and the one cache class bounds, expires and clears as it says."""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import emclm.search
from emclm.search.state import BoundedCache, ProcessRegistry, SearchState, state_for

SEARCH_DIR = Path(emclm.search.__file__).parent
MUTABLE_CALLS = {
    "dict",
    "list",
    "set",
    "OrderedDict",
    "defaultdict",
    "Counter",
    "deque",
    "Lock",
    "RLock",
    "Event",
    "Condition",
    "Semaphore",
    "BoundedSemaphore",
    "ThreadPoolExecutor",
    "BoundedCache",
}


def _call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        f = node.func
        return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
    return None


def _is_mutable(value: ast.AST) -> bool:
    if isinstance(value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)):
        return True
    return _call_name(value) in MUTABLE_CALLS


def _is_constant_table(name: str, value: ast.AST) -> bool:
    """An UPPER_CASE name bound to a non-empty literal table (configuration such as ``WEIGHTS``)."""
    if not name.isupper():
        return False
    if isinstance(value, ast.Dict):
        return bool(value.keys)
    if isinstance(value, (ast.List, ast.Set)):
        return bool(value.elts)
    return isinstance(value, (ast.DictComp, ast.ListComp, ast.SetComp))


def offences(source: str) -> list[str]:
    """Module-level mutable state in a module's source: ``name (line)`` per offence."""
    tree = ast.parse(source)
    out = []
    for node in tree.body:
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        for t in targets:
            name = t.id if isinstance(t, ast.Name) else ast.unparse(t)
            if name == "__all__" or _is_constant_table(name, value):
                continue
            if _is_mutable(value):
                out.append(f"{name} (line {node.lineno})")
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            out.append(f"global {', '.join(node.names)} (line {node.lineno})")
    return out


def test_the_check_catches_module_level_state():
    src = (
        "import threading\nfrom collections import OrderedDict\n"
        "_cache: dict[str, int] = {}\n_lock = threading.Lock()\n_lru = OrderedDict()\n_seen = []\n"
        "WEIGHTS = {'a': 1}\n__all__ = ['x']\nN = 3\n"
        "def f():\n    global _n\n    _n = 1\n"
    )
    assert offences(src) == [
        "_cache (line 3)",
        "_lock (line 4)",
        "_lru (line 5)",
        "_seen (line 6)",
        "global _n (line 11)",
    ]


@pytest.mark.parametrize(
    "path", sorted(p for p in SEARCH_DIR.glob("*.py") if p.name != "state.py"), ids=lambda p: p.name
)
def test_no_search_module_but_state_keeps_module_level_mutable_state(path):
    assert offences(path.read_text()) == [], f"{path.name}: move this state into emclm.search.state"


def test_bounded_cache_drops_the_least_recently_used_by_count_and_by_size():
    c = BoundedCache(max_items=2)
    c.put("a", 1)
    c.put("b", 2)
    assert c.get("a") == 1  # "a" is now the most recently used
    c.put("c", 3)
    assert "b" not in c and c.get("a") == 1 and c.get("c") == 3
    s = BoundedCache(max_bytes=10, size=len)
    s.put("x", "12345")
    s.put("y", "1234")
    assert s.held == 9
    s.put("z", "12")
    assert "x" not in s and s.held == 6 and s.keys() == ["y", "z"]
    s.put("big", "x" * 50)  # one entry larger than the bound is kept (alone)
    assert s.keys() == ["big"] and s.held == 50
    s.clear()
    assert len(s) == 0 and s.held == 0
    with pytest.raises(ValueError, match="'named'.*size function"):
        BoundedCache(max_bytes=10, name="named")


def test_bounded_cache_expires_entries_after_the_ttl():
    c = BoundedCache(ttl=0.05)
    c.put("k", "v")
    assert c.get("k") == "v"
    time.sleep(0.08)
    assert c.get("k") is None and len(c) == 0
    made = []
    assert c.get_or_put("k", lambda: made.append(1) or "new") == "new"
    assert c.get_or_put("k", lambda: made.append(1) or "newer") == "new" and made == [1]


def test_bounded_cache_stays_within_its_bound_under_threads():
    c = BoundedCache(max_items=50, max_bytes=400, size=lambda v: v)

    def work(k):
        for i in range(2000):
            c.put((k, i % 97), 1 + i % 9)
            c.get((k, (i * 7) % 97))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(c) <= 50 and c.held <= 400
    assert c.held == sum(c.get(k, touch=False) for k in c.keys())


def test_a_new_index_generation_resets_the_index_state_in_one_place():
    st = SearchState(db="memory://reset")
    assert st.observe("g1")
    st.columns, st.vocabulary, st.matrix = object(), ("g1", set(), []), (0.0, (1, "g1"), None, None)
    for cache in (st.postings, st.parsed, st.expansions, st.nearest, st.pending):
        cache.put("k", (np.zeros(2), np.zeros(2)) if cache is st.postings else [1])
    st.concepts.put("k", ([1], [2], [3]))
    st.pieces.put("k", [])
    st.query_vectors.put("q", [0.1])
    st.label_memory["en"] = {"k": []}
    assert not st.observe("g1")  # the same generation: nothing dropped
    assert st.columns is not None and len(st.postings) == 1
    assert st.observe("g2")
    assert st.columns is None and st.vocabulary is None and st.matrix is None and st.warm is None
    assert all(len(c) == 0 for c in (st.postings, st.parsed, st.expansions, st.concepts, st.nearest, st.pending))
    # what does not depend on the index survives: analysed queries, query vectors, ESCO label keys
    assert len(st.pieces) == 1 and len(st.query_vectors) == 1 and st.label_memory == {"en": {"k": []}}


def test_one_state_per_database_url():
    assert state_for("sqlite:///one.db") is state_for("sqlite:///one.db")
    assert state_for("sqlite:///one.db") is not state_for("sqlite:///two.db")


def test_the_process_registry_makes_each_object_once():
    reg = ProcessRegistry()
    made = []
    assert reg.get("x", lambda: made.append(1) or object()) is reg.get("x", lambda: made.append(1) or object())
    assert made == [1]
    assert reg.once("hook") and not reg.once("hook")
