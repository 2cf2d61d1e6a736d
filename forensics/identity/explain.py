"""Say, for one row, the evidence behind its logon type: which forms were linked, and how.

Why: a merge the examiner cannot see is a merge they cannot check. ``logon_rule`` names the
rule; this names the forms that made it apply (the key two forms share, the SIDs that differ,
the protocol, the record that linked an object id), in one sentence for the detail view and
reports. It restates the rules of ``resolve.decide`` for one row; it decides nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from forensics.identity.keys import id_like, identity_keys, opaque_kind, split_ids

_PROTOCOL = {
    "protocol:ActiveSync": "ActiveSync opens only the signed-in user's own mailbox (MS-ASHTTP); "
                           "User= is the client's own spelling of that account",
}


def _forms(value: object, ids: object) -> list[str]:
    found = [value, *split_ids(None if ids is None or ids != ids else str(ids))]
    return [str(f) for f in found if f is not None and f == f and str(f).strip()]


def _shared(actor: list[str], mailbox: list[str]) -> tuple[str, str, str] | None:
    """The first (key, actor form, mailbox form) whose keys meet."""
    for a in actor:
        for m in mailbox:
            common = sorted(identity_keys(a) & identity_keys(m))
            if common:
                return common[0], a, m
    return None


def explain_logon(row: Mapping[str, object]) -> str:
    """One sentence: why ``row``'s ``logon_type`` is what it is (empty when nothing to say)."""
    rule = row.get("logon_rule")
    rule = "" if rule is None or rule != rule else str(rule)
    actor, mailbox = _forms(row.get("actor"), row.get("actor_ids")), _forms(row.get("mailbox"), row.get("mailbox_ids"))
    details = row.get("details")
    details = "" if details is None or details != details else str(details)
    if rule in _PROTOCOL:
        return _PROTOCOL[rule]
    if rule.startswith("source"):
        return "the evidence record states it" + (" (from UserType: an administrator account)" if rule == "source:UserType" else "")
    if rule.startswith("linked:"):
        linked = [part.strip() for part in details.split(";") if part.strip().startswith("linked:")]
        return "; ".join(linked) or f"linked by {rule[7:]} in the same export"
    if rule == "alias-match":
        shared = _shared(actor, mailbox)
        if shared:
            key, a, m = shared
            return f"actor form {a!r} and mailbox form {m!r} share the key {key!r} (alias heuristic)"
    if rule == "sid-mismatch":
        a_sids = [f for f in actor if opaque_kind(f) == "sid"]
        m_sids = [f for f in mailbox if opaque_kind(f) == "sid"]
        return (f"actor SID {', '.join(a_sids)} is not mailbox SID {', '.join(m_sids)}: two accounts, "
                "whatever their names share")
    if rule == "id-unresolved":
        ids = [f for f in actor + mailbox if id_like(f)]
        return f"named only by ids no name compares with ({', '.join(ids)}); a directory export would link them"
    if rule.startswith("directory"):
        return "the directory export names one person for both sides" if rule == "directory" and row.get(
            "logon_type") == "Owner" else "the directory export names two different people"
    if rule == "no-match":
        return "no form of the actor shares a key with a form of the mailbox (and no directory links them)"
    return ""
