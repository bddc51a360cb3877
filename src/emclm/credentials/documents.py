"""Where a verifier gets the documents a credential names: JSON-LD contexts, DID documents, status lists.

Nothing is fetched from the network. A URL resolves only to

- a JSON-LD context of the allow-list shipped in ``data/credentials/contexts`` (``index.json`` maps each
  URL to a local copy: W3C credentials v1/v2, Data Integrity, Multikey, Ed25519Signature2020, Bitstring
  Status List, Open Badges 3.0.0–3.0.3), or
- a document of the caller's cache: ``--documents DIR`` where ``DIR/index.json`` maps URLs to file names
  in ``DIR``.

Any other URL is refused with a message naming it (and saying so when it points at a private address,
which would be refused even if fetching were ever enabled). Each document is capped in size.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from emclm.config import get_settings

MAX_DOCUMENT_BYTES = 1024 * 1024


class DocumentError(Exception):
    """A document a credential needs cannot be had; the message names the URL and why."""


def contexts_dir() -> Path:
    return get_settings().data_dir / "credentials" / "contexts"


def is_private_address(url: str) -> bool:
    """True when the URL's host is a loopback, private, link-local or otherwise non-public address, or a
    name that only means something inside a network (``localhost``, ``*.local``, ``*.internal``).
    Decided from the URL alone: no name is resolved."""
    host = (urlsplit(url).hostname or "").strip("[]").lower()
    if not host:
        return False
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan", ".home.arpa")):
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        try:  # decimal / hex integer forms such as http://2130706433/
            addr = ipaddress.ip_address(int(host, 0))
        except ValueError:
            return False
    return not addr.is_global


def _read_index(directory: Path) -> dict[str, Path]:
    index_file = directory / "index.json"
    try:
        raw = json.loads(index_file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DocumentError(f"{index_file}: missing (it maps URLs to file names in {directory})") from exc
    except (OSError, ValueError) as exc:
        raise DocumentError(f"{index_file}: not a JSON object mapping URLs to file names ({exc})") from exc
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise DocumentError(f"{index_file}: must be a JSON object mapping URLs to file names")
    out: dict[str, Path] = {}
    root = directory.resolve()
    for url, name in raw.items():
        path = (directory / name).resolve()
        if root not in path.parents:
            raise DocumentError(f"{index_file}: entry {url!r} points outside {directory}: {name!r}")
        out[url] = path
    return out


class DocumentLoader:
    """Resolves URLs to parsed JSON documents from the allow-list and the optional document cache."""

    def __init__(self, documents_dir: Path | str | None = None):
        self.contexts = _read_index(contexts_dir())
        self.cache = _read_index(Path(documents_dir)) if documents_dir is not None else {}
        self._parsed: dict[str, object] = {}

    def knows(self, url: str) -> bool:
        return urldefrag(url)[0] in self.contexts or urldefrag(url)[0] in self.cache or url in self.cache

    def load(self, url: str) -> object:
        if not isinstance(url, str) or not url:
            raise DocumentError(f"not a document URL: {url!r}")
        key = url if url in self.cache else urldefrag(url)[0]
        if key in self._parsed:
            return self._parsed[key]
        path = self.cache.get(key) or self.contexts.get(key)
        if path is None:
            if is_private_address(url):
                raise DocumentError(f"{url}: refused: it points at a private address")
            raise DocumentError(
                f"{url}: not in the allow-list of local JSON-LD contexts nor in the document cache; "
                "nothing is fetched from the network"
            )
        try:
            size = path.stat().st_size
            if size > MAX_DOCUMENT_BYTES:
                raise DocumentError(f"{url}: document {path.name} is {size} bytes, over {MAX_DOCUMENT_BYTES}")
            doc = json.loads(path.read_bytes())
        except FileNotFoundError as exc:
            raise DocumentError(f"{url}: mapped to {path}, which does not exist") from exc
        except (ValueError, RecursionError) as exc:
            raise DocumentError(f"{url}: {path.name} is not JSON ({exc})") from exc
        self._parsed[key] = doc
        return doc

    def pyld_loader(self):
        """A pyld ``documentLoader`` over :meth:`load` (raising pyld's own error type)."""
        from pyld.jsonld import JsonLdError

        def loader(url: str, options=None):
            try:
                doc = self.load(url)
            except DocumentError as exc:
                raise JsonLdError(str(exc), "jsonld.LoadDocumentError", code="loading document failed") from exc
            return {"contextUrl": None, "documentUrl": url, "document": doc}

        return loader
