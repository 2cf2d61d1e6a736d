"""The "methodology and limits" section: what the evidence can and cannot show, and how
this report's rows were derived (time conversion, event maps, identity rules).

The fixed statements are facts about Exchange auditing every reader must weigh; the
derived ones are computed from the loaded rows so they describe this evidence, not a
typical one.
"""

from __future__ import annotations

import pandas as pd

from forensics.parsers.base import FileReport

SUCCESS_ONLY = (
    "Exchange mailbox access auditing (events 10100-10106 of the \"Exchange Auditing\" log) "
    "records successful access only: failed attempts are not logged there, and mailbox "
    "logons are deliberately not logged as access. Failures appear only where another "
    "source records them (MSExchangeIS logon failures 1022/1023, access denied 1029, IIS "
    "status codes, Microsoft 365 audit records)."
)
BYPASS = (
    "Accounts holding the ms-Exch-Store-Bypass-Access-Auditing right (by default some service "
    "and system accounts; any account an administrator exempts) produce no access events at "
    "all, and auditing can be switched off or its level lowered per category. Absence of "
    "events is therefore not proof of absence of access: see the AuditConfigChange rows in "
    "the administrative changes section, which can explain silence."
)
HANDLING = (
    "Evidence files were opened read-only; the bytes parsed are the bytes hashed (SHA-256, "
    "SHA-1 and MD5 computed in the same single read). Every opening, verification and "
    "exported report is appended to a hash-chained custody log in the case folder; each "
    "entry carries the SHA-256 of the previous one, so editing, deleting or reordering "
    "entries is detectable with the command mailbox-audit verify. Verification compares each "
    "file with the hash first recorded for it, not the latest one; a logged mismatch keeps "
    "the case failing until an examiner records an acknowledgement, which this report prints."
)
SIGNATURES = (
    "Each custody entry, and the recorded head (entry count and last entry hash), is signed "
    "with the examiner's Ed25519 key, kept outside the case folder on the examiner's machine; "
    "the case holds only the public key, whose fingerprint this report prints with the head "
    "hash. A valid signature proves that the entry was written by a holder of that key and "
    "not altered since; a chain recomputed without the key fails verification, and "
    "mailbox-audit verify --expect-head and --expect-key check the case against this report. "
    "It does not prove that the examiner is honest, that the recorded times are right (they "
    "come from the examiner's clock), that what the entries describe happened, or that the "
    "key was never copied: whoever holds the key can write entries that verify. Entries "
    "written before signing existed are covered only from the first signed entry on."
)

DERIVED = (
    "Parsed rows kept in the case's cache are checked like evidence: the SHA-256 of each cache "
    "file is recorded in the custody log when it is written and compared on every reopen and "
    "by verify; a cache that differs, has no record or is a link is discarded, the evidence "
    "is parsed again and a file note says so. Files a case folder names are opened only when "
    "they are regular files inside the folders the custody log saw evidence in (or folders the "
    "examiner confirmed); no output is written over a loaded evidence file (compared by device "
    "and inode, so hard links are caught)."
)

SIGN_INS_AND_GROUPS = (
    "Microsoft 365 Entra ID sign-ins (UserLoggedIn, UserLoginFailed) are Logon / LogonFailure rows with no "
    "mailbox: they show from where an account signed in (address, user agent, application), not a mailbox "
    "opened, and count as the account's own sign-in (logon type Owner). Their outcome is taken from the "
    "operation, LogonError and ErrorNumber, not from ResultStatus, which Microsoft writes as Success on failed "
    "sign-ins. Windows Security events 4728/4732/4756 (member added) and 4729/4733/4757 (removed) on Exchange's "
    "privileged groups (Exchange Trusted Subsystem, Exchange Windows Permissions, Exchange Servers, Organization "
    "Management, Discovery Management, other Exchange role groups) are PermissionChange rows: membership opens "
    "every mailbox without any mailbox permission being granted. A group counts as privileged through nesting "
    "only where a loaded record shows it added to a privileged group; nesting set up earlier is not visible "
    "without a directory export."
)
TEXT_SHOWN = (
    "Evidence text is shown as text: bidirectional control characters (U+202A-U+202E, U+2066-U+2069, U+200E, "
    "U+200F) are written out as <U+202E> in the HTML, PDF and XLSX reports and on screen, never applied; the "
    "CSV keeps the exact characters. Spreadsheet cells starting with = + - @ tab, carriage return or line "
    "feed get a leading apostrophe (OWASP CSV Injection), except a plain signed number or UTC offset such as "
    "-1 or -04:00, which a spreadsheet cannot run as a formula. A PDF table cell longer than fits half a page and an XLSX cell past Excel's 32,767 "
    "characters are cut with a note in the cell; the CSV holds the full value. Input limits, each reported "
    "when met: an IIS line over 1 MiB without a line end is one bad record; a CSV export whose header exceeds "
    "64 KiB or 1,024 columns, or with more than 16 MiB without a line break, is refused as a whole."
)


