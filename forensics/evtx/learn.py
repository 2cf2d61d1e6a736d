"""Learn event-map field positions from an Event Viewer XML export of the investigator's
own server.

No public source gives the ``<Data>`` order of 10100–10106 (the bundled maps are a
hypothesis). An XML export saved with display information carries, for the same record,
the raw ``<Data>`` strings *and* the rendered message. The rendered message is read with the
bundled map's template (``rendered.match_slots``): each placeholder's value is then looked
up among the record's ``<Data>`` strings; the position where it is found, voted over many
records (majority), is that field's true position. Values that occur at several positions
(empty strings, an actor equal to its display name) are decided by the unambiguous records
first, then by elimination. Disagreements are reported, never hidden.

The result is written as ordinary map files (resources/maps/README.md) for ``--maps DIR``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from forensics.evtx.maps import EventMap, FieldSpec, MapSet
from forensics.evtx.rendered import match_many

_PLACEHOLDER = re.compile(r"%(\d+)")
#: Records kept per event id for voting: plenty for a majority, bounded memory on huge exports.
MAX_OBSERVATIONS = 50_000


@dataclass
class Observation:
    """One record usable for learning: its data strings and the slot values its message gave."""

    strings: list[str]
    slots: dict[int, str]


@dataclass
class Learned:
    """The learned layout of one provider/event id, with the evidence for it."""

    provider: str
    event_id: int
    base: EventMap
    records: int = 0  # records whose message matched the template fully, with data strings
    partial: int = 0  # records whose message matched only partly (not used)
    unmatched: int = 0  # records whose message did not match the template
    no_data: int = 0  # records with a message but no <Data> strings
    string_counts: Counter[int] = field(default_factory=Counter)
    n_strings: int = 0
    positions: dict[int, int] = field(default_factory=dict)  # template slot -> 0-based data index
    how: dict[int, str] = field(default_factory=dict)  # slot -> "majority 98/100", "elimination"
    conflicts: list[str] = field(default_factory=list)
    unresolved: list[int] = field(default_factory=list)

    def slot_label(self, slot: int) -> str:
        spec = self.base.fields[slot - 1] if 0 < slot <= len(self.base.fields) else None
        if spec is None:
            return f"%{slot}"
        return f"%{slot} {spec.name}" + (f" ({spec.label})" if spec.label else "")

    @property
    def differs(self) -> bool:
        """Does the learned layout differ from the map it started from?"""
        return any(slot - 1 != index for slot, index in self.positions.items()) or (
            self.n_strings != len(self.base.fields)
        )


def _slots_in(template: str) -> list[int]:
    return sorted({int(n) for n in _PLACEHOLDER.findall(template)})


def resolve(learned: Learned, observations: list[Observation]) -> None:
    """Majority vote of each slot's position, then elimination for ambiguous slots."""
    slots = _slots_in(learned.base.message)
    unique: dict[int, Counter[int]] = {k: Counter() for k in slots}
    ambiguous: dict[int, list[tuple[int, ...]]] = {k: [] for k in slots}
    missing: Counter[int] = Counter()
    for obs in observations:
        stripped = [s.strip() for s in obs.strings]
        for slot in slots:
            value = obs.slots.get(slot)
            if value is None:
                continue
            where = tuple(i for i, s in enumerate(stripped) if s == value)
            if not where:
                where = tuple(i for i, s in enumerate(stripped) if s.lower() == value.lower())
            if len(where) == 1:
                unique[slot][where[0]] += 1
            elif where:
                ambiguous[slot].append(where)
            else:
                missing[slot] += 1
    claimed: dict[int, int] = {}  # data index -> slot
    order = sorted(slots, key=lambda k: -sum(unique[k].values()))
    for slot in order:
        if not unique[slot]:
            continue
        total = sum(unique[slot].values())
        for index, count in unique[slot].most_common():
            if index in claimed:
                learned.conflicts.append(
                    f"{learned.slot_label(slot)}: position {index + 1} ({count} records) is already "
                    f"{learned.slot_label(claimed[index])}"
                )
                continue
            learned.positions[slot] = index
            claimed[index] = slot
            learned.how[slot] = f"majority {count}/{total}"
            others = [f"position {i + 1} in {c}" for i, c in unique[slot].items() if i != index]
            if others:
                learned.conflicts.append(
                    f"{learned.slot_label(slot)}: position {index + 1} in {count} of {total} records; "
                    f"disagreeing: {', '.join(others)}"
                )
            break
    for slot in slots:
        if slot in learned.positions:
            continue
        votes: Counter[int] = Counter()
        for where in ambiguous[slot]:
            free = [i for i in where if i not in claimed]
            if len(free) == 1:
                votes[free[0]] += 1
        if votes:
            index, count = votes.most_common(1)[0]
            learned.positions[slot] = index
            claimed[index] = slot
            learned.how[slot] = f"elimination {count}/{len(ambiguous[slot])}"
        else:
            learned.unresolved.append(slot)
            reason = "value never found among the data strings" if missing[slot] else "value found at several positions"
            learned.conflicts.append(f"{learned.slot_label(slot)}: unresolved ({reason})")


