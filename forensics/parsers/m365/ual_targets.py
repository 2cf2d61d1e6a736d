"""Whose mailbox a Unified Audit Log cmdlet record (ExchangeAdmin, RecordType 1) acted on.

Why a module: ``-Mailbox``/``-Identity`` are the target when given; otherwise the record's
``ObjectId`` names it as a directory path, ``<server>/Microsoft Exchange Hosted Organizations/
<tenant>/<object>`` (an inbox rule: ``…/<mailbox>\\<rule>``; reference/evidence-formats.md §5.3,
the real New-InboxRule record). In Exchange Online ``<object>`` of a mailbox is the owner's
Entra object id, so the path is shortened to it (``ObjectId=`` keeps the whole path in
details) and ``ual_links`` names the person that id belongs to. Organisation objects (plans,
policies, tenant configuration: ``identity.cmdlet_targets``) are no mailbox: the mailbox stays
empty and ``object=`` names them. A mailbox cmdlet that names nothing at all acted on the
caller's own mailbox (inferred).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from forensics.identity.cmdlet_targets import ORGANISATION, target_kind
from forensics.parsers.arrowtext import S, Uniq

_HOSTED = r"(?i)microsoft exchange hosted organizations/[^/\\]+"
#: the object inside a tenant path: "<…>/<tenant>/<object>" or "<…>/<tenant>/<mailbox>\<rule>"
_PATH_OBJECT = _HOSTED + r"/(?P<v>[^/\\]+)(?:\\[^/]*)?$"
#: the tenant itself: "<…>/<tenant>" (a tenant-wide change)
_TENANT_ONLY = _HOSTED + r"/?$"


@dataclass
class CmdletTargets:
    """Per record: the mailbox a cmdlet acted on (null: none or not a cmdlet), whether it was
    inferred (the caller's own), and the ``object=``/``ObjectId=`` details to add."""

    mailbox: pa.Array
    own: np.ndarray
    details: pa.Array
    organisation: np.ndarray  # the cmdlet acted on an organisation object: no mailbox at all


def _extract(values: pa.Array, pattern: str) -> pa.Array:
    return pc.struct_field(pc.extract_regex(values, pattern), [0])


def _tail(values: pa.Array) -> pa.Array:
    """A tenant path shortened to its object (a mailbox's Entra object id); others unchanged."""
    return pc.coalesce(_extract(values, _PATH_OBJECT), values)


def cmdlet_targets(
    operation_raw: pa.Array,
    admin_cmd: np.ndarray,
    rule: np.ndarray,
    identity: pa.Array,
    mailbox_param: pa.Array,
    object_id: pa.Array,
) -> CmdletTargets:
    """See the module docstring; ``rule`` marks the inbox-rule cmdlets (identity ``<mailbox>\\<rule>``)."""
    n = len(operation_raw)
    none = pa.scalar(None, S)
    names = Uniq.encode(operation_raw)
    kinds = np.array([target_kind(name) for name in names.values.to_pylist()] + ["other"], dtype=object)[names.index]
    mailbox_kind = admin_cmd & ((kinds == "mailbox") | rule)
    tenant_only = _flag(pc.match_substring_regex(object_id, _TENANT_ONLY))
    named = pc.coalesce(mailbox_param, pc.if_else(pa.array(rule), _extract(identity, r"^(?P<v>.+)\\[^\\]*$"), identity))
    unnamed = _flag(pc.is_null(named))
    organisation = admin_cmd & ((kinds == "organisation") | (~mailbox_kind & unnamed & tenant_only))
    # the ObjectId names the mailbox of a mailbox cmdlet: "<…>/<mailbox>\<rule>" or "<…>/<mailbox>"
    in_rule = _extract(object_id, r"(?:^|/)(?P<v>[^/\\]+)\\[^\\/]*$")
    whole = pc.if_else(pa.array(tenant_only), none, _extract(object_id, r"(?:^|/)(?P<v>[^/\\]+)$"))
    object_box = pc.if_else(pa.array(rule), pc.coalesce(in_rule, whole), pc.coalesce(whole, in_rule))
    from_object = mailbox_kind & unnamed & _flag(pc.is_valid(object_box))
    target = pc.coalesce(named, pc.if_else(pa.array(from_object), object_box, none))
    target = pc.if_else(pa.array(organisation | ~admin_cmd), none, _tail(target))
    own = mailbox_kind & ~organisation & _flag(pc.is_null(target))

    obj = pc.coalesce(identity, _extract(object_id, _PATH_OBJECT), pc.if_else(pa.array(tenant_only), none, object_id),
                      pa.scalar(ORGANISATION, S))
    details = pc.coalesce(
        pc.if_else(pa.array(organisation), pc.binary_join_element_wise("object=", obj, ""), none),
        pc.if_else(pa.array(from_object & ~organisation), pc.binary_join_element_wise("ObjectId=", object_id, ""), none),
    )
    return CmdletTargets(target.cast(S), own, details.cast(S), organisation)


def _flag(values: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)
