"""The matcher: rows -> records (same record in several files) -> accesses (across families).

Vectorized throughout: records come from one sort of integer keys; accesses from a few
``pd.merge_asof`` calls per family layer (nearest founding row in the rule's window, by
persons and folder/item codes), conflicts settled with numpy. The Python loops are over
families, layers, match levels and rounds (a handful each), never over rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forensics.correlate import rules
from forensics.correlate.keys import CLASSES, RowKeys, combine_codes

NAT = np.iinfo(np.int64).min
SECOND = 1_000_000_000
MAX_ROUNDS = 25  # a conflict loser retries against the accesses still free; rounds shrink fast
_BIND = CLASSES.index("MessageOpen")
#: every rule a row can be placed by (``Matched.rule`` codes index this)
RULE_NAMES: tuple[str, ...] = (rules.FOUNDING, rules.SAME_RECORD, rules.ALONE, rules.STORE.rule,
                               rules.SAME_FAMILY.rule, rules.IIS.rule, rules.UAL.rule, rules.UAL_BIND.rule,
                               rules.SAME_MESSAGE, rules.PROXY.rule)
FOUNDING, SAME_RECORD, ALONE = 0, 1, 2


def cumcount(group: np.ndarray) -> np.ndarray:
    """Position of each element among the earlier elements of its group (stable order)."""
    n = len(group)
    if not n:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(group, kind="stable")
    g = group[order]
    start = np.r_[True, g[1:] != g[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    out = np.empty(n, dtype=np.int64)
    out[order] = np.arange(n) - first
    return out


def _dense(*codes: np.ndarray) -> np.ndarray:
    """One dense code per distinct tuple of codes (``keys.combine_codes``)."""
    return combine_codes(*codes)


@dataclass
class Matched:
    """Per row: its access (dense 0..n_accesses-1, in time order) and the rule that put it there."""

    access: np.ndarray
    rule: np.ndarray  # int8 code per row into RULE_NAMES
    #: per joined record (cross-family): evidence code of its row, offset to the founding row (ns),
    #: whether the offset measures a clock (False for Bind aggregation), the founding family
    offsets: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: per evidence code: offsets seen only in a wide window (a suspected clock offset)
    wide: pd.DataFrame = field(default_factory=pd.DataFrame)


def records(keys: RowKeys) -> np.ndarray:
    """Record id per row: rows of different files of one family with the same record key,
    paired in order (the k-th such row of one file with the k-th of another)."""
    n = len(keys.record)
    twin = keys.record < n  # ``row_keys`` gives rows that cannot have a twin codes n, n+1, ...
    if keys.same_message is not None:
        twin |= keys.same_message  # tracking rows of one message: twins across logs, whatever their times
    rec = np.empty(n, dtype=np.int64)
    alone = ~twin
    n_alone = int(alone.sum())
    rec[alone] = np.arange(n_alone)
    if twin.any():
        record, evidence = keys.record[twin], keys.evidence[twin].astype(np.int64)
        ordinal = cumcount(combine_codes(record, evidence, dense=False))
        rec[twin] = n_alone + _dense(record, ordinal)
    return rec


def _layers(keys: RowKeys, ok: np.ndarray) -> np.ndarray:
    """Layer per evidence code: files of one family whose time spans overlap get different
    layers (greedy colouring over at most a few hundred files), so one access can hold one
    row of each (an Exchange 2013 and a 2003 IIS log of the same request)."""
    n_ev = int(keys.evidence.max()) + 1 if len(keys.evidence) else 0
    layer = np.zeros(max(n_ev, 1), dtype=np.int64)
    sel = ok & (keys.evidence >= 0)
    if not sel.any():
        return layer
    ev, t = keys.evidence[sel].astype(np.int64), keys.time[sel]
    first = np.full(n_ev, np.iinfo(np.int64).max)
    last = np.full(n_ev, np.iinfo(np.int64).min)
    np.minimum.at(first, ev, t)  # per file: a scatter over a few hundred slots, not a groupby
    np.maximum.at(last, ev, t)
    family = np.full(n_ev, -1, dtype=np.int64)
    family[ev] = keys.family[sel]
    used = np.flatnonzero(family >= 0)
    spans = pd.DataFrame({"ev": used, "fam": family[used], "min": first[used], "max": last[used]}).sort_values(
        ["fam", "min", "ev"], kind="stable")
    for _fam, files in spans.groupby("fam", sort=False):  # per file, not per row
        ends: list[int] = []  # per layer, the end of its last file
        for code, lo, hi in zip(files["ev"].tolist(), files["min"].tolist(), files["max"].tolist()):
            free = next((i for i, end in enumerate(ends) if end < lo), None)
            if free is None:
                free = len(ends)
                ends.append(hi)
            else:
                ends[free] = hi
            layer[code] = free
    return layer


class _Accesses:
    """The accesses founded so far (parallel arrays, appended per stage)."""

    def __init__(self) -> None:
        self.cols: dict[str, np.ndarray] = {k: np.zeros(0, np.int64) for k in
                                            ("time", "family", "persons", "folder", "subject", "message_id", "cls")}

    def __len__(self) -> int:
        return len(self.cols["time"])

    def add(self, **values: np.ndarray) -> np.ndarray:
        start = len(self)
        for k in self.cols:
            self.cols[k] = np.concatenate([self.cols[k], values[k].astype(np.int64)])
        return np.arange(start, len(self))

    def fill(self, idx: np.ndarray, name: str, values: np.ndarray) -> None:
        """Give matched accesses a folder/item they lacked (later rows must then agree with it)."""
        col = self.cols[name]
        col[idx] = np.where(col[idx] < 0, values, col[idx])


def _asof(left_t: np.ndarray, left_by: np.ndarray, right_t: np.ndarray, right_by: np.ndarray,
          tolerance: int, direction: str) -> np.ndarray:
    """Index into right (or -1) of each left element's match (``pd.merge_asof`` by ``by``)."""
    if not len(left_t) or not len(right_t):
        return np.full(len(left_t), -1, dtype=np.int64)
    lo = np.argsort(left_t, kind="stable")
    ro = np.argsort(right_t, kind="stable")
    # copy=False: three separate blocks, not one stacked 2-D copy of millions of rows
    left = pd.DataFrame({"t": left_t[lo], "by": left_by[lo], "li": lo}, copy=False)
    right = pd.DataFrame({"t": right_t[ro], "by": right_by[ro], "ri": ro}, copy=False)
    merged = pd.merge_asof(left, right, on="t", by="by", direction=direction, tolerance=tolerance,
                           allow_exact_matches=True)
    out = np.full(len(left_t), -1, dtype=np.int64)
    out[merged["li"].to_numpy()] = merged["ri"].fillna(-1).to_numpy().astype(np.int64)
    return out


