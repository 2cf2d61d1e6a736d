"""The keys, alias and directory person of many distinct identity forms at once.

``keys.identity_keys``, ``keys.alias_of`` and ``Directory.person`` look at one string at a
time; a log naming 150k distinct MAPI mailbox GUIDs made that cost seconds. Printable-ASCII
forms (nearly all evidence) go through pyarrow kernels that reproduce those functions
exactly (for them ``str.strip()`` strips only spaces and ``lower()`` is ASCII); any other
form (non-ASCII, control characters) still goes through the scalar functions, so results
never differ. ``tests/forensics/identity/test_forms.py`` checks the two agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from forensics.identity.directory import Directory
from forensics.identity.keys import BUILTIN_DOMAINS, alias_of, id_like, identity_keys, is_address, opaque_kind

_SID_OR_GUID = r"^(S-1-\d+(-\d+)+|\{?[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\}?)$"
_BUILTINS = pa.array(sorted(BUILTIN_DOMAINS))
_GUID_AT = r"^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?@"


@dataclass
class Forms:
    """Per distinct form string (same order as the strings given)."""

    key_a: pa.Array  # identity_keys(form) is {key_a, key_b} minus nulls
    key_b: pa.Array
    alias: pa.Array  # alias_of(form), null for None
    low: pa.Array  # form.strip().lower(): person_label's last resort, Directory.person's first try
    truthy: np.ndarray  # bool: form != "" ("if not value" in decide / Directory.person)
    nonblank: np.ndarray  # bool: form.strip() != "" (person_label keeps only these)
    person: np.ndarray  # int: Directory.form_person(form), -1 for none
    opaque: np.ndarray  # bool: an exact id (SID or bare GUID: keys.opaque_kind)
    sid: np.ndarray  # bool: a SID
    idlike: np.ndarray  # bool: keys.id_like (SID, GUID, <guid>@domain): no name compares with it
    address: np.ndarray  # bool: keys.is_address (x@domain, DOMAIN\\x, /o=…)


def analyse(strings: pa.Array, directory: Directory | None = None) -> Forms:
    """Analyse distinct non-null ``strings``: vectorized where exact, scalar elsewhere."""
    strings = strings.cast(pa.large_string())
    fast = ~_has_byte(strings, lambda data: (data - np.uint8(0x20)) > 0x5E)  # outside " ".."~"
    if fast.all():
        return _fast(strings, directory)
    slow_at = np.flatnonzero(~fast)
    parts = [
        _fast(strings.filter(pa.array(fast)), directory),
        _slow(strings.take(pa.array(slow_at)).to_pylist(), directory),
    ]
    order = np.argsort(np.concatenate([np.flatnonzero(fast), slow_at]), kind="stable")
    return _take(_concat(parts), order)


def _has_byte(strings: pa.Array, test: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Which strings (a large_string array without nulls) hold a byte passing ``test``:
    one numpy pass over the UTF-8 buffer, faster than a substring kernel per string."""
    buffers = strings.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[strings.offset : strings.offset + len(strings) + 1]
    found = np.zeros(len(strings), dtype=bool)
    if buffers[2] is None or offsets[-1] == offsets[0]:
        return found
    data = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    at = np.flatnonzero(test(data)) + offsets[0]
    found[np.searchsorted(offsets, at, side="right") - 1] = True
    return found


