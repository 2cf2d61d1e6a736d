"""Entra ID (Azure AD) sign-ins in a Unified Audit Log export → Logon / LogonFailure rows.

Why: in a mailbox case the sign-ins are the "from where": the address, user agent and
application of the session before the mailbox was opened. They are record type 15
(``AzureActiveDirectoryStsLogon``, workload ``AzureActiveDirectory``), operations
``UserLoggedIn`` and ``UserLoginFailed``. Fields used (Office 365 Management Activity API
schema, "Azure Active Directory Secure Token Service (STS) logon schema", and public Purview
exports such as the azurehound sample in blueteam0ps/det-eng-samples):

* ``ClientIP`` / ``ActorIpAddress``: the caller's address;
* ``ExtendedProperties`` (Name/Value pairs): ``UserAgent``, ``RequestType``
  (``OAuth2:Token``, ``Login:login``…), ``ResultStatusDetail``;
* ``ApplicationId``: the client application; ``ObjectId``: the resource signed in to;
* ``LogonError`` (e.g. ``InvalidUserNameOrPassword``) and ``ErrorNumber`` (the AADSTS
  code, e.g. ``50126``) on failures.

The outcome comes from the operation, not from ``ResultStatus``: Microsoft writes
``"ResultStatus": "Success"`` on ``UserLoginFailed`` records (the *audit write* succeeded),
which read naively makes a failed password attempt look like a success. A ``UserLoggedIn``
carrying a ``LogonError`` or a non-zero ``ErrorNumber`` is a failure too. The row has no
mailbox and ``logon_type`` Owner (``SIGNIN_RULE``): it is the "from where", not an access.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from forensics.parsers.arrowtext import S, join

_NV = pa.list_(pa.struct([("Name", S), ("Value", S)]))
#: AuditData fields read for sign-ins (added to ``ual_mapping.AUDIT_SCHEMA``)
SIGNIN_FIELDS: list[tuple[str, pa.DataType]] = [
    ("ActorIpAddress", S), ("ApplicationId", S), ("LogonError", S), ("ErrorNumber", S),
    ("ExtendedProperties", _NV),
]
SIGNIN_OPERATIONS = {"UserLoggedIn": "Logon", "UserLoginFailed": "LogonFailure"}
#: ``logon_rule`` of sign-in rows, whose ``logon_type`` is Owner: the account signs in as
#: itself and opens no mailbox, so a sign-in is never a non-owner access (no false pairs)
SIGNIN_RULE = "sign-in: the account's own credentials, no mailbox opened"

#: First-party application ids Microsoft documents ("Verify first-party Microsoft applications
#: in sign-in reports"); anything else is shown as its id.
KNOWN_APPLICATIONS = {
    "00000002-0000-0ff1-ce00-000000000000": "Office 365 Exchange Online",
    "00000003-0000-0000-c000-000000000000": "Microsoft Graph",
    "00000003-0000-0ff1-ce00-000000000000": "Office 365 SharePoint Online",
    "00000002-0000-0000-c000-000000000000": "Windows Azure Active Directory",
    "00000006-0000-0ff1-ce00-000000000000": "Microsoft Office 365 Portal",
    "1fec8e78-bce4-4aaf-ab1b-5451cc387264": "Microsoft Teams",
    "d3590ed6-52b3-4102-aeff-aad2292ab01c": "Microsoft Office",
    "4765445b-32c6-49b0-83e6-1d93765276ca": "OfficeHome",
}


@dataclass(frozen=True)
class SignIns:
    """Per-record columns for sign-in records (null / False elsewhere)."""

    mask: np.ndarray            # record is an Entra ID sign-in
    operation: np.ndarray       # Logon / LogonFailure where mask, else None
    outcome: pa.Array           # Success / Failure where mask, else null
    client_ip: pa.Array         # ActorIpAddress (ClientIP is read by the caller)
    client_app: pa.Array        # user agent; application
    item: pa.Array              # the resource signed in to
    details: pa.Array           # LogonError, ErrorNumber, RequestType, ResultStatus when overridden


def _col(records: pa.Table, name: str) -> pa.Array:
    col = records.column(name)
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _property(n: int, pairs: pa.Array, name: str) -> pa.Array:
    """First ``Value`` of the Name/Value pair called ``name`` per record (null if none)."""
    flat = pc.list_flatten(pairs)
    if not len(flat):
        return pa.nulls(n, S)
    parents = pc.list_parent_indices(pairs).to_numpy()
    hit = pc.fill_null(pc.equal(pc.utf8_lower(pc.struct_field(flat, "Name")), name.lower()), False).to_numpy(zero_copy_only=False)
    idx = np.flatnonzero(hit)
    source = np.full(n, -1, dtype=np.int64)
    if len(idx):
        rows, first = np.unique(parents[idx], return_index=True)
        source[rows] = idx[first]
    return pc.struct_field(flat, "Value").take(pa.array(source, mask=source < 0))


def _named(ids: pa.Array) -> pa.Array:
    """An application id with its documented name: ``Microsoft Graph (00000003-…)``."""
    low = pc.utf8_lower(pc.utf8_trim_whitespace(ids))
    names = pa.array(list(KNOWN_APPLICATIONS.values()), S)
    where = pc.index_in(low, value_set=pa.array(list(KNOWN_APPLICATIONS), S))
    name = names.take(where)
    labelled = pc.binary_join_element_wise(name, pc.binary_join_element_wise(" (", ids, ")", ""), "")
    return pc.coalesce(labelled, pc.if_else(pc.equal(ids, ""), pa.scalar(None, S), ids))


def _blank_null(values: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, S), trimmed)


def sign_ins(records: pa.Table, operation_raw: pa.Array, status_outcome: pa.Array) -> SignIns:
    """Sign-in columns of a slice of records; ``status_outcome`` is the outcome read from
    ``ResultStatus`` (used only for a ``UserLoggedIn`` without an error)."""
    n = records.num_rows
    raw = pc.fill_null(operation_raw, "")
    failed_op = pc.equal(raw, "UserLoginFailed").to_numpy(zero_copy_only=False)
    mask = pc.is_in(raw, pa.array(list(SIGNIN_OPERATIONS), S)).to_numpy(zero_copy_only=False)
    error = _blank_null(_col(records, "LogonError"))
    number = _blank_null(_col(records, "ErrorNumber"))
    has_error = pc.fill_null(pc.is_valid(error), False).to_numpy(zero_copy_only=False)
    bad_number = pc.fill_null(pc.invert(pc.match_substring_regex(number, r"^0+$")), False).to_numpy(zero_copy_only=False)
    failure = mask & (failed_op | has_error | bad_number)
    operation = np.where(mask, np.where(failure, "LogonFailure", "Logon"), None).astype(object)
    outcome = pc.if_else(pa.array(failure), pa.scalar("Failure", S),
                         pc.if_else(pa.array(mask), pc.coalesce(status_outcome, pa.scalar("Success", S)), pa.scalar(None, S)))
    props = _col(records, "ExtendedProperties")
    agent = _blank_null(_property(n, props, "UserAgent"))
    request = _property(n, props, "RequestType")
    detail = _property(n, props, "ResultStatusDetail")
    status = _col(records, "ResultStatus")
    application = _named(_col(records, "ApplicationId"))
    resource = _named(_col(records, "ObjectId"))
    status_overridden = pc.and_(pa.array(failure), pc.fill_null(pc.is_in(pc.utf8_lower(status), pa.array(["success", "succeeded", "true"])), False))
    on = pa.array(mask)
    none = pa.scalar(None, S)
    details = join(
        [
            pc.binary_join_element_wise("LogonError=", error, ""),
            pc.binary_join_element_wise("ErrorNumber=", number, ""),
            pc.binary_join_element_wise("RequestType=", request, ""),
            pc.binary_join_element_wise("ResultStatusDetail=", detail, ""),
            pc.if_else(status_overridden, pc.binary_join_element_wise(
                "ResultStatus=", status, " (the audit write's status; the sign-in failed: outcome from the operation"
                " and its error)", ""), none),
            pc.binary_join_element_wise("ApplicationId=", application, ""),
        ],
        "; ",
    )
    return SignIns(
        mask=mask,
        operation=operation,
        outcome=outcome,
        client_ip=pc.if_else(on, _col(records, "ActorIpAddress"), none),
        client_app=pc.if_else(on, pc.coalesce(join([agent, application], "; "), application), none),
        item=pc.if_else(on, resource, none),
        details=pc.if_else(on, details, none),
    )
