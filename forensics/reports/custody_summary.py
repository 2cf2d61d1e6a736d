"""What a report states about the custody log: head hash, signing keys, acknowledgements,
and the command that checks the case later against this very report.

The head and key fingerprint printed here are the anchor a recomputed chain cannot meet:
``mailbox-audit verify --case DIR --expect-head HEAD --expect-key FPR`` fails unless the
log still holds the entry the report saw and only the keys it named signed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forensics.custody.chain import check_lines
from forensics.custody.history import histories
from forensics.custody.log import CustodyLog
from forensics.errors import CustodyError


@dataclass
class CustodySummary:
    entries: int = 0
    head: str = ""
    #: "signed", "unsigned (legacy)", "partly unsigned (legacy entries before signing)",
    #: or "not kept (no case folder)"
    signing: str = "not kept (no case folder)"
    keys: list[tuple[str, str]] = field(default_factory=list)  # (fingerprint, who and which entries)
    acknowledgements: list[str] = field(default_factory=list)
    verify_command: str = ""

    @property
    def key_fingerprints(self) -> str:
        return ", ".join(f for f, _ in self.keys) or "—"

    def lines(self) -> list[tuple[str, str]]:
        """(label, text) rows every format prints in its custody block."""
        rows = [
            ("Custody log at export", f"{self.entries} entries; last entry SHA-256 {self.head}"),
            ("Custody signatures", self.signing),
        ]
        rows += [("Examiner key (Ed25519) fingerprint", f"{fpr} — {who}") for fpr, who in self.keys]
        rows += [("Custody acknowledgement", a) for a in self.acknowledgements]
        if self.verify_command:
            rows.append(("Check this case against this report", self.verify_command))
        return rows


def summarize(custody: CustodyLog) -> CustodySummary:
    """The custody block of a report, as the log stands just before the export is logged."""
    lines = custody.lines()
    chain = check_lines(lines)
    out = CustodySummary(entries=chain.entries, head=chain.head)
    if custody.case_dir is None:
        return out
    for fpr, signer in chain.signers.items():
        out.keys.append((fpr, f"examiner {signer.examiner or '?'} on {signer.host or '?'}, "
                              f"{len(signer.signed)} entries since entry {signer.introduced}"))
    try:
        current = custody.key_fingerprint
    except CustodyError:
        current = ""
    if current and current not in chain.signers:
        out.keys.append((current, f"examiner {custody.examiner}: signs this report's custody entry "
                                  "(first entry signed with this key)"))
    if chain.signed and chain.unsigned:
        out.signing = (f"signed from entry {chain.first_signed} on; entries 1–{chain.first_signed - 1} were "  # type: ignore[operator]
                       "written unsigned by an older version and are covered by that signature")
    elif chain.signed:
        out.signing = "every entry signed (Ed25519)"
    elif chain.entries:
        out.signing = ("UNSIGNED (legacy log): the entries up to this head carry no signature; only the head "
                       "hash above ties them to this report")
    else:
        out.signing = "empty log"
    for history in histories(custody.entries()).values():
        out.acknowledgements += [a.describe() for a in history.acks]
    keys = " ".join(f"--expect-key {f}" for f, _ in out.keys)
    out.verify_command = f'mailbox-audit verify --case "{custody.case_dir}" --expect-head {out.head} {keys}'.strip()
    return out
