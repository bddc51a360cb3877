"""Constants shared by the portal tests."""

from __future__ import annotations

import os
from pathlib import Path

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

ESCO = "http://data.europa.eu/esco/"
HELP_DESK = ESCO + "occupation/aaeec9a7-dc57-4485-890c-86b3eef735f9"  # ICT help desk agent
