"""Unified Audit Log records (parsed ``AuditData``) → rows of the normalized table.

Column-wise over an Arrow table of records (``AUDIT_SCHEMA``): one row per record, except
``MailItemsAccessed``, which becomes one row per item (``MailAccessType`` Bind) or per folder
(Sync), each keeping ``OperationCount`` and the parent record ``Id`` in ``details``.
Field meanings: ``reference/evidence-formats.md`` §5 (management activity API schema).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from forensics.localtime import to_ns
from forensics.parsers.arrowtext import S, Uniq, complete_columns, join, to_categorical, to_string_series
from forensics.parsers.m365.ual_targets import cmdlet_targets
from forensics.parsers.m365.ual_signins import SIGNIN_FIELDS, SIGNIN_RULE, sign_ins

_NV = pa.list_(pa.struct([("Name", S), ("Value", S)]))
AUDIT_SCHEMA = pa.schema(
    [(name, S) for name in (
        "CreationTime", "Id", "Operation", "Workload", "ResultStatus", "UserId", "ClientIP",
        "ClientIPAddress", "ClientInfoString", "ClientProcessName", "ClientMachineName", "AppId",
        "ClientAppId", "MailboxOwnerUPN", "MailboxOwnerSid", "MailboxGuid", "LogonUserSid",
        "LogonUserDisplayName", "OriginatingServer", "ObjectId", "SendAsUserSmtp", "SendOnBehalfOfUserSmtp", "UserKey",
    )]
    + [(name, pa.int64()) for name in ("RecordType", "UserType", "LogonType", "OperationCount")]
    + [
        ("OperationProperties", _NV),
        ("Parameters", _NV),
        ("Folders", pa.list_(pa.struct([
            ("Id", S), ("Path", S),
            ("FolderItems", pa.list_(pa.struct([("Id", S), ("InternetMessageId", S), ("Subject", S)]))),
        ]))),
        ("Item", pa.struct([
            ("Id", S), ("Subject", S), ("InternetMessageId", S),
            ("ParentFolder", pa.struct([("Path", S), ("MemberUpn", S), ("MemberRights", S)])),
        ])),
        ("AffectedItems", pa.list_(pa.struct([
            ("Subject", S), ("InternetMessageId", S), ("ParentFolder", pa.struct([("Path", S)])),
        ]))),
        ("Folder", pa.struct([("Path", S)])),
        ("DestFolder", pa.struct([("Path", S)])),
    ]
    + SIGNIN_FIELDS
)

#: LogonType enum of the management activity schema → table logon_type (None: resolve)
LOGON_TYPES = {0: "Owner", 1: "Admin", 2: "Delegate", 3: None, 4: None, 5: None, 6: "Admin"}
LOGON_NAMES = {0: "Owner", 1: "Admin", 2: "Delegated", 3: "Transport", 4: "SystemService", 5: "BestAccess", 6: "DelegatedAdmin"}
ADMIN_USER_TYPES = (2, 3)  # Admin, DcAdmin
EXCHANGE_RECORD_TYPES = (1, 2, 3, 19, 50, 101)

_RENAMED = {"FolderBind": "FolderOpen", "MessageBind": "MessageOpen", "MailboxLogin": "Logon"}
_INBOX_RULE = {"New-InboxRule", "Set-InboxRule", "Remove-InboxRule", "Enable-InboxRule",
               "Disable-InboxRule", "UpdateInboxRules"}
_PERMISSION = {"Add-MailboxPermission", "Remove-MailboxPermission", "Add-RecipientPermission",
               "Remove-RecipientPermission", "Add-MailboxFolderPermission", "Set-MailboxFolderPermission",
               "Remove-MailboxFolderPermission", "AddFolderPermissions", "ModifyFolderPermissions",
               "RemoveFolderPermissions", "UpdateFolderPermissions", "UpdateCalendarDelegation",
               "Add-ADPermission", "Remove-ADPermission"}
_EXPORT = {"New-MailboxExportRequest", "New-ComplianceSearch", "New-ComplianceSearchAction"}
_AUDIT = {"Set-AdminAuditLogConfig", "Set-MailboxAuditBypassAssociation", "Set-OrganizationConfig"}
_FORWARDING_PARAMS = {"forwardingsmtpaddress", "forwardingaddress", "delivertomailboxandforward"}
_CSV_FALLBACKS = ("operation", "operations", "userid", "userids", "creationdate")
_OUTCOMES = {"succeeded": "Success", "success": "Success", "true": "Success", "partiallysucceeded": "Success",
             "failed": "Failure", "failure": "Failure", "false": "Failure"}


def _normal_operation(name: str | None, record_type: int | None) -> str | None:
    if not name:
        return None
    if name in _RENAMED:
        return _RENAMED[name]
    if name in _INBOX_RULE:
        return "InboxRuleChange"
    if name in _PERMISSION:
        return "PermissionChange"
    if name in _EXPORT:
        return "MailboxExport"
    if name in _AUDIT:
        return "AuditConfigChange"
    if "-" in name and record_type in (1, None):  # any other cmdlet
        return "AdminCommand"
    return name  # SendAs, SendOnBehalf, Send, SoftDelete, HardDelete, MoveToDeletedItems, …


def _field(table: pa.Table, *path: str) -> pa.Array:
    col = table.column(path[0])
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    for name in path[1:]:
        col = pc.struct_field(col, name)
    return col


def _lists(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Flattened elements of a list column and the record each came from."""
    return pc.list_flatten(values), pc.list_parent_indices(values).to_numpy()


