"""Column widths for the PDF's tables, by what each column holds.

A table whose columns get equal or hand-set shares breaks a narrow header mid-word
("even ts") and squeezes a long description into a sliver. Here every column is at least
as wide as the longest word of its header; columns of short fixed-form values (times,
counts, flags, ids) get the width of their widest value so they never wrap; the rest of
the page is shared among the text columns by weight (an admin change's "what" wide, an
"outcome" narrow), none wider than its longest value needs. The widths always sum to the
page's body width, so no column runs off the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

#: cell padding left + right (the tables' LEFTPADDING/RIGHTPADDING) plus a little air
PAD = 6.0
#: the widest a fixed-form column may take, as a share of the body width
FIXED_SHARE = 0.22
#: the share of the width fixed-form columns may take unwrapped; beyond it they wrap between words
FIXED_ROOM = 0.4
#: the share of the width a text column is promised before fixed columns must wrap
TEXT_MIN_SHARE = 0.08
#: a text column whose longest value is at most this share of the width is "short": kept unwrapped when it fits
SHORT_SHARE = 0.15

#: columns whose values are short and fixed in form: sized to their widest value, never wrapped
FIXED = frozenset({
    "time", "first_seen", "last_seen", "created", "rows_from", "rows_to", "When", "From", "To", "First seen",
    "Last seen", "Rows from", "Rows to", "Time span",
    "accesses", "events", "seen_in", "after_hours", "record_id", "event_id", "records", "rows", "bad", "skipped",
    "warnings", "Accesses", "After hours", "Rows", "Records", "Bad", "Skipped", "Warnings", "Rows in view",
    "Non-owner rows", "Mailboxes", "Actors",
    "outcome", "admin", "marked", "logon_type", "in_evidence", "status", "Outcome", "Admin rights", "Load status",
    "client_ip", "source_format", "Size", "Evidence id", "Format",
})
#: relative shares of the page left to the text columns (1.0 when not named)
WEIGHTS: dict[str, float] = {
    "what": 4.0, "What": 4.0, "item": 2.6, "details": 3.0, "comment": 3.0, "Examiner's comment": 3.5,
    "folder": 1.6, "actor": 1.6, "mailbox": 1.6, "Who": 1.6, "Whose mailbox": 1.6, "By": 1.4, "Mailbox": 1.4,
    "operations": 2.2, "operation_rows": 2.2, "actor_forms": 1.8, "mailbox_forms": 1.8, "expected": 1.4,
    "evidence": 1.5, "client_ips": 1.3, "client_app": 1.3, "client_hosts": 1.2, "File": 2.0, "Reason": 4.0,
    "Value": 5.0, "Verification at report time": 2.2, "Hashes": 5.5, "operation": 1.1, "Change": 1.1,
}


def header_words(column: str) -> list[str]:
    return column.replace("_", " ").split() or [column]


def column_widths(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    total: float,
    head_width: Callable[[str], float],
    cell_width: Callable[[int, str], float],
    fixed: frozenset[str] | set[str] = FIXED,
    weights: dict[str, float] | None = None,
) -> list[float]:
    """Widths (points) summing to ``total`` for ``columns`` holding ``rows`` of text.

    ``head_width`` measures a header word, ``cell_width(column index, text)`` a cell's line."""
    weights = {**WEIGHTS, **(weights or {})}
    n = len(columns)
    if not n:
        return []
    floor = [max(head_width(w) for w in header_words(c)) + PAD for c in columns]
    natural = list(floor)
    word = list(floor)  # the widest single word: a fixed column may wrap between words, no narrower
    for row in rows:
        for i, value in enumerate(row[:n]):
            for line in str(value or "").split("\n"):
                if line:
                    natural[i] = max(natural[i], cell_width(i, line) + PAD)
                    if " " in line:
                        word[i] = max(word[i], *(cell_width(i, w) + PAD for w in line.split(" ") if w))
                    else:
                        word[i] = max(word[i], cell_width(i, line) + PAD)
    cap = total * FIXED_SHARE
    is_fixed = [c in fixed for c in columns]
    width = [max(floor[i], min(natural[i], cap)) if is_fixed[i] else 0.0 for i in range(n)]
    # what the text columns need at least: their longest value, up to a modest share each
    wanted = sum(max(floor[i], min(natural[i], total * TEXT_MIN_SHARE)) for i in range(n) if not is_fixed[i])
    if sum(width) > total * FIXED_ROOM and sum(width) + wanted > total:
        # many fixed columns: let them wrap between words ("date / time offset")
        width = [max(floor[i], min(word[i], cap)) if is_fixed[i] else 0.0 for i in range(n)]
    flexible = [i for i in range(n) if not is_fixed[i]]
    # short text columns (an address, a name) get their whole width when the long ones keep enough room
    # (narrowest first, while the others keep a modest share each)
    kept: list[int] = []
    for i in sorted((i for i in flexible if natural[i] <= total * SHORT_SHARE), key=lambda i: natural[i]):
        rest = [j for j in flexible if j != i and j not in kept]
        keep = sum(max(floor[j], min(natural[j], total * TEXT_MIN_SHARE * 1.5)) for j in rest)
        if sum(width) + natural[i] + keep > total:
            break
        width[i] = natural[i]
        kept.append(i)
    flexible = [i for i in flexible if i not in kept]
    _share(width, flexible, total - sum(width), floor, natural, [weights.get(columns[i], 1.0) for i in range(n)])
    used = sum(width)
    if used > total:  # even the floors do not fit: shrink everything alike (cells wrap)
        width = [w * total / used for w in width]
    elif used < total:  # room left over: give it to the columns that wrap, else to all
        grow = flexible or [i for i in range(n) if not is_fixed[i]] or list(range(n))
        extra = (total - used) / len(grow)
        for i in grow:
            width[i] += extra
    return width


def _share(width: list[float], columns: list[int], room: float, floor: list[float], natural: list[float],
           weight: list[float]) -> None:
    """Water-fill ``room`` among ``columns`` by ``weight``: none below its floor, none above
    what its longest value needs (the surplus goes to the others)."""
    open_ = list(columns)
    while open_:
        share = {i: max(room, 0.0) * weight[i] / sum(weight[j] for j in open_) for i in open_}
        low = [i for i in open_ if share[i] < floor[i]]
        high = [i for i in open_ if share[i] > natural[i]]
        settled = low or high
        if not settled:
            for i in open_:
                width[i] = share[i]
            return
        for i in settled:
            width[i] = floor[i] if i in low else natural[i]
            room -= width[i]
            open_.remove(i)
