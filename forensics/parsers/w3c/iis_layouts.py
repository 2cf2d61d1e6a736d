"""Header-less IIS lines: the field list the examiner gives, or an IIS default layout
recognised by field count and by the shape of every value.

Excerpts cut from an IIS log by grep or exported by a SIEM lose the ``#Fields:`` directive
that names the columns. Guessing a layout wrongly would put a client address in the user
column, so a default is assumed only when every sampled line has exactly that layout's field
count and every value has the shape its field has (dates, times, addresses, a method token,
a path, numbers); otherwise the lines stay unread (bad records) and the note asks for
``--w3c-fields``. Whichever layout is used is named in a note on the file, so reports say it.

The defaults (IIS writes the selected fields in a fixed order):
- IIS 8.5 to 10: ``logExtFileFlags`` default "Date, Time, ClientIP, UserName, ServerIP, Method,
  UriStem, UriQuery, HttpStatus, Win32Status, TimeTaken, ServerPort, UserAgent, Referer,
  HttpSubStatus" (learn.microsoft.com/en-us/iis/configuration/system.applicationHost/sites/
  siteDefaults/logFile/): 15 fields.
- IIS 7.0 and 7.5: the same without Referer (IIS 7.0 ``<logFile>`` reference,
  learn.microsoft.com/previous-versions/ee431619(v=technet.10)): 14 fields.
- IIS 6.0: "Internal Default" of ``LogExtFileFlags`` without TimeTaken and Referer
  (learn.microsoft.com/en-us/previous-versions/iis/6.0-sdk/ms524906(v=vs.90)): 13 fields;
  and the same with ``s-sitename`` third, as real Exchange 2003 servers wrote it (the
  msexchangeguru sample of ``reference/evidence-formats.md`` §3): 14 fields, told apart
  from the 14 of IIS 7 by the ``W3SVCn`` site name where IIS 7 has the server address.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from forensics.errors import ParseError


@dataclass(frozen=True)
class Layout:
    name: str
    fields: tuple[str, ...]


_COMMON = ("date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port", "cs-username", "c-ip",
           "cs(User-Agent)")
_STATUS = ("sc-status", "sc-substatus", "sc-win32-status")
DEFAULT_LAYOUTS: tuple[Layout, ...] = (
    Layout("IIS 8.5-10 default W3C fields", _COMMON + ("cs(Referer)",) + _STATUS + ("time-taken",)),
    Layout("IIS 7.0-7.5 default W3C fields", _COMMON + _STATUS + ("time-taken",)),
    Layout("IIS 6.0 default W3C fields", _COMMON + _STATUS),
    Layout("IIS 6.0 default W3C fields with s-sitename", ("date", "time", "s-sitename") + _COMMON[2:] + _STATUS),
)

_IP = r"(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.%\w]*)"
#: the shape every value of a field must have for a default layout to be assumed
_SHAPES: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "date": r"\d{4}-\d{2}-\d{2}",
        "s-sitename": r"W3SVC\d+",
        "time": r"\d{2}:\d{2}:\d{2}(?:\.\d+)?",
        "s-ip": _IP,
        "c-ip": _IP,
        "cs-method": r"[A-Z][A-Z_-]{1,19}|-",
        "cs-uri-stem": r"/\S*",
        "s-port": r"\d{1,5}",
        "sc-status": r"\d{3}",
        "sc-substatus": r"\d{1,5}",
        "sc-win32-status": r"\d{1,10}",
        "time-taken": r"\d{1,10}",
    }.items()
}
#: lines sampled to assume a default layout (all must fit)
SAMPLE_LINES = 50
_NAME = re.compile(r"^[A-Za-z][\w()-]*$")


def parse_field_list(text: str) -> list[str]:
    """The examiner's ``--w3c-fields`` list (space- or comma-separated W3C names); a clear
    error for anything that is not one."""
    names = [n for n in re.split(r"[\s,]+", text.strip().removeprefix("#Fields:").strip()) if n]
    if not names:
        raise ParseError("--w3c-fields: no field names given (e.g. \"date time s-ip cs-method cs-uri-stem …\")")
    odd = [n for n in names if not _NAME.match(n)]
    if odd:
        raise ParseError(f"--w3c-fields: not W3C field names: {', '.join(odd[:5])}")
    if "date" not in [n.lower() for n in names] or "time" not in [n.lower() for n in names]:
        raise ParseError("--w3c-fields: the list must name the date and time fields")
    return names


def guess_layout(lines: Sequence[str]) -> Layout | None:
    """The one default layout every line fits by field count and value shapes, or None."""
    sample = [line for line in lines if line.strip()][:SAMPLE_LINES]
    if not sample:
        return None
    split = [line.rstrip("\r\n").split(" ") for line in sample]
    fitting = [layout for layout in DEFAULT_LAYOUTS if all(_fits(layout, values) for values in split)]
    return fitting[0] if len(fitting) == 1 else None


def _fits(layout: Layout, values: list[str]) -> bool:
    if len(values) != len(layout.fields):
        return False
    for name, value in zip(layout.fields, values):
        shape = _SHAPES.get(name)
        if value == "":
            return False
        if shape is not None and not shape.fullmatch(value):
            return False
    return True


def layout_note(source: str, fields: Sequence[str], lines: int) -> str:
    """The file note naming the layout header-less lines were read with."""
    return (f"LAYOUT ASSUMED: {lines:,} line(s) without a #Fields: header were read as {source}: "
            f"{' '.join(fields)} (check that this matches the server's logging settings)")
