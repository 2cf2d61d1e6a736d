"""Who did it, for generic (``--all-events``) Windows event rows.

Why: a generic row with an empty actor hides the one thing an examiner filters on. Windows
names the acting account in the event data (``SubjectDomainName`` / ``SubjectUserName`` of
Security events, also as UserData leaves, e.g. 1102) and often in ``<System><Security
UserID="S-1-…"/>``. ``-`` and empty values mean "not recorded". Nothing is guessed beyond that.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from forensics.evtx.xml_fields import unescape

S = pa.string()


def _field(xml: pa.Array, name: str) -> pa.Array:
    """The text of ``<Data Name="name">…</Data>`` or of a ``<name>…</name>`` leaf (first one)."""
    named = pc.struct_field(pc.extract_regex(xml, rf"<Data Name=['\"]{name}['\"]>(?P<v>[^<]*)</Data>"), [0])
    leaf = pc.struct_field(pc.extract_regex(xml, rf"<{name}>(?P<v>[^<]*)</{name}>"), [0])
    value = pc.utf8_trim_whitespace(unescape(pc.coalesce(named, leaf)))
    return pc.if_else(pc.fill_null(pc.is_in(value, pa.array(["", "-"])), True), pa.scalar(None, S), value)


def subject_actor(xml: pa.Array) -> pa.Array:
    """Per record: ``DOMAIN\\user`` of the subject, else the user, else the System UserID SID."""
    user = _field(xml, "SubjectUserName")
    domain = _field(xml, "SubjectDomainName")
    account = pc.coalesce(pc.binary_join_element_wise(domain, user, "\\"), user)
    sid = pc.struct_field(pc.extract_regex(xml, r"<Security UserID=['\"](?P<v>S-[0-9-]+)['\"]"), [0])
    return pc.coalesce(account, sid)


def actor_from_named(named: Sequence[str]) -> str | None:
    """The same rule for a record already read into ``Name=value`` strings (Event Viewer XML)."""
    values = dict(item.split("=", 1) for item in named if "=" in item)
    user = (values.get("SubjectUserName") or "").strip()
    domain = (values.get("SubjectDomainName") or "").strip()
    user = "" if user == "-" else user
    domain = "" if domain == "-" else domain
    if user:
        return f"{domain}\\{user}" if domain else user
    return None
