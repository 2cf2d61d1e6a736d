"""The actor side and the mailbox side of a frame, one entry per distinct (value, ids) pair.

``decide`` and ``person_label`` look at one combination at a time. Here every distinct form
string (of either side) is analysed once (``forms.analyse``), each distinct (value, ids) pair
gets what those functions derive from its forms (identity present? directory person? label?
keys?), and rows keep only the pair number. Labels are then split across the pairs of both
sides where one label would join accounts with different SIDs (``sid_split``). Owner-by-alias
between an actor pair and a mailbox pair is a lookup of integer key ids (``shares_key``), not
a set intersection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from forensics.identity.directory import Directory
from forensics.identity.forms import Forms, analyse
from forensics.identity.sid_split import ACCOUNT_SID_PREFIXES, split_labels

KeyIds = tuple[np.ndarray, np.ndarray, int]  # key id of each form's key_a, key_b (-1: none); how many


@dataclass
class Side:
    """One identity column (with its ``_ids`` column) reduced to distinct pairs."""

    rows: np.ndarray  # pair number of every row
    has_identity: np.ndarray  # bool per pair: some form is non-empty (else "missing-identity")
    person: np.ndarray  # directory person per pair (first form the directory knows), -1 none
    label: np.ndarray  # object per pair: person_label(value, ids, directory), split by sid_split
    key_codes: np.ndarray  # sorted unique pair * n_keys + key id: the pair's identity keys
    n_keys: int  # size of the key numbering both sides share
    has_sid: np.ndarray  # bool per pair: some form is a SID
    sid_codes: np.ndarray  # like key_codes, the SIDs only
    id_only: np.ndarray  # bool per pair: every form is an id no name compares with (keys.id_like)


@dataclass
class _Pairs:
    """Distinct (value, ids) pairs of one side and the forms each names, in order."""

    rows: np.ndarray
    count: int
    form_pair: np.ndarray  # pair of each form, ascending; a pair's forms keep their order
    form_text: pa.Array


def sides(frame: pd.DataFrame, directory: Directory | None = None) -> tuple[Side, Side]:
    """The actor and mailbox sides of ``frame``, sharing one key numbering."""
    actor = _pairs(frame["actor"], frame["actor_ids"])
    mailbox = _pairs(frame["mailbox"], frame["mailbox_ids"])
    encoded = pa.chunked_array([actor.form_text, mailbox.form_text], pa.large_string()).combine_chunks()
    encoded = encoded.dictionary_encode()
    forms = analyse(encoded.dictionary, directory)
    index = np.asarray(encoded.indices, dtype=np.int64)
    split = len(actor.form_pair)
    key_ids = _key_ids(forms, index[:split] if split <= len(index) - split else index[split:])
    actor_side = _side(actor, index[:split], forms, key_ids, directory)
    mailbox_side = _side(mailbox, index[split:], forms, key_ids, directory)
    _split_contradicted((actor, actor_side, index[:split]), (mailbox, mailbox_side, index[split:]), forms, directory)
    return actor_side, mailbox_side


def _split_contradicted(
    actor: tuple[_Pairs, Side, np.ndarray], mailbox: tuple[_Pairs, Side, np.ndarray], forms: Forms,
    directory: Directory | None,
) -> None:
    """Give accounts that share a label but not a SID distinct labels (``sid_split``)."""
    is_sid = forms.sid & forms.truthy
    if is_sid.any():
        is_sid &= np.asarray(pc.starts_with(forms.key_a.fill_null(""), pattern=ACCOUNT_SID_PREFIXES[0]))\
            | np.asarray(pc.starts_with(forms.key_a.fill_null(""), pattern=ACCOUNT_SID_PREFIXES[1]))
    if not is_sid.any():
        return
    sid_text, sid_number = np.unique(
        np.asarray(pc.ascii_upper(forms.key_a.filter(pa.array(is_sid))).to_numpy(zero_copy_only=False), dtype=object),
        return_inverse=True,
    )
    code_of = np.full(len(is_sid), -1, dtype=np.int64)
    code_of[is_sid] = sid_number
    named = np.array([bool(name) for name in directory.names], dtype=bool) if directory is not None else None
    labels, fixed, sid_pair, sid_code = [], [], [], []
    for pairs, side, index in (actor, mailbox):
        labels.append(side.label)
        fixed.append(named[np.maximum(side.person, 0)] & (side.person >= 0) if named is not None and len(named)
                     else np.zeros(len(side.label), dtype=bool))
        on = is_sid[index]
        sid_pair.append(pairs.form_pair[on])
        sid_code.append(code_of[index[on]])
    actor[1].label, mailbox[1].label = split_labels(labels, fixed, sid_pair, sid_code, sid_text)


def shares_key(actor: Side, mailbox: Side, actor_pair: np.ndarray, mailbox_pair: np.ndarray) -> np.ndarray:
    """For each (actor pair, mailbox pair): do their key sets intersect (decide's alias-match)?"""
    return _shares(actor.key_codes, mailbox.key_codes, actor.n_keys, actor_pair, mailbox_pair)


def sids_conflict(actor: Side, mailbox: Side, actor_pair: np.ndarray, mailbox_pair: np.ndarray) -> np.ndarray:
    """Both sides name SIDs and share none: two accounts, whatever their names share."""
    both = actor.has_sid[actor_pair] & mailbox.has_sid[mailbox_pair]
    return both & ~_shares(actor.sid_codes, mailbox.sid_codes, actor.n_keys, actor_pair, mailbox_pair)


def _shares(a_codes: np.ndarray, m_codes: np.ndarray, n_keys: int, actor_pair: np.ndarray, mailbox_pair: np.ndarray) -> np.ndarray:
    a_pair, a_key = np.divmod(a_codes, n_keys)
    starts = np.searchsorted(a_pair, actor_pair, side="left")
    counts = np.searchsorted(a_pair, actor_pair, side="right") - starts
    which = np.repeat(np.arange(len(actor_pair)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    probe = mailbox_pair[which] * n_keys + a_key[np.repeat(starts, counts) + offsets]
    at = np.searchsorted(m_codes, probe).clip(max=max(len(m_codes) - 1, 0))
    hit = m_codes[at] == probe if len(m_codes) else np.zeros(len(probe), dtype=bool)
    return np.bincount(which[hit], minlength=len(actor_pair)) > 0


def _pairs(values: pd.Series, ids: pd.Series) -> _Pairs:
    """Number the distinct (value, ids) pairs and list each pair's forms."""
    value_codes, value_uniques = _codes(values)
    if ids.isna().all():
        rows = np.where(value_codes < 0, len(value_uniques), value_codes)  # NA value: one more pair
        count = len(value_uniques) + 1
        return _Pairs(rows, count, np.arange(len(value_uniques)), value_uniques)
    ids_codes, ids_uniques = _codes(ids)
    combined = (value_codes + 1) * (len(ids_uniques) + 1) + (ids_codes + 1)
    rows, uniques = pd.factorize(combined)
    pair_value, pair_ids = np.divmod(uniques.astype(np.int64), len(ids_uniques) + 1)
    has_value = np.flatnonzero(pair_value > 0)
    value_forms = value_uniques.take(pa.array(pair_value[has_value] - 1))
    parts = pc.split_pattern(ids_uniques.take(pa.array(np.maximum(pair_ids - 1, 0))), "|")
    parts = pc.if_else(pa.array(pair_ids > 0), parts, pa.nulls(len(parts), parts.type))
    flat = pc.list_flatten(parts)
    parents = np.asarray(pc.list_parent_indices(parts), dtype=np.int64)
    keep = pc.not_equal(flat, "")
    form_pair = np.concatenate([has_value, parents[np.asarray(keep)]])
    order = np.argsort(form_pair, kind="stable")  # value first, then the ids in their order
    text = pa.concat_arrays([value_forms, flat.filter(keep).cast(pa.large_string())]).take(pa.array(order))
    return _Pairs(rows.astype(np.int64), len(uniques), form_pair[order], text)


def _codes(column: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Integer codes (-1 for NA) and the distinct strings they number."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        uniques = column.cat.categories
    else:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        codes = codes.astype(np.int64)
    strings = pa.array(np.asarray(uniques.astype(str), dtype=object), pa.large_string())
    return codes, strings


def _key_ids(forms: Forms, shared_by: np.ndarray) -> KeyIds:
    """Number the identity keys of the forms ``shared_by`` (the side with fewer forms); other
    keys get -1. Only a key both sides have makes an alias-match, so numbering the smaller
    side's keys is enough, and cheaper than numbering every key of a 150k-mailbox side."""
    chosen = pa.array(np.unique(shared_by))
    vocabulary = pc.unique(pa.concat_arrays([forms.key_a.take(chosen), forms.key_b.take(chosen)]).drop_null())
    ids = pc.index_in(pa.concat_arrays([forms.key_a, forms.key_b]), value_set=vocabulary)
    ids = np.asarray(ids.fill_null(-1), dtype=np.int64)
    n = len(forms.key_a)
    return ids[:n], ids[n:], max(len(vocabulary), 1)


def _first(form_pair: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs that have a form satisfying ``mask`` and the index of the first such form."""
    at = np.flatnonzero(mask)
    pairs = form_pair[at]
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    return pairs[first], at[first]


def _side(pairs: _Pairs, index: np.ndarray, forms: Forms, key_ids: KeyIds, directory: Directory | None) -> Side:
    """Per pair what decide and person_label derive from its forms."""
    n = pairs.count
    truthy = forms.truthy[index]
    has_identity = np.zeros(n, dtype=bool)
    has_identity[pairs.form_pair[truthy]] = True
    person = _pair_person(pairs, index, forms, directory)
    label = _labels(pairs, index, forms, directory, person)
    key_a, key_b, n_keys = key_ids
    codes = np.concatenate([pairs.form_pair * n_keys + key_a[index], pairs.form_pair * n_keys + key_b[index]])
    valid = np.concatenate([key_a[index] >= 0, key_b[index] >= 0])
    sid = forms.sid[index] & truthy
    has_sid = np.zeros(n, dtype=bool)
    has_sid[pairs.form_pair[sid]] = True
    sid_key = key_a[index][sid]
    sid_codes = np.unique((pairs.form_pair[sid] * n_keys + sid_key)[sid_key >= 0])
    forms_of = np.bincount(pairs.form_pair[truthy], minlength=n)
    ids_of = np.bincount(pairs.form_pair[truthy & forms.idlike[index]], minlength=n)
    id_only = (forms_of > 0) & (ids_of == forms_of)
    return Side(pairs.rows, has_identity, person, label, np.unique(codes[valid]), n_keys, has_sid, sid_codes, id_only)


def _pair_person(pairs: _Pairs, index: np.ndarray, forms: Forms, directory: Directory | None) -> np.ndarray:
    """``Directory.person`` of each pair's forms: exact ids (SID, GUID) first, two of them
    naming two people name nobody; then the first address form; then the first bare name,
    unless an unknown SID beside it contradicts that person's directory SID."""
    n = pairs.count
    person = np.full(n, -1, dtype=np.int64)
    if directory is None:
        return person
    form_person = forms.person[index]
    known = form_person >= 0
    opaque = forms.opaque[index]
    fp = pairs.form_pair
    exact = np.full(n, -1, dtype=np.int64)
    at, first = _first(fp, opaque & known)
    exact[at] = form_person[first]
    both = opaque & known
    torn = np.unique(fp[both][form_person[both] != exact[fp[both]]])
    address_form = forms.address[index]
    address = np.full(n, -1, dtype=np.int64)
    at, first = _first(fp, ~opaque & known & address_form)
    address[at] = form_person[first]
    bare = np.full(n, -1, dtype=np.int64)
    at, first = _first(fp, ~opaque & known & ~address_form)
    bare[at] = form_person[first]
    unknown_sid = np.zeros(n, dtype=bool)
    unknown_sid[fp[forms.sid[index] & ~known & forms.truthy[index]]] = True
    with_sid = np.zeros(max(len(directory.names), int(bare.max(initial=-1)) + 1), dtype=bool)
    with_sid[[p for p in directory.with_sid if p < len(with_sid)]] = True
    contradicted = (bare >= 0) & unknown_sid & with_sid[np.maximum(bare, 0)]
    named = np.where(address >= 0, address, np.where(contradicted, -1, bare))
    person = np.where(exact >= 0, exact, named)
    person[torn] = -1
    return person


def _labels(
    pairs: _Pairs, index: np.ndarray, forms: Forms, directory: Directory | None, person: np.ndarray
) -> np.ndarray:
    """person_label per pair: directory name, else the first alias, else the first form."""
    label = np.full(pairs.count, None, dtype=object)
    nonblank = forms.nonblank[index]
    at, first = _first(pairs.form_pair, nonblank)
    label[at] = np.asarray(forms.low.take(pa.array(index[first])).to_numpy(zero_copy_only=False), dtype=object)
    alias = forms.alias.take(pa.array(index))
    at, first = _first(pairs.form_pair, np.asarray(pc.is_valid(alias)) & nonblank)
    label[at] = np.asarray(alias.take(pa.array(first)).to_numpy(zero_copy_only=False), dtype=object)
    if directory is not None:
        at = np.flatnonzero(person >= 0)
        chosen = person[at]
        named = np.array([bool(name) for name in directory.names], dtype=bool)[chosen]
        label[at[named]] = np.asarray(directory.names, dtype=object)[chosen[named]]
    return label
