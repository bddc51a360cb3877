"""Text folding shared by label storage, lookup and matching."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
# Letters that NFKD does not decompose but that users often type without the diacritic.
_EXTRA_FOLD = str.maketrans(
    {"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"}
)


def fold(text: str) -> str:
    """Lower-case, strip accents, turn punctuation into spaces, collapse whitespace.

    ``fold("Gérer le personnel  musical")`` → ``"gerer le personnel musical"``.
    """
    text = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLD))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NON_WORD.sub(" ", text.lower()).replace("_", " ")
    return " ".join(text.split())


def split_labels(cell: str | None) -> list[str]:
    """ESCO packs alternative/hidden labels into one cell, one per line (sometimes ' | ')."""
    if not cell:
        return []
    out: list[str] = []
    for line in cell.replace("\r", "\n").split("\n"):
        for part in line.split(" | ") if " | " in line else [line]:
            part = part.strip()
            if part:
                out.append(part)
    return out