def _spread(cand: np.ndarray, left_t: np.ndarray, right_t: np.ndarray, right_by: np.ndarray, left_by: np.ndarray,
            hi_ns: int) -> np.ndarray:
    """Forward matches that picked the same founding row move on to the next ones of their
    key, in time order: the k-th item of an aggregated record takes the k-th open at or after
    its time (the FIFO greedy, optimal for windows of one length)."""
    has = cand >= 0
    if not has.any():
        return cand
    order = np.lexsort((right_t, right_by))  # right rows grouped by key, in time order
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    idx = np.flatnonzero(has)
    sub = idx[np.lexsort((idx, left_t[idx]))]
    k = cumcount(cand[sub])
    pos = rank[cand[sub]] + k
    ok = pos < len(order)
    target = np.full(len(sub), -1, dtype=np.int64)
    target[ok] = order[pos[ok]]
    same = ok.copy()
    same[ok] = (right_by[target[ok]] == left_by[sub[ok]]) & (right_t[target[ok]] <= left_t[sub[ok]] + hi_ns)
    out = cand.copy()
    out[sub] = np.where(same, target, -1)
    return out


def correlate_records(keys: RowKeys) -> Matched:
    """Assign every row to an access (see ``rules``)."""
    n = len(keys.time)
    rec = records(keys)
    n_rec = int(rec.max()) + 1 if n else 0
    ok_row = keys.correlatable
    layer_of_ev = _layers(keys, ok_row)
    row_layer = np.where(keys.evidence >= 0, layer_of_ev[np.maximum(keys.evidence, 0)], 0)
    # representative row of each record: its lowest layer, then earliest row
    order = np.lexsort((np.arange(n), row_layer, rec))
    first = np.r_[True, rec[order][1:] != rec[order][:-1]] if n else np.zeros(0, bool)
    rep = order[first]  # rep[r] = representative row of record r
    r_ok = ok_row[rep]
    r_fam = keys.family[rep].astype(np.int64)
    r_layer = row_layer[rep]
    rec_access = np.full(n_rec, -1, dtype=np.int64)
    rec_rule = np.full(n_rec, FOUNDING, dtype=np.int8)
    acc = _Accesses()
    offsets: list[pd.DataFrame] = []
    wide: list[pd.DataFrame] = []
    width = int(r_layer.max(initial=0)) + 1
    stages = np.unique(r_fam[r_ok] * width + r_layer[r_ok])  # (family, layer) codes, in anchoring order
    for fam, lay in ((int(s) // width, int(s) % width) for s in stages):
        members = np.flatnonzero(r_ok & (r_fam == fam) & (r_layer == lay))
        rows = rep[members]
        if len(acc):
            matched, rule_names, dt, clock = _join_stage(keys, rows, fam, acc)
            hit = matched >= 0
            rec_access[members[hit]] = matched[hit]
            rec_rule[members[hit]] = rule_names[hit]
            for name, col in (("folder", keys.folder), ("subject", keys.subject), ("message_id", keys.message_id)):
                acc.fill(matched[hit], name, col[rows[hit]])
            founding_family = acc.cols["family"][matched[hit]]
            offsets.append(pd.DataFrame({"evidence": keys.evidence[rows[hit]], "offset_ns": dt[hit],
                                         "clock": clock[hit] & (founding_family != fam),
                                         "against": founding_family}))
            if (~hit).any():
                wide.append(_wide_offsets(keys, rows[~hit], fam, acc))
        else:
            hit = np.zeros(len(members), dtype=bool)
        new = members[~hit]
        nrows = rep[new]
        rec_access[new] = acc.add(time=keys.time[nrows], family=np.full(len(new), fam), persons=keys.persons[nrows],
                                  folder=keys.folder[nrows], subject=keys.subject[nrows],
                                  message_id=keys.message_id[nrows], cls=keys.access_class[nrows].astype(np.int64))
    # records outside correlation (no persons, no class, no time, another source) stand alone
    loose = np.flatnonzero(rec_access < 0)
    n_acc = len(acc)
    rec_access[loose] = n_acc + np.arange(len(loose))
    row_access = rec_access[rec] if n else np.zeros(0, np.int64)
    # rule per row: the record's rule on its representative, "same-record" on its twins
    is_rep = np.zeros(n, dtype=bool)
    is_rep[rep] = True
    row_rule = np.where(is_rep, rec_rule[rec] if n else np.zeros(0, np.int8), SAME_RECORD).astype(np.int8)
    if keys.same_message is not None:
        row_rule[~is_rep & keys.same_message] = RULE_NAMES.index(rules.SAME_MESSAGE)
    sizes = np.bincount(row_access, minlength=n_acc + len(loose)) if n else np.zeros(0, np.int64)
    row_rule[sizes[row_access] == 1] = ALONE
    # dense ids in time order of the accesses' first rows
    first_t = np.full(len(sizes), np.iinfo(np.int64).max)
    np.minimum.at(first_t, row_access, np.where(keys.time == NAT, np.iinfo(np.int64).max - 1, keys.time))
    first_row = np.full(len(sizes), n)
    np.minimum.at(first_row, row_access, np.arange(n))
    rank = np.empty(len(sizes), dtype=np.int64)
    rank[np.lexsort((first_row, first_t))] = np.arange(len(sizes))
    return Matched(rank[row_access], row_rule,
                   pd.concat(offsets, ignore_index=True) if offsets else pd.DataFrame(),
                   pd.concat(wide, ignore_index=True) if wide else pd.DataFrame())


def _join_stage(keys: RowKeys, rows: np.ndarray, fam: int, acc: _Accesses
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Match one family layer's records (their representative ``rows``) onto the accesses.

    Returns per row: access index (-1 none), rule name, offset to the founding row (ns), and
    whether that offset measures a clock. Levels try the most specific key first (persons +
    folder + item), then persons + folder, persons + item, persons alone, each checked for
    compatible folder/item; a founding row taken twice goes to the closer row, the other
    retries on the next round against the accesses still free in this layer.
    """
    m = len(rows)
    family_name = rules.FAMILY_ORDER[fam]
    t = keys.time[rows]
    persons, folder = keys.persons[rows], keys.folder[rows]
    subject, message_id = keys.subject[rows], keys.message_id[rows]
    cls = keys.access_class[rows].astype(np.int64)
    a = acc.cols
    taken = np.zeros(len(acc), dtype=bool)
    result = np.full(m, -1, dtype=np.int64)
    rule_of = np.full(m, FOUNDING, dtype=np.int8)
    dt_of = np.zeros(m, dtype=np.int64)
    clock_of = np.ones(m, dtype=bool)
    pending = np.ones(m, dtype=bool)
    same = a["family"] == fam
    # a web request is joined only across families (HttpProxy with IIS), never within one
    cross_only = cls == CLASSES.index(rules.WEB_REQUEST)
    # the window depends on the side (same family or not) and, for UAL, on the class
    win_same = rules.SAME_FAMILY
    if fam == 0:  # the first family only meets itself (a later layer)
        win_other = [rules.SAME_FAMILY] * len(CLASSES)
    else:
        win_other = [rules.window(family_name, rules.FAMILY_ORDER[0], name) for name in CLASSES]
    other_kinds = sorted(set(win_other), key=win_other.index)
    kind_of = np.array([other_kinds.index(w) for w in win_other], dtype=np.int64)[np.maximum(cls, 0)]
    item = {"folder": folder, "subject": subject, "message_id": message_id}
    levels = (
        ((folder >= 0) & (subject >= 0), ("folder", "subject")),
        ((folder >= 0) & (message_id >= 0), ("folder", "message_id")),
        (folder >= 0, ("folder",)),
        (subject >= 0, ("subject",)),
        (np.ones(m, dtype=bool), ()),
    )
    named = {name: a[name] >= 0 for name in ("folder", "subject", "message_id")}  # once per layer
    for _round in range(MAX_ROUNDS):
        cand = np.full(m, -1, dtype=np.int64)
        cand_rule = np.full(m, FOUNDING, dtype=np.int8)
        free = ~taken
        for eligible, names in levels:
            for side_same in (True, False):
                side = same if side_same else ~same
                for k, win in ([(-1, win_same)] if side_same else list(enumerate(other_kinds))):
                    lmask = pending & (cand < 0) & eligible
                    if side_same:
                        lmask &= ~cross_only
                    if k >= 0:
                        lmask &= kind_of == k
                    if not lmask.any():
                        continue
                    rmask = free & side
                    for name in names:
                        rmask &= named[name]
                    if not rmask.any():
                        continue
                    lidx, ridx = np.flatnonzero(lmask), np.flatnonzero(rmask)
                    lby, rby = _shared_codes(persons[lidx], [item[k2][lidx] for k2 in names],
                                             a["persons"][ridx], [a[k2][ridx] for k2 in names])
                    lo_ns, hi_ns = int(win.lo * SECOND), int(win.hi * SECOND)
                    if win.mode == "forward":
                        # founding time in [t - hi, t - lo]: the earliest from t - hi
                        got = _asof(t[lidx] - hi_ns, lby, a["time"][ridx], rby, hi_ns - lo_ns, "forward")
                        got = _spread(got, t[lidx] - hi_ns, a["time"][ridx], rby, lby, hi_ns - lo_ns)
                    else:
                        got = _asof(t[lidx], lby, a["time"][ridx], rby, max(-lo_ns, hi_ns), "nearest")
                    has = got >= 0
                    target = np.where(has, ridx[np.maximum(got, 0)], -1)
                    safe = np.maximum(target, 0)
                    d = t[lidx] - a["time"][safe]
                    fits = has & (d >= lo_ns) & (d <= hi_ns) & _compatible(
                        folder[lidx], a["folder"][safe], subject[lidx], a["subject"][safe],
                        message_id[lidx], a["message_id"][safe])
                    cand[lidx[fits]] = target[fits]
                    cand_rule[lidx[fits]] = RULE_NAMES.index(win.rule)
                    clock_of[lidx[fits]] = win.mode != "forward"
        # one row per access per layer: the closest wins, ties to the earlier row
        has = np.flatnonzero(cand >= 0)
        if not len(has):
            break
        d = np.abs(t[has] - a["time"][cand[has]])
        order = np.lexsort((has, d, cand[has]))
        win_first = np.r_[True, cand[has][order][1:] != cand[has][order][:-1]]
        winners = has[order][win_first]
        result[winners] = cand[winners]
        rule_of[winners] = cand_rule[winners]
        dt_of[winners] = t[winners] - a["time"][cand[winners]]
        taken[cand[winners]] = True
        pending[cand < 0] = False  # nothing fits: an access of its own
        pending[winners] = False
        if not pending.any():
            break
    return result, rule_of, dt_of, clock_of


def _shared_codes(lp: np.ndarray, lx: list[np.ndarray], rp: np.ndarray, rx: list[np.ndarray]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """One code space for the left and right ``by`` tuples (merge_asof compares them)."""
    both = combine_codes(np.concatenate([lp, rp]), *[np.concatenate([l, r]) for l, r in zip(lx, rx)], dense=False)
    return both[: len(lp)], both[len(lp):]


def _compatible(lf: np.ndarray, rf: np.ndarray, ls: np.ndarray, rs: np.ndarray, lm: np.ndarray, rm: np.ndarray
                ) -> np.ndarray:
    """Folder, subject and message id agree wherever both sides name one."""
    return (((lf < 0) | (rf < 0) | (lf == rf)) & ((ls < 0) | (rs < 0) | (ls == rs))
            & ((lm < 0) | (rm < 0) | (lm == rm)))


#: how far the search for a suspected clock offset looks
WIDE_NS = 3600 * SECOND


def _wide_offsets(keys: RowKeys, rows: np.ndarray, fam: int, acc: _Accesses) -> pd.DataFrame:
    """Offsets of unmatched rows to founding rows of other families with the same persons,
    folder and subject, up to an hour away: many at one offset mean a clock, not chance."""
    a = acc.cols
    rmask = (a["family"] != fam) & (a["folder"] >= 0) & (a["subject"] >= 0)
    lsel = rows[(keys.folder[rows] >= 0) & (keys.subject[rows] >= 0)]
    if not len(lsel) or not rmask.any():
        return pd.DataFrame()
    ridx = np.flatnonzero(rmask)
    lby, rby = _shared_codes(keys.persons[lsel], [keys.folder[lsel], keys.subject[lsel]],
                             a["persons"][ridx], [a["folder"][ridx], a["subject"][ridx]])
    got = _asof(keys.time[lsel], lby, a["time"][ridx], rby, WIDE_NS, "nearest")
    has = got >= 0
    target = ridx[got[has]]
    return pd.DataFrame({"evidence": keys.evidence[lsel[has]], "offset_ns": keys.time[lsel[has]] - a["time"][target],
                         "against": a["family"][target]})