def _value_counts(frame: pd.DataFrame, column: str) -> list[tuple[str, int]]:
    if column not in frame or frame.empty:
        return []
    counts = frame[column].astype("string").fillna("(not recorded)").value_counts()
    return [(str(k), int(v)) for k, v in counts.items()]


def _listing(pairs: list[tuple[str, int]]) -> str:
    return "; ".join(f"{name}: {count} rows" for name, count in pairs)


def time_statement(frame: pd.DataFrame, display_tz: str) -> str:
    basis = _value_counts(frame, "time_basis")
    text = (
        "All times are stored in UTC. They are displayed in this report in the display time "
        f"zone {display_tz}, each with its own UTC offset when the zone is not UTC (a named zone's offset "
        "changes with daylight saving); the CSV keeps UTC (ISO 8601 with Z; its context file names the display "
        "zone); the XLSX holds Excel date-times in the display zone, named in each time column's header, with "
        "each event's UTC offset and its time in UTC beside it (Excel keeps about a millisecond). "
    )
    if basis:
        text += "How each row's time was obtained: " + _listing(basis) + ". "
    converted = [name for name, _ in basis if name.startswith("converted")]
    if converted:
        text += (
            "Rows marked \"converted\" come from text exports written in the exporting "
            "machine's local time and were converted to UTC using the source zone stated when "
            "loading; a wrong source zone shifts them all by the same offset."
        )
    return text.strip()


def mapping_statement(frame: pd.DataFrame) -> str:
    mapping = _value_counts(frame, "mapping")
    if not mapping:
        return "No rows were loaded, so no event map was used."
    maps = [name for name, _ in mapping if name.startswith("map:")]
    inferred = sum(count for name, count in mapping if "inferred" in name)
    text = "How each row's fields were obtained (column mapping): " + _listing(mapping) + ". "
    if maps:
        text += "Event maps used: " + ", ".join(m[4:] for m in maps) + ". "
    text += (
        "The order of the Data strings of events 10100-10106 is not published by Microsoft; "
        "fields come from the rendered message whenever the evidence carries it, otherwise "
        "from an editable event map. "
    )
    if inferred:
        text += (
            f"WARNING: {inferred} rows were mapped by inference (no rendered message and no "
            "confirmed map): check them against the raw records before relying on their "
            "actor and mailbox fields."
        )
    else:
        text += "No row was mapped by inference."
    return text.strip()