def learn(events: Iterable[tuple[str, int, list[str] | None, str | None]], maps: MapSet) -> list[Learned]:
    """Learn every mapped provider/event id seen in ``events`` = (provider, id, strings, message)."""
    found: dict[tuple[str, int], Learned] = {}
    observations: dict[tuple[str, int], list[Observation]] = {}
    pending: dict[tuple[str, int], list[tuple[list[str], str]]] = {}

    def read(key: tuple[str, int]) -> None:
        """Match the pending messages of one event id in one RE2 pass."""
        learned, batch = found[key], pending.pop(key, [])
        kept = observations.setdefault(key, [])
        for (strings, _), (slots, status) in zip(batch, match_many(learned.base, [m for _, m in batch])):
            if status != "full":
                if status == "partial":
                    learned.partial += 1
                else:
                    learned.unmatched += 1
            elif len(kept) < MAX_OBSERVATIONS:
                learned.records += 1
                learned.string_counts[len(strings)] += 1
                kept.append(Observation(strings, slots))

    for provider, event_id, strings, message in events:
        base = maps.get(provider, event_id) if provider else None
        if base is None or not base.message or not message:
            continue
        key = (base.providers[0].lower(), base.event_id)
        learned = found.setdefault(key, Learned(provider, event_id, base))
        if strings is None or not strings:
            learned.no_data += 1
            continue
        if len(observations.get(key, ())) >= MAX_OBSERVATIONS:
            continue
        batch = pending.setdefault(key, [])
        batch.append((list(strings), message))
        if len(batch) >= 5000:
            read(key)
    for key in list(pending):
        read(key)
    for key, learned in found.items():
        obs = observations.get(key, [])
        if not obs:
            continue
        learned.n_strings = learned.string_counts.most_common(1)[0][0]
        if len(learned.string_counts) > 1:
            learned.conflicts.append(
                "records differ in their number of data strings: "
                + ", ".join(f"{n} strings in {c}" for n, c in sorted(learned.string_counts.items()))
                + f"; learned from those with {learned.n_strings}"
            )
        resolve(learned, [o for o in obs if len(o.strings) == learned.n_strings])
    return sorted(found.values(), key=lambda item: (item.base.providers[0], item.event_id))


def learned_map(learned: Learned, origin: str) -> dict:
    """The map-file JSON of a learned layout."""
    n = learned.n_strings
    fields: list[dict] = [{"name": "ignored", "kind": "text"} for _ in range(n)]
    for slot, index in learned.positions.items():
        spec: FieldSpec | None = learned.base.fields[slot - 1] if 0 < slot <= len(learned.base.fields) else None
        if spec is None:
            continue
        entry = {"name": spec.name, "kind": spec.kind}
        if spec.label:
            entry["label"] = spec.label
        fields[index] = entry
    extra = iter(range(n + 1, n + 1 + len(learned.unresolved)))
    renumber = {slot: index + 1 for slot, index in learned.positions.items()}
    renumber.update({slot: next(extra) for slot in learned.unresolved})
    message = _PLACEHOLDER.sub(lambda m: f"%{renumber.get(int(m.group(1)), int(m.group(1)))}", learned.base.message)
    providers = list(learned.base.providers)
    if learned.provider not in providers:
        providers.insert(0, learned.provider)
    votes = "; ".join(f"{learned.slot_label(s)} -> %{i + 1} ({learned.how.get(s, '')})"
                      for s, i in sorted(learned.positions.items()))
    return {
        "providers": providers,
        "event_id": learned.event_id,
        "operation": learned.base.operation,
        "outcome": learned.base.outcome,
        "description": learned.base.description,
        "source": (
            f"learned by 'mailbox-audit learn-map' from {origin}: {learned.records} records carrying both "
            f"<Data> strings and a rendered message; positions by majority vote: {votes}"
            + (f"; CONFLICTS: {' | '.join(learned.conflicts)}" if learned.conflicts else "")
        ),
        "fields": fields,
        "message": message,
    }


def map_file_name(provider: str, event_id: int) -> str:
    """``<Provider_with_underscores>-<EventID>.json`` (resources/maps/README.md)."""
    return f"{provider.replace(' ', '_')}-{event_id}.json"


def write_maps(results: list[Learned], out_dir: Path, origin: str) -> list[Path]:
    """Write one map file per learned layout (layouts with no usable record are skipped)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for learned in results:
        if not learned.records or not learned.positions:
            continue
        path = out_dir / map_file_name(learned.base.providers[0], learned.event_id)
        path.write_text(json.dumps(learned_map(learned, origin), indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def events_from_export(read: Callable[[int], bytes], head: bytes, name: str,
                       on_bad: Callable[[int, str], None]) -> Iterable[tuple[str, int, list[str] | None, str | None]]:
    """(provider, event id, data strings, message) of every record of an XML export."""
    from forensics.parsers.eventlog.eventviewer_xml import EventScanner  # the export's own reader

    scanner = EventScanner(head, name)
    for kind, offset, payload in scanner.scan(read):
        if kind == "bad":
            on_bad(offset, str(payload))
            continue
        if kind != "event":
            continue
        parts, warnings = scanner.decode(payload)  # type: ignore[arg-type]
        if parts is None:
            on_bad(offset, warnings[-1])
            continue
        yield parts.provider, parts.event_id, parts.strings, parts.message
