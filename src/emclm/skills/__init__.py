"""ESCO skill extraction: ``SkillExtractor.rank(text, lang=None, k=20)`` → ranked skills with evidence.

Imports are lazy so ``emclm.skills.models`` stays cheap for the rest of the application.
"""

from __future__ import annotations

__all__ = ["SkillExtractor", "SkillMatch", "Evidence", "SkillInputError", "TAGGER_VERSION", "get_extractor"]


def __getattr__(name: str):
    if name in ("SkillExtractor", "SkillMatch", "Evidence", "TAGGER_VERSION", "get_extractor"):
        from emclm.skills import extractor

        return getattr(extractor, name)
    if name == "SkillInputError":
        from emclm.skills.text import SkillInputError

        return SkillInputError
    raise AttributeError(name)