def identity_statement(frame: pd.DataFrame) -> str:
    rules = _value_counts(frame, "logon_rule")
    text = (
        "The logon type (Owner / Delegate / Admin / Unknown) is taken from the source when it "
        "states one; otherwise the actor's and the mailbox's identity forms (display name, "
        "SMTP address, alias, DOMAIN\\user, legacyExchangeDN, SID) are compared, exactly with "
        "a directory export, else by the alias heuristic. Exact ids outrank names: a SID or GUID that "
        "names a person decides, and two accounts with different SIDs are never merged by a shared name "
        "(rule sid-mismatch). A side named only by ids no name compares with (a mailbox GUID, as in MAPI/HTTP "
        "and RPC/HTTP requests) is Unknown (rule id-unresolved), never Delegate, until a directory links them. "
        "Where the protocol itself opens only the signed-in user's mailbox (ActiveSync), the row is Owner by "
        "rule protocol:ActiveSync whatever form the client wrote in User=. In Microsoft 365 exports an object "
        "id that the same export shows beside one user's UPN (UserKey, MailboxGuid, SIDs) is that user; rows "
        "linked so say which field of which record linked them (details: linked:), and are Owner by rule "
        "linked:<field> when the user is the actor. Cmdlets on organisation objects (plans, policies, tenant "
        "configuration) name no mailbox (details: object=). Exchange's own health and test traffic (is:probe) "
        "is counted but left out of the findings pairs and the non-owner heatmap. "
        "Person labels (the heatmap, findings and this report) follow the same rule without a directory "
        "export: when one alias is seen with two or more account SIDs, each SID's forms get their own label "
        "(alias [SID]) and forms of that alias without a SID are labelled alias (SID unknown), attributed to "
        "neither account. "
    )
    if rules:
        text += "Rules that decided the logon type (column logon_rule): " + _listing(rules) + "."
    if "source_format" in frame and (frame["source_format"].astype("string") == "httpproxy").any():
        text += (" HttpProxy rows name the mailbox the request's URL names, else the front end's routing anchor "
                 "(AnchorMailbox; details say \"mailbox from AnchorMailbox\"): for EWS and ActiveSync the anchor is "
                 "often the signed-in user's own mailbox, not necessarily the one opened, and a SID or GUID anchor "
                 "is linked to a person only through a directory export (without one such rows are Unknown, rule "
                 "mailbox-id-unresolved, never a guessed Delegate).")
    if "source_format" in frame and (frame["source_format"].astype("string") == "msgtrk").any():
        text += (" Message tracking Send rows name the submitting mailbox by its GUID: only a directory export "
                 "(ExchangeGuid) tells a person's own send from a send in another's name (SendAs / SendOnBehalf); "
                 "without one they are Unknown (rule submitter-guid-unresolved).")
    return text.strip()


def files_statement(files: list[FileReport]) -> str:
    if not files:
        return "No evidence file was read for this report."
    bad = sum(f.bad for f in files)
    skipped = sum(sum(f.skipped.values()) for f in files)
    warnings = sum(f.warning_count for f in files)
    failed = [f for f in files if f.status == "failed"]
    text = (
        f"{len(files)} file(s) read: {bad} bad records (counted and described, not rowed), "
        f"{skipped} records deliberately skipped (e.g. events unrelated to mailbox access), "
        f"{warnings} parse warnings in total; the per-file counts are in the evidence section."
    )
    if failed:
        text += f" {len(failed)} file(s) could not be parsed at all: " + ", ".join(f.path.name for f in failed) + "."
    return text


COMPLETENESS_CHECKS = (
    "Checked on loading: in .evtx files, that the record ids every chunk header announces are all present "
    "and that the chunks' id ranges leave no gap (records hidden by editing a log, or removed chunks, show "
    "here; a log that wrapped does not), that the file holds the chunks and records its header announces, and "
    "the CRC32 checksums (see the .evtx notes below); in Microsoft 365 Search-UnifiedAuditLog exports (CSV, or "
    "JSON from ConvertTo-Json), that every "
    "ResultIndex up to the search's ResultCount is present, and whether a search or classic download reached "
    "the 50,000-record cap, and whether Microsoft 365 throttled MailItemsAccessed auditing (IsThrottled=True: no "
    "records for that mailbox for the next 24 hours; Management Activity API JSON carries no ResultIndex, so only "
    "the throttling is checked there); in IIS log folders, that no day (or hour) file is missing between the files loaded; "
    "inside each IIS log, that the Exchange health probes, which run around the clock, never fall silent for "
    "much longer than their own rhythm (logging stopped or lines removed)."
)
#: said when HttpProxy logs were read: which completeness checks they get, and which not yet
HTTPPROXY_UNCHECKED = (
    "Exchange HttpProxy logs are not checked for missing hour files yet (an hour without a file proves "
    "nothing); inside each HttpProxy log, the health probes' silences are checked as in IIS logs."
)