def _fast(strings: pa.Array, directory: Directory | None) -> Forms:
    """Printable-ASCII forms through pyarrow kernels (mirrors identity_keys and alias_of).
    Each branch of those functions runs only on the forms that take it."""
    n = len(strings)
    spaced = pc.utf8_trim(strings, " ")
    text = pc.utf8_trim(pc.utf8_trim(spaced, "'\""), " ")
    low = pc.ascii_lower(text)
    empty = np.asarray(pc.or_(pc.equal(text, ""), pc.equal(text, "-")))
    sid_or_guid = _sid_or_guid(text, low)
    full = pc.if_else(pa.array(sid_or_guid), pc.utf8_trim(low, "{}"), low)
    is_dn = np.asarray(pc.starts_with(low, "/o="))
    backslash = _has_byte(low, lambda data: data == ord("\\")) & ~is_dn
    at_sign = _has_byte(low, lambda data: data == ord("@")) & ~is_dn & ~backslash
    derived, alias = pa.nulls(n, pa.large_string()), pa.nulls(n, pa.large_string())
    if is_dn.any():
        last = _dn_alias(low.filter(pa.array(is_dn)))
        derived = pc.replace_with_mask(derived, pa.array(is_dn), last)
        alias = pc.replace_with_mask(alias, pa.array(is_dn), last)
    if backslash.any():
        parts = pc.split_pattern(low.filter(pa.array(backslash)), "\\", max_splits=1)
        user = pc.list_element(parts, 1)
        builtin = pc.is_in(pc.list_element(parts, 0), value_set=_BUILTINS)
        derived = pc.replace_with_mask(derived, pa.array(backslash), user)
        upper = pc.ascii_upper(text.filter(pa.array(backslash)))  # a built-in account stays whole
        alias = pc.replace_with_mask(alias, pa.array(backslash), pc.if_else(builtin, upper, user))
    if at_sign.any():
        local = pc.list_element(pc.split_pattern(low.filter(pa.array(at_sign)), "@", max_splits=1), 0)
        derived = pc.replace_with_mask(derived, pa.array(at_sign), local)
        spaced_at = pa.array(_has_byte(low, lambda data: data == ord(" "))[at_sign])  # "Pat Q@x": no alias
        local_alias = pc.if_else(spaced_at, pa.nulls(len(local), local.type), local)
        alias = pc.replace_with_mask(alias, pa.array(at_sign), local_alias)
    no_keys = pa.array(empty)
    none = pa.nulls(n, pa.large_string())
    gone = pc.or_(pc.or_(no_keys, pa.array(sid_or_guid)), pc.equal(derived, "").fill_null(False))
    stripped = pc.ascii_lower(spaced)
    forms = Forms(
        key_a=pc.if_else(no_keys, none, full),
        key_b=pc.if_else(gone, none, derived),
        alias=pc.if_else(pc.or_(gone, pc.equal(alias, "").fill_null(False)), none, alias),
        low=stripped,
        truthy=np.asarray(pc.not_equal(strings, "")),
        nonblank=np.asarray(pc.not_equal(stripped, "")),
        person=np.full(n, -1, dtype=np.int64),
        opaque=sid_or_guid,
        sid=sid_or_guid & np.asarray(pc.starts_with(low, "s-1-")),
        idlike=sid_or_guid | np.asarray(pc.fill_null(pc.match_substring_regex(text, _GUID_AT, ignore_case=True), False)),
        address=is_dn | _has_byte(low, lambda data: (data == ord("\\")) | (data == ord("@"))),
    )
    if directory is not None and directory.person_of:
        forms.person = _persons(strings, forms, directory)
    return forms


def _sid_or_guid(text: pa.Array, low: pa.Array) -> np.ndarray:
    """SID or GUID (braces optional); the regex runs only on forms of a fitting shape."""
    length = np.asarray(pc.binary_length(text))
    shaped = ((length >= 36) & (length <= 38)) | np.asarray(pc.starts_with(low, "s-1-"))
    found = np.zeros(len(text), dtype=bool)
    if shaped.any():
        candidates = text.filter(pa.array(shaped))
        found[shaped] = np.asarray(pc.match_substring_regex(candidates, _SID_OR_GUID, ignore_case=True))
    return found