def _first_per_parent(n: int, parents: np.ndarray, values: pa.Array, mask: np.ndarray | None = None) -> pa.Array:
    """For each record, the first element (optionally among ``mask``); null if none."""
    idx = np.arange(len(parents)) if mask is None else np.flatnonzero(mask)
    source = np.full(n, -1, dtype=np.int64)
    if len(idx):
        rows, first = np.unique(parents[idx], return_index=True)
        source[rows] = idx[first]
    return values.take(pa.array(source, mask=source < 0))


def _name_value(n: int, pairs: pa.Array, name: str) -> pa.Array:
    flat, parents = _lists(pairs)
    if not len(flat):
        return pa.nulls(n, S)
    names = pc.utf8_lower(pc.struct_field(flat, "Name"))
    hit = pc.fill_null(pc.equal(names, name.lower()), False).to_numpy(zero_copy_only=False)
    return _first_per_parent(n, parents, pc.struct_field(flat, "Value"), hit)


def _joined_per_record(n: int, values: pa.Array, parents: np.ndarray, sep: str) -> pa.Array:
    """Join a flattened text list back per record (records without elements → null)."""
    counts = np.bincount(parents, minlength=n) if len(parents) else np.zeros(n, dtype=np.int64)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
    order = np.argsort(parents, kind="stable")
    lists = pa.ListArray.from_arrays(offsets, values.take(pa.array(order)))
    joined = pc.binary_join(lists, sep)
    return pc.if_else(pc.equal(joined, ""), pa.scalar(None, S), joined)


def _clean_ip(values: pa.Array) -> pa.Array:
    """``1.2.3.4:5678`` → ``1.2.3.4``; ``[2001:db8::1]:443`` → ``2001:db8::1``."""
    bracketed = pc.struct_field(pc.extract_regex(values, r"^\[(?P<v>[^\]]+)\](?::\d+)?$"), [0])
    v4 = pc.struct_field(pc.extract_regex(values, r"^(?P<v>\d{1,3}(?:\.\d{1,3}){3}):\d+$"), [0])
    clean = pc.coalesce(bracketed, v4, pc.utf8_trim_whitespace(values))
    return pc.if_else(pc.equal(clean, ""), pa.scalar(None, S), clean)


def _csv_text(cols: dict[str, pa.ChunkedArray], *names: str, n: int) -> pa.Array:
    for name in names:
        if name in cols:
            col = cols[name]
            col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
            return pc.if_else(pc.equal(col, ""), pa.scalar(None, S), col)
    return pa.nulls(n, S)