EVTX_NOTES = (
    "Where the evtx engine stops early in a chunk (a damaged record or chunk header, an out-of-range time, a "
    "chunk header that ends before its records do, the partial last chunk of a truncated copy), the chunk is "
    "walked record by record: records carry a signature (2a 2a 00 00) and their size at both ends, so every "
    "complete record is found and read; libevtx, a third reader, never reads more. Every record id a chunk "
    "header announces is then either read, counted once as a bad record (present but unreadable), or named "
    "in a note, with the header fields and bytes the note rests on. "
    "RECORDS MISSING: ids announced but absent: between chunks (removed chunks, a file assembled from parts, "
    "or chunks lost to damage), or inside a chunk where the record before them runs straight into the record "
    "after them (removal with the chain re-linked, as record-editing tools leave it) or where the bytes hold "
    "no readable record (damage). "
    "RECORDS MISSING (unflushed live copy): the chunk header announces records whose place is zero-filled "
    "and the file header is flagged dirty (flags bit 0x1, not closed cleanly): pages Windows had not yet "
    "written to disk when the log was copied from a running system; not evidence of removal. Without the "
    "dirty flag the same bytes are reported as \"zero-filled\" (never written, or wiped). "
    "RECORDS MISSING (truncated copy): the file header's chunk count and next record number announce more "
    "than the chunks present hold (their last record id is named), or the file ends inside a chunk: the "
    "copy is incomplete. (end of log): the same without a short file. "
    "RECORDS HIDDEN: a record lies inside the bytes of the record before it, whose size was enlarged to "
    "cover it (what DanderSpritz eventlogedit does); it was read from its bytes. "
    "RECORDS FROM SLACK: records found past a chunk's announced end (free-space offset, last record id): "
    "older records left in unused space, records written after the header was last updated (dirty files) "
    "or records hidden by editing the header; they are read and labelled as such. Fragments there that "
    "cannot be rendered are listed but not counted as records. "
    "CHECKSUMS DO NOT MATCH: a file header, chunk header or event-records CRC32 differs from the bytes it "
    "covers: they changed after Windows wrote them (damage, a live copy still being written, or an edit)."
)

#: said when legacy .evt logs were read: what their completeness check rests on
EVT_CHECKED = (
    "In legacy .evt logs (Windows 2000/XP/Server 2003), that record numbers run on without a break from the "
    "oldest record the end-of-file record (or, without one, the file header) names to the next number it names."
)
EVT_NOTES = (
    "A .evt log is a circular buffer: a 48-byte header, records one after another, and a 40-byte end-of-file "
    "record that the EventLog service rewrites after every event (the header only on a clean close). The log "
    "is read from its oldest record to the end-of-file record, across the end of the file when it has wrapped "
    "(a record may continue after the header). Each record carries its size and the 'LfLe' signature at the "
    "start and its size again at the end; where bytes hold no such record, they are counted once as a bad "
    "record (offset, length, which field failed) and reading resumes at the next intact record. Record "
    "numbers rise by one per event. "
    "RECORDS MISSING: numbers absent between two records whose bytes are adjacent and intact (removed, as "
    "log-editing tools do: not a wrap, which drops the oldest records, and not damage), numbers in unreadable "
    "bytes (damage), numbers the end-of-file record announces before the first or after the last record read "
    "(removed from either end), or after the end of a file that has no end-of-file record (a truncated copy). "
    "DIRTY LOG: header flag 0x1: the log was open when copied (a live copy, or a crash); its header is stale "
    "and the end-of-file record was used: not a sign of tampering. HEADER DISAGREES: a clean header whose "
    "values differ from the end-of-file record (an edit of one of them, or a copy taken while closing). "
    "WRAPPED: the oldest records were overwritten by newer ones (retention), not a gap. LOG FULL: flag 0x4: "
    "a write failed because the log was full and might not overwrite: later events were not recorded. "
    "RECORDS FROM SLACK: complete records outside the live log (space the log released but had not yet "
    "overwritten) whose numbers the live log does not hold: read as rows, each saying so in its details. SLACK "
    "COPIES: identical copies there of records read already, counted as skipped. RECORD CONFLICT: a record there "
    "with the number of one read already but other content (an edited or spliced log)."
)


def completeness_statement(files: list[FileReport]) -> str:
    """What was checked for missing evidence, and which files it found incomplete."""
    flagged = [(f.path.name, n) for f in files for n in f.gap_notes()]
    checks = COMPLETENESS_CHECKS
    if any(f.parser == "httpproxy" for f in files):
        checks += " " + HTTPPROXY_UNCHECKED
    layouts = [f"{f.path.name}: {n}" for f in files for n in f.notes if n.startswith(("LAYOUT ASSUMED", "NO FIELD LAYOUT"))]
    if layouts:  # header-less IIS lines: which field layout their rows rest on
        checks += " Header-less IIS lines (no #Fields: header): " + "; ".join(layouts[:20]) + "."
    if any(f.parser == "evt" for f in files):
        checks += " " + EVT_CHECKED
    if not flagged:
        return checks + " No file showed missing records."
    listed = "; ".join(f"{name}: {note}" for name, note in flagged[:20])
    more = f" (and {len(flagged) - 20} more)" if len(flagged) > 20 else ""
    return f"{checks} {len(flagged)} finding(s){more}: {listed}."


