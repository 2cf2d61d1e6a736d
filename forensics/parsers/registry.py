"""The explicit list of parsers (no folder scanning, so a frozen build finds them all)
and format detection: content first, extension only to break ties."""

from __future__ import annotations

from pathlib import Path

from forensics.errors import UnsupportedFormatError
from forensics.parsers import unread
from forensics.parsers.base import SNIFF_BYTES, Parser
from forensics.parsers.setchecks import EvidenceSetCheck

PARSERS: list[type[Parser]] = []
_builtin_loaded = False


def register(parser: type[Parser]) -> type[Parser]:
    if parser not in PARSERS:
        PARSERS.append(parser)
    return parser


def _load_builtin() -> None:
    # Imported here so each parser module registers itself; keep this list explicit.
    from forensics.parsers.eventlog import evtx_parser  # noqa: F401
    from forensics.parsers.eventlog import evt_parser  # noqa: F401
    from forensics.parsers.eventlog import eventviewer_xml  # noqa: F401
    from forensics.parsers.eventlog import eventviewer_csv  # noqa: F401
    from forensics.parsers.w3c import iis  # noqa: F401
    from forensics.parsers.m365 import ual  # noqa: F401
    from forensics.parsers.m365 import ual_json  # noqa: F401
    from forensics.parsers.m365 import mailbox_audit  # noqa: F401
    from forensics.parsers.m365 import admin_audit  # noqa: F401
    from forensics.parsers.w3c import httpproxy  # noqa: F401
    from forensics.parsers.w3c import msgtrk  # noqa: F401


def all_parsers() -> list[type[Parser]]:
    global _builtin_loaded
    if not _builtin_loaded:
        _builtin_loaded = True
        _load_builtin()
    return list(PARSERS)


def evidence_set_checks() -> list[EvidenceSetCheck]:
    """The evidence-set checks of every registered parser (``setchecks``), each once."""
    checks: list[EvidenceSetCheck] = []
    for parser in all_parsers():
        checks += [c for c in parser.evidence_set_checks() if c not in checks]
    return checks


def get(name: str) -> type[Parser]:
    for parser in all_parsers():
        if parser.name == name:
            return parser
    names = ", ".join(p.name for p in all_parsers())
    raise UnsupportedFormatError(f"unknown parser '{name}' (known: {names})")


def detect(head: bytes, path: Path, fallback: str | None = None) -> type[Parser]:
    """Pick the parser most confident about ``head``; raise if none recognises it, unless a
    ``fallback`` parser is named (header-less W3C lines whose fields the examiner gave): it
    reads what no parser claims and no known unread format names."""
    if not head:
        raise UnsupportedFormatError(f"{path}: file is empty")
    named = unread.describe(head)
    if named is not None:  # a format we know but do not read: say so, never guess a look-alike
        raise UnsupportedFormatError(f"{path}: {named}")
    best: tuple[int, type[Parser]] | None = None
    for parser in all_parsers():
        score = parser.sniff(head, path)
        if score > 0 and path.suffix.lower() in parser.extensions:
            score += 5
        if score > 0 and (best is None or score > best[0]):
            best = (score, parser)
    if best is None:
        if fallback is not None:
            return get(fallback)
        raise UnsupportedFormatError(f"{path}: not a supported evidence format")
    return best[1]


def supported_extensions() -> set[str]:
    return {ext for p in all_parsers() for ext in p.extensions}


#: extensions countless non-evidence files share (a case's truth.json, tool settings): a file
#: found in a folder with one is taken only when a parser recognises its content
SNIFFED_IN_FOLDERS = frozenset({".json"})


def folder_claims(path: Path) -> bool:
    """Whether a file found while searching a folder is taken as evidence (files given
    explicitly are always tried)."""
    suffix = path.suffix.lower()
    if suffix not in supported_extensions():
        return False
    if suffix not in SNIFFED_IN_FOLDERS:
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return True  # the load reports why it cannot be read
    return any(parser.sniff(head, path) > 0 for parser in all_parsers())
