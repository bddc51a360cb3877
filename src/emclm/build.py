"""Build the embedded database from the repository's own ``data/``: idempotent, quick when up to date.

Steps: migrate the schema; import the shipped ESCO release and extra languages (files already imported
are recognised by their SHA-256 and skipped). Later steps (demo catalogue harvest, course tagging,
search index) join here as their areas land.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from emclm.config import get_settings
from emclm.db.migrate import upgrade
from emclm.db.session import session_scope
from emclm.taxonomy.importer import default_paths, import_esco

log = logging.getLogger(__name__)


def build_embedded(database_url: str | None = None, say: Callable[[str], None] = print) -> dict:
    settings = get_settings()
    url = database_url or settings.database_url
    upgrade(url)
    with session_scope(url) as session:
        report = import_esco(session, default_paths(settings.esco_dir), version="1.1.1")
    changed = [f for f in report.files if f.kind != "ignored" and not f.unchanged]
    say(f"ESCO: {len(changed)} file(s) imported, {sum(f.unchanged for f in report.files)} already up to date")
    result: dict = {"esco_files_imported": len(changed)}
    result["catalogue"] = harvest_demo_catalogue(url, say)
    return result


def harvest_demo_catalogue(url: str, say: Callable[[str], None] = print) -> dict:
    """Harvest the enabled file sources of the sources settings (the shipped demo catalogue).

    Network sources are left to `emclm harvest`: the build must work offline. Unchanged files cost
    well under a second (content hashes), so a rebuild is cheap.
    """
    from emclm.catalogue.harvest import harvest
    from emclm.catalogue.registry import build_source, load_sources

    out = {}
    for config in load_sources():
        if not config.enabled or not config.path:
            continue
        report = harvest(build_source(config), url, priority=config.priority)
        counts = report.to_dict()
        out[config.name] = {k: counts.get(k) for k in ("created", "updated", "unchanged", "withdrawn", "failed")}
        say(f"catalogue {config.name}: " + ", ".join(f"{k} {v}" for k, v in out[config.name].items()))
    return out