def _mailbox(
    records: pa.Table,
    operation_raw: pa.Array,
    operation: np.ndarray,
    admin_cmd: np.ndarray,
    identity: pa.Array,
    mailbox_param: pa.Array,
    actor: pa.Array,
) -> tuple[pa.Array, np.ndarray, pa.Array]:
    """Whose mailbox each record is about, whether that was inferred, and details to add.

    SendAs/SendOnBehalf: the impersonated sender. Cmdlets: ``ual_targets`` (``-Mailbox``,
    ``-Identity``, else the ObjectId path; organisation objects name no mailbox; a mailbox
    cmdlet naming nothing changed the caller's own, inferred). Else ``MailboxOwnerUPN``.
    """
    none = pa.scalar(None, S)
    targets = cmdlet_targets(operation_raw, admin_cmd, operation == "InboxRuleChange", identity, mailbox_param,
                             _field(records, "ObjectId"))
    mailbox = pc.coalesce(
        pc.if_else(pc.equal(operation_raw, "SendAs"), _field(records, "SendAsUserSmtp"), none),
        pc.if_else(pc.equal(operation_raw, "SendOnBehalf"), _field(records, "SendOnBehalfOfUserSmtp"), none),
        pc.if_else(pa.array(admin_cmd), targets.mailbox, none),
        pc.if_else(pa.array(targets.organisation), none, _field(records, "MailboxOwnerUPN")),
    )
    mailbox = pc.if_else(pa.array(targets.own), actor, mailbox)
    return mailbox, np.where(targets.own, "inferred", "native").astype(object), targets.details


