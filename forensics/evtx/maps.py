"""Load and validate the event maps in ``resources/maps`` (and a user's ``--maps DIR``).

An event map says what each unnamed ``<Data>`` string of a classic event means (see
``resources/maps/README.md``). Maps are data the user may edit, so every file is validated and
a malformed one is reported in one line naming the file and the problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from forensics.safe_io import MAX_CASE_JSON, UnsafePathError, read_bounded
from forensics.errors import ForensicsError
from forensics.paths import resource_path

#: Field names a map may use (README.md); anything else is a typo worth reporting.
FIELD_NAMES = frozenset({
    "folder", "item", "mailbox", "actor", "actor_display", "actor_dn", "admin_rights",
    "client_host", "client_ip", "process_name", "process_id", "application_id", "identifier",
    "database", "error", "rights", "ignored",
})
#: Content kinds a field may expect (checked by ``forensics.evtx.classify``).
FIELD_KINDS = frozenset({
    "folder-path", "message-path", "mailbox", "account", "legacy-dn", "bool", "guid", "host",
    "ip", "exe", "int", "text", "smtp",
})


class MapError(ForensicsError):
    """An event map file is malformed (bad JSON, missing key, unknown field name or kind)."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str
    label: str = ""


@dataclass(frozen=True)
class EventMap:
    """One provider/event id layout, as read from one JSON file."""

    file: str  # file name, shown in the ``mapping`` column as ``map:<file>``
    providers: tuple[str, ...]
    event_id: int
    operation: str
    outcome: str | None
    fields: tuple[FieldSpec, ...]
    message: str = ""
    description: str = ""
    source: str = ""

    @property
    def mapping(self) -> str:
        return f"map:{self.file}"


class MapSet:
    """Maps indexed by (provider, event id); provider names compare case-insensitively."""

    def __init__(self, maps: list[EventMap]) -> None:
        self.maps = maps
        self._index: dict[tuple[str, int], EventMap] = {}
        for event_map in maps:  # first wins: user maps are listed before bundled ones
            for provider in event_map.providers:
                self._index.setdefault((provider.lower(), event_map.event_id), event_map)

    def get(self, provider: str, event_id: int) -> EventMap | None:
        return self._index.get((provider.lower(), int(event_id)))

    def covers_provider(self, provider: str) -> bool:
        low = provider.lower()
        return any(p == low for p, _ in self._index)

    def __len__(self) -> int:
        return len(self._index)


def _fail(path: Path, why: str) -> MapError:
    return MapError(f"{path}: malformed event map: {why}")


def parse_map(path: Path) -> EventMap:
    """Read and validate one map file."""
    try:
        # bounded and regular files only: a maps folder named in a case may hold a FIFO or device
        data = json.loads(read_bounded(path, MAX_CASE_JSON, "event map", follow=True).decode("utf-8-sig"))
    except UnsafePathError as exc:
        raise _fail(path, str(exc)) from None
    except RecursionError:
        raise _fail(path, "nested too deeply") from None
    except UnicodeDecodeError:
        raise _fail(path, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _fail(path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except OSError as exc:
        raise _fail(path, f"cannot read ({exc.strerror or exc})") from None
    if not isinstance(data, dict):
        raise _fail(path, "top level must be a JSON object")
    providers = data.get("providers")
    if not isinstance(providers, list) or not providers or not all(isinstance(p, str) and p for p in providers):
        raise _fail(path, "'providers' must be a non-empty list of provider names")
    event_id = data.get("event_id")
    if isinstance(event_id, bool) or not isinstance(event_id, int) or not 0 <= event_id <= 0xFFFF:
        raise _fail(path, "'event_id' must be an integer 0-65535")
    operation = data.get("operation")
    if not isinstance(operation, str) or not operation:
        raise _fail(path, "'operation' must be a non-empty string")
    outcome = data.get("outcome")
    if outcome is not None and not isinstance(outcome, str):
        raise _fail(path, "'outcome' must be a string")
    fields = data.get("fields")
    if not isinstance(fields, list) or not fields:
        raise _fail(path, "'fields' must be a non-empty list")
    specs = []
    for number, entry in enumerate(fields, 1):
        if not isinstance(entry, dict):
            raise _fail(path, f"field {number} must be an object with 'name' and 'kind'")
        name, kind = entry.get("name"), entry.get("kind", "text")
        if name not in FIELD_NAMES:
            raise _fail(path, f"field {number}: unknown name {name!r} (known: {', '.join(sorted(FIELD_NAMES))})")
        if kind not in FIELD_KINDS:
            raise _fail(path, f"field {number}: unknown kind {kind!r} (known: {', '.join(sorted(FIELD_KINDS))})")
        specs.append(FieldSpec(name, kind, str(entry.get("label", ""))))
    for text_key in ("message", "description", "source"):
        if not isinstance(data.get(text_key, ""), str):
            raise _fail(path, f"'{text_key}' must be a string")
    return EventMap(
        file=path.name,
        providers=tuple(providers),
        event_id=event_id,
        operation=operation,
        outcome=outcome,
        fields=tuple(specs),
        message=data.get("message", ""),
        description=data.get("description", ""),
        source=data.get("source", ""),
    )


def bundled_maps_dir() -> Path:
    return resource_path("maps")


def _dir_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.json") if p.is_file())


def load_maps(user_dir: str | Path | None = None) -> MapSet:
    """All maps: the user's folder first (so it overrides), then the bundled ones."""
    folders: list[Path] = []
    if user_dir is not None:
        user = Path(user_dir)
        if not user.is_dir():
            raise MapError(f"{user}: event map folder does not exist")
        folders.append(user)
    folders.append(bundled_maps_dir())
    key = tuple((str(f), tuple((p.name, p.stat().st_mtime_ns) for p in _dir_files(f))) for f in folders)
    return _load_cached(key)


@lru_cache(maxsize=8)
def _load_cached(key: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]) -> MapSet:
    maps: list[EventMap] = []
    for folder, files in key:
        maps.extend(parse_map(Path(folder) / name) for name, _ in files)
    return MapSet(maps)