def audit_config_statement(frame: pd.DataFrame, limit: int = 20) -> str:
    """The AuditConfigChange rows themselves: each can explain why events are missing."""
    if "operation" not in frame or frame.empty:
        return "No AuditConfigChange rows in the loaded evidence."
    rows = frame[(frame["operation"].astype("string") == "AuditConfigChange").fillna(False).to_numpy()]
    if rows.empty:
        return ("No AuditConfigChange rows in the loaded evidence (no account exempted from auditing and no "
                "logging level lowered is recorded in it; changes made before the evidence begins are not visible).")
    rows = rows.sort_values("time", kind="stable")
    parts = []
    for _, row in rows.head(limit).iterrows():  # a handful of rows: readable text, not a hot path
        when = row["time"].strftime("%Y-%m-%d %H:%M:%S UTC") if pd.notna(row["time"]) else "time not recorded"
        what = " ".join(str(row[c]) for c in ("item", "details") if c in row and pd.notna(row[c]))
        who = row["actor"] if pd.notna(row["actor"]) else "actor not recorded"
        parts.append(f"{when}: {who}: {what}".strip())
    more = f" (and {len(rows) - limit} more, listed in the administrative changes section)" if len(rows) > limit else ""
    return (f"{len(rows)} AuditConfigChange row(s) in the loaded evidence{more}. Events that such a change "
            "stopped from being written cannot appear in this report: " + "; ".join(parts) + ".")


def correlation_statement(frame: pd.DataFrame) -> str:
    """Which rows were counted as one access, by which rule, and the clock offsets measured."""
    from forensics.correlate.summary import statement

    return statement(frame)


def containers_statement(files: list[FileReport]) -> str:
    """How files read from inside disk images and collections were handled ("" when none were)."""
    containers = [f for f in files if f.source_format == "container"]
    inner = [f for f in files if f.container]
    if not containers and not inner:
        return ""
    return (
        f"{len(inner)} evidence file(s) were read from inside {len(containers)} disk image(s) or triage "
        "collection(s), opened read-only with The Sleuth Kit (partitions, NTFS) and libewf / libvhdi / libvmdk "
        "(E01, VHD/VHDX, VMDK) or Python's zip/tar readers, without mounting and without extracting them to disk: "
        "each inner file was parsed as a stream through the same hashing reader as a file on disk. Every file of "
        "each container (each E01 segment) was hashed over all its bytes and logged as acquired; each inner file "
        "was logged with its own hashes, the container's SHA-256, its path inside (partition, offset), its MFT "
        "record number and its $STANDARD_INFORMATION times as The Sleuth Kit reports them. Verification re-hashes "
        "the container and re-reads each inner file from it. Files found by their known location or by content "
        "only; a file the walk could not reach (damaged MFT, truncated image) is named in the container's notes."
    )


def sections(frame: pd.DataFrame, files: list[FileReport], display_tz: str) -> list[tuple[str, str]]:
    """(heading, paragraph) pairs, in reading order."""
    extra = containers_statement(files)
    handling = [("Evidence handling and custody", HANDLING)] + ([("Disk images and collections", extra)] if extra else [])
    return [
        ("Success-only auditing", SUCCESS_ONLY),
        ("Accounts that are not audited", BYPASS),
        ("Audit configuration changes", audit_config_statement(frame)),
        ("Time conversion", time_statement(frame, display_tz)),
        ("Event maps and field mapping", mapping_statement(frame)),
        ("Identity resolution", identity_statement(frame)),
        ("One access, one count: correlation across sources", correlation_statement(frame)),
        ("Records read, skipped and bad", files_statement(files)),
        ("Completeness of the evidence", completeness_statement(files)),
        ("What the .evtx completeness notes mean", EVTX_NOTES),
        *([("What the .evt notes mean", EVT_NOTES)] if any(f.parser == "evt" for f in files) else []),
        ("Sign-ins and privileged groups", SIGN_INS_AND_GROUPS),
        ("How evidence text is shown", TEXT_SHOWN),
        *handling,
        ("What the custody signatures prove", SIGNATURES),
        ("Derived data and case files", DERIVED),
    ]