def map_records(
    records: pa.Table, cols: dict[str, pa.ChunkedArray], numbers: np.ndarray, all_events: bool
) -> tuple[pd.DataFrame, Counter[str], int]:
    """Rows for one slice of parsed records. Returns (frame, skipped by reason, accepted)."""
    n = records.num_rows
    skipped: Counter[str] = Counter()
    cols = {k: v for k, v in cols.items() if k in _CSV_FALLBACKS}  # never carry AuditData along
    operation_raw = pc.coalesce(_field(records, "Operation"), _csv_text(cols, "operation", "operations", n=n))
    record_type = _field(records, "RecordType")
    workload = _field(records, "Workload")
    rt = pc.fill_null(record_type, -1).to_numpy()
    is_exchange = pc.fill_null(pc.equal(workload, "Exchange"), False).to_numpy(zero_copy_only=False)
    is_exchange |= pc.is_null(workload).to_numpy(zero_copy_only=False) & np.isin(rt, EXCHANGE_RECORD_TYPES)
    is_exchange |= pc.fill_null(pc.is_in(operation_raw, pa.array(["UserLoggedIn", "UserLoginFailed"])), False).to_numpy(
        zero_copy_only=False)  # Entra ID sign-ins: the "from where" of a mailbox case (ual_signins)
    active = np.ones(n, dtype=bool)  # records that become rows (others: counted, skipped)
    if not all_events and not is_exchange.all():
        other = Uniq.encode(workload.filter(pa.array(~is_exchange)))
        names = other.values.to_pylist() + [None]
        for code, count in zip(*np.unique(other.index, return_counts=True)):
            skipped[f"non-Exchange workload ({names[code] or 'unknown'})"] += int(count)
        active = is_exchange
    accepted = int(active.sum())
    if accepted == 0:
        return pd.DataFrame(), skipped, 0

    # -- per record ------------------------------------------------------------------------
    op_uniq = Uniq.encode(operation_raw)
    op_names = op_uniq.values.to_pylist()
    admin_cmd = rt == 1
    norm = np.array(
        [_normal_operation(name, 1) for name in op_names] + [None], dtype=object
    )[op_uniq.index]
    norm_item = np.array([_normal_operation(name, 2) for name in op_names] + [None], dtype=object)[op_uniq.index]
    operation = np.where(admin_cmd, norm, norm_item)

    params_flat, params_parent = _lists(_field(records, "Parameters"))
    param_names = pc.utf8_lower(pc.struct_field(params_flat, "Name")) if len(params_flat) else pa.array([], S)
    if len(params_flat):
        is_set_mailbox = np.array([name == "Set-Mailbox" for name in op_names] + [False])[op_uniq.index]
        forwarding = np.zeros(n, dtype=bool)
        fw = pc.is_in(param_names, pa.array(sorted(_FORWARDING_PARAMS))).to_numpy(zero_copy_only=False)
        forwarding[params_parent[fw]] = True
        audit_flag = np.zeros(n, dtype=bool)
        audit_flag[params_parent[pc.fill_null(pc.equal(param_names, "auditenabled"), False).to_numpy(zero_copy_only=False)]] = True
        grant = np.zeros(n, dtype=bool)
        grant[params_parent[pc.fill_null(pc.equal(param_names, "grantsendonbehalfto"), False).to_numpy(zero_copy_only=False)]] = True
        operation = np.where(is_set_mailbox & grant, "PermissionChange", operation)
        operation = np.where(is_set_mailbox & audit_flag, "AuditConfigChange", operation)
        operation = np.where(is_set_mailbox & forwarding, "ForwardingChange", operation)
        dashed = pc.binary_join_element_wise("-", pc.struct_field(params_flat, "Name"), "")
        rendered = join([dashed, pc.struct_field(params_flat, "Value")], " ")
        param_text = _joined_per_record(n, rendered, params_parent, " ")
    else:
        param_text = pa.nulls(n, S)
    params = _field(records, "Parameters")
    identity, mailbox_param = _name_value(n, params, "Identity"), _name_value(n, params, "Mailbox")
    access_type = _name_value(n, _field(records, "OperationProperties"), "MailAccessType")
    throttled = _name_value(n, _field(records, "OperationProperties"), "IsThrottled")

    op_text = pa.array(operation.astype(object), S)
    actor = pc.coalesce(_field(records, "UserId"), _csv_text(cols, "userid", "userids", n=n))
    mailbox, mapping, target_details = _mailbox(records, operation_raw, operation, admin_cmd, identity, mailbox_param, actor)
    logon = pc.fill_null(_field(records, "LogonType"), -1).to_numpy()
    user_type = pc.fill_null(_field(records, "UserType"), -1).to_numpy()
    logon_type = np.array([None] * 8, dtype=object)
    for code, name in LOGON_TYPES.items():
        logon_type[code] = name
    logon_of = logon_type[np.where((logon >= 0) & (logon <= 6), logon, 7)]
    admin_user = np.isin(user_type, ADMIN_USER_TYPES)
    from_user_type = (logon < 0) & admin_user
    logon_of = np.where(from_user_type, "Admin", logon_of)
    rule = np.where(pd.notna(logon_of), np.where(from_user_type, "source:UserType", "source"), None)
    admin_flag = np.where((logon >= 0) | (user_type >= 0), np.isin(logon, (1, 6)) | admin_user, None)

    client_ip = _clean_ip(pc.coalesce(_field(records, "ClientIPAddress"), _field(records, "ClientIP")))
    client_app = join([_field(records, "ClientInfoString"), _field(records, "ClientProcessName")], "; ")
    client_app = pc.coalesce(client_app, _field(records, "AppId"))
    server = pc.struct_field(pc.extract_regex(_field(records, "OriginatingServer"), r"^\s*(?P<v>[^\s(]+)"), [0])
    status = Uniq.encode(_field(records, "ResultStatus"))
    outcome_values = pa.array([_OUTCOMES.get((s or "").lower()) for s in status.values.to_pylist()], S)
    outcome = Uniq(outcome_values, status.index).rows()
    signin = sign_ins(records, operation_raw, outcome)
    operation = np.where(signin.mask, signin.operation, operation)
    outcome = pc.coalesce(signin.outcome, outcome)
    client_ip = pc.coalesce(client_ip, _clean_ip(signin.client_ip))
    client_app = pc.if_else(pa.array(signin.mask), signin.client_app, client_app)
    logon_of = np.where(signin.mask, "Owner", logon_of)  # one's own account: no one else's mailbox (ual_signins)
    rule = np.where(signin.mask, SIGNIN_RULE, rule)
    op_text = pa.array(operation.astype(object), S)
    created = _field(records, "CreationTime")
    fallback_time = _csv_text(cols, "creationdate", n=n)

    affected, affected_parent = _lists(_field(records, "AffectedItems"))
    affected_subject = pc.coalesce(pc.struct_field(affected, "Subject"), pc.struct_field(affected, "InternetMessageId")) if len(affected) else pa.array([], S)
    affected_text = _joined_per_record(n, affected_subject, affected_parent, " | ") if len(affected) else pa.nulls(n, S)
    affected_folder = _first_per_parent(n, affected_parent, pc.struct_field(pc.struct_field(affected, "ParentFolder"), "Path")) if len(affected) else pa.nulls(n, S)
    affected_count = np.bincount(affected_parent, minlength=n) if len(affected) else np.zeros(n, dtype=np.int64)
    item_struct = _field(records, "Item")
    record_folder = pc.coalesce(
        pc.struct_field(pc.struct_field(item_struct, "ParentFolder"), "Path"),
        pc.struct_field(_field(records, "Folder"), "Path"),
        affected_folder,
    )
    record_item = pc.coalesce(
        signin.item, pc.struct_field(item_struct, "Subject"), pc.struct_field(item_struct, "InternetMessageId"), affected_text,
        pc.if_else(pa.array(admin_cmd), _name_value(n, _field(records, "Parameters"), "Name"), pa.scalar(None, S)),
    )
    member = pc.struct_field(pc.struct_field(item_struct, "ParentFolder"), "MemberUpn")
    rights = pc.struct_field(pc.struct_field(item_struct, "ParentFolder"), "MemberRights")

    # -- explode MailItemsAccessed ---------------------------------------------------------
    is_mia = pc.fill_null(pc.equal(operation_raw, "MailItemsAccessed"), False).to_numpy(zero_copy_only=False)
    sync = pc.fill_null(pc.equal(pc.utf8_lower(access_type), "sync"), False).to_numpy(zero_copy_only=False)
    folders, folder_parent = _lists(_field(records, "Folders"))
    if len(folders):
        items, item_folder = _lists(pc.struct_field(folders, "FolderItems"))
    else:
        items, item_folder = pa.array([], AUDIT_SCHEMA.field("Folders").type.value_type.field("FolderItems").type.value_type), np.zeros(0, dtype=np.int64)
    item_parent = folder_parent[item_folder] if len(items) else np.zeros(0, dtype=np.int64)
    has_items = np.zeros(n, dtype=bool)
    has_items[item_parent] = True
    has_folders = np.zeros(n, dtype=bool)
    has_folders[folder_parent] = True
    per_item = is_mia & ~sync & has_items & active
    per_folder = is_mia & ~per_item & has_folders & active
    use_item = per_item[item_parent] if len(items) else np.zeros(0, dtype=bool)
    use_folder = per_folder[folder_parent] if len(folders) else np.zeros(0, dtype=bool)
    single = ~per_item & ~per_folder & active

    rec = np.concatenate([np.flatnonzero(single), item_parent[use_item], folder_parent[use_folder]])
    sub = np.concatenate([np.zeros(single.sum(), dtype=np.int64), np.flatnonzero(use_item) + 1, np.flatnonzero(use_folder) + 1])
    order = np.lexsort((sub, rec))
    rec = rec[order]
    folder_paths = pc.struct_field(folders, "Path") if len(folders) else pa.array([], S)
    item_ids = pc.coalesce(pc.struct_field(items, "Subject"), pc.struct_field(items, "InternetMessageId"), pc.struct_field(items, "Id")) if len(items) else pa.array([], S)
    item_msgid = pc.struct_field(items, "InternetMessageId") if len(items) else pa.array([], S)
    row_folder = pa.concat_arrays([
        record_folder.filter(pa.array(single)),
        folder_paths.take(pa.array(item_folder[use_item])),
        folder_paths.filter(pa.array(use_folder)),
    ]).take(pa.array(order))
    row_item = pa.concat_arrays([
        record_item.filter(pa.array(single)),
        item_ids.filter(pa.array(use_item)),
        pa.nulls(int(use_folder.sum()), S),
    ]).take(pa.array(order))
    row_msgid = pa.concat_arrays([
        pc.struct_field(item_struct, "InternetMessageId").filter(pa.array(single)),
        item_msgid.filter(pa.array(use_item)),
        pa.nulls(int(use_folder.sum()), S),
    ]).take(pa.array(order))
    take = pa.array(rec)

    # -- details ---------------------------------------------------------------------------
    count = _field(records, "OperationCount")
    exploded = pa.array(per_item | per_folder)
    logon_name = pa.array(np.array(list(LOGON_NAMES.values()) + [None], dtype=object)[np.where((logon >= 0) & (logon <= 6), logon, 7)], S)
    details = join(
        [
            pc.binary_join_element_wise("Operation=", pc.if_else(pc.equal(operation_raw, op_text), pa.scalar(None, S), operation_raw), ""),
            pc.binary_join_element_wise("MailAccessType=", access_type, ""),
            pc.binary_join_element_wise("OperationCount=", pc.cast(count, S), ""),
            pc.if_else(exploded, pc.binary_join_element_wise("parent record ", _field(records, "Id"), ""),
                       pc.binary_join_element_wise("Id=", _field(records, "Id"), "")),
            pc.if_else(pc.fill_null(pc.equal(pc.utf8_lower(throttled), "true"), False), "IsThrottled=True (logging paused 24 h)", pa.scalar(None, S)),
            pc.binary_join_element_wise("LogonType=", logon_name, ""),
            pc.binary_join_element_wise("RecordType=", pc.cast(record_type, S), ""),
            pc.binary_join_element_wise("Workload=", pc.if_else(pc.equal(workload, "Exchange"), pa.scalar(None, S), workload), ""),
            pc.binary_join_element_wise("Member=", member, ""),
            pc.binary_join_element_wise("Rights=", rights, ""),
            pc.binary_join_element_wise("AffectedItems=", pc.cast(pa.array(np.where(affected_count > 1, affected_count, 0)), S), ""),
            pc.binary_join_element_wise("DestFolder=", pc.struct_field(_field(records, "DestFolder"), "Path"), ""),
            target_details,
            pc.binary_join_element_wise("Parameters: ", param_text, ""),
            signin.details,
        ],
        "; ",
    )
    details = pc.replace_substring(details, "AffectedItems=0; ", "")
    details = pc.replace_substring_regex(details, r"(; )?AffectedItems=0$", "")
    row_details = join([pc.binary_join_element_wise("InternetMessageId=", row_msgid, ""), details.take(take)], "; ")

    times = to_ns(pd.to_datetime(pd.Series(created.take(take).to_pandas(), dtype="string"), format="ISO8601", utc=True, errors="coerce"))
    from_csv = times.isna().to_numpy()
    time_basis = np.where(from_csv, "utc (CreationDate column)", "utc")
    if from_csv.any():
        alt = to_ns(pd.to_datetime(pd.Series(fallback_time.take(pa.array(rec[from_csv])).to_pandas(), dtype="string"),
                                   format="mixed", utc=True, errors="coerce"))
        times = times.copy()
        times[from_csv] = alt.to_numpy()
    frame = pd.DataFrame(
        {
            "time": times.reset_index(drop=True),
            "operation": pd.Categorical(operation[rec]),
            "mailbox": to_categorical(mailbox.take(take)),
            "actor": to_categorical(actor.take(take)),
            "logon_type": pd.Categorical(logon_of[rec]),
            "admin_rights": pd.array(admin_flag[rec], dtype="boolean"),
            "folder": to_string_series(row_folder),
            "item": to_string_series(row_item),
            "client_ip": to_categorical(client_ip.take(take)),
            "client_host": to_categorical(_field(records, "ClientMachineName").take(take)),
            "client_app": to_categorical(client_app.take(take)),
            "outcome": to_categorical(outcome.take(take)),
            "server": to_categorical(server.take(take)),
            "record_id": numbers[rec],
            "provider": to_categorical(pc.coalesce(workload, pa.scalar("Microsoft 365", S)).take(take)),
            "mapping": pd.Categorical(mapping[rec]),
            "logon_rule": pd.Categorical(rule[rec]),
            "time_basis": pd.Categorical(time_basis),
            "actor_ids": to_string_series(join([_field(records, "LogonUserSid").take(take), _field(records, "LogonUserDisplayName").take(take)], "|")),
            "mailbox_ids": to_string_series(join([_field(records, "MailboxOwnerSid").take(take), _field(records, "MailboxGuid").take(take)], "|")),
            "details": to_string_series(row_details),
            "raw_ref": numbers[rec],
        }
    )
    return complete_columns(frame, "ual"), skipped, accepted