def _dn_alias(low: pa.Array) -> pa.Array:
    """The alias of lower-case ``/o=…`` forms: last ``cn``, less a 32-hex-digit ``…-`` prefix
    ("" when there is no ``/cn=``)."""
    has_cn = pc.match_substring(low, "/cn=")
    last = pc.list_element(pc.split_pattern(low.filter(has_cn), "/cn=", max_splits=1, reverse=True), 1)
    last = pc.replace_with_mask(pa.array([""] * len(low), pa.large_string()), has_cn, last)
    return pc.replace_substring_regex(last, r"^[0-9a-f]{32}-(.+)$", r"\1")


def _persons(strings: pa.Array, forms: Forms, directory: Directory) -> np.ndarray:
    """Directory.person of each form: its stripped lower form first, then its keys. When the
    two keys name different people the answer depends on set order, so ask Directory.person."""
    keys = pa.array(list(directory.person_of), pa.large_string())
    people = np.fromiter(directory.person_of.values(), dtype=np.int64, count=len(keys))
    n = len(strings)
    found = pc.index_in(pa.concat_arrays([forms.low, forms.key_a, forms.key_b]), value_set=keys)
    hits = np.asarray(found.fill_null(-1), dtype=np.int64)
    by = np.where(hits >= 0, people[hits], -1).reshape(3, n)
    person = np.where(by[0] >= 0, by[0], np.where(by[1] >= 0, by[1], by[2]))
    person[~forms.truthy] = -1
    torn = np.flatnonzero((by[0] < 0) & (by[1] >= 0) & (by[2] >= 0) & (by[1] != by[2]))
    for i in torn:  # rare: the two keys of one form belong to two people
        answer = directory.form_person(strings[int(i)].as_py())
        person[i] = -1 if answer is None else answer
    return person


def _slow(strings: list[str], directory: Directory | None) -> Forms:
    """Forms the kernels cannot reproduce exactly, through the scalar functions."""
    keys = [sorted(identity_keys(s)) + [None, None] for s in strings]
    person = [directory.form_person(s) if directory is not None and s else None for s in strings]
    kinds = [opaque_kind(s) for s in strings]
    return Forms(
        key_a=pa.array([k[0] for k in keys], pa.large_string()),
        key_b=pa.array([k[1] for k in keys], pa.large_string()),
        alias=pa.array([alias_of(s) for s in strings], pa.large_string()),
        low=pa.array([s.strip().lower() for s in strings], pa.large_string()),
        truthy=np.array([s != "" for s in strings], dtype=bool),
        nonblank=np.array([s.strip() != "" for s in strings], dtype=bool),
        person=np.array([-1 if p is None else p for p in person], dtype=np.int64),
        opaque=np.array([k is not None for k in kinds], dtype=bool),
        sid=np.array([k == "sid" for k in kinds], dtype=bool),
        idlike=np.array([id_like(s) for s in strings], dtype=bool),
        address=np.array([is_address(s) for s in strings], dtype=bool),
    )


def _concat(parts: list[Forms]) -> Forms:
    return Forms(
        key_a=pa.concat_arrays([p.key_a for p in parts]),
        key_b=pa.concat_arrays([p.key_b for p in parts]),
        alias=pa.concat_arrays([p.alias for p in parts]),
        low=pa.concat_arrays([p.low for p in parts]),
        truthy=np.concatenate([p.truthy for p in parts]),
        nonblank=np.concatenate([p.nonblank for p in parts]),
        person=np.concatenate([p.person for p in parts]),
        opaque=np.concatenate([p.opaque for p in parts]),
        sid=np.concatenate([p.sid for p in parts]),
        idlike=np.concatenate([p.idlike for p in parts]),
        address=np.concatenate([p.address for p in parts]),
    )


def _take(forms: Forms, order: np.ndarray) -> Forms:
    index = pa.array(order)
    return Forms(
        key_a=forms.key_a.take(index), key_b=forms.key_b.take(index), alias=forms.alias.take(index),
        low=forms.low.take(index), truthy=forms.truthy[order], nonblank=forms.nonblank[order],
        person=forms.person[order], opaque=forms.opaque[order], sid=forms.sid[order],
        idlike=forms.idlike[order], address=forms.address[order],
    )
