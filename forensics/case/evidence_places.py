"""Where a case's evidence may be opened from: the folders its hash-chained custody log
recorded evidence in (plus the case folder and folders the examiner confirmed).

Kept apart from ``store`` so the screening that refuses evidence paths edited in
``case.json`` (``/etc/shadow``, ``../../../../etc/passwd``) reads on its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from forensics.case import verification
from forensics.case.model import EvidenceEntry
from forensics.case.verification import EvidenceCheck
from forensics.custody.log import CustodyLog
from forensics.safe_io import regular_file_problem


class CaseEvidencePlaces:
    """Mixed into ``Case``: it provides ``folder``, ``evidence``, ``custody`` and
    ``allow_outside_evidence``."""

    folder: Path
    evidence: list[EvidenceEntry]
    custody: CustodyLog
    allow_outside_evidence: bool

    def quick_checks(self) -> list[EvidenceCheck]:
        """Instant size/mtime look at every evidence file (before the re-hash); files that
        are not regular, or lie outside the case's evidence folders unconfirmed, are refused."""
        places = None if self.allow_outside_evidence else self._custody_places()
        return [self._screen(verification.quick_check(e, self.folder), places) for e in self.evidence]

    def _custody_places(self) -> tuple[list[Path], dict[str, set[str]]]:
        """Where the custody log saw evidence: its folders (plus the case folder and folders
        the examiner confirmed), and the recorded paths of each SHA-256."""
        roots = {self.folder}
        opened: dict[str, set[str]] = {}
        for entry in self.custody.entries():
            kind = entry.get("kind")
            if kind in ("evidence-opened", "evidence-added") and isinstance(entry.get("path"), str):
                roots.add(Path(entry["path"]).parent)
                opened.setdefault(str(entry.get("sha256")), set()).add(entry["path"])
            elif kind == "evidence-roots-confirmed" and isinstance(entry.get("roots"), list):
                roots.update(Path(r) for r in entry["roots"] if isinstance(r, str))
        return sorted(roots), opened

    def evidence_roots(self) -> list[Path]:
        """Folders evidence may come from: the case folder, every folder this case's custody
        log recorded evidence being opened in, and folders the examiner confirmed.

        Taken from the hash-chained custody log rather than case.json, so editing a path
        in case.json (``/etc/shadow``, ``../../../../etc/passwd``) does not move its roots.
        """
        return self._custody_places()[0]

    def outside_evidence(self) -> list[Path]:
        """Evidence paths (as they would be opened) outside the case's evidence folders, for
        the GUI to ask the examiner about; empty when every path is inside."""
        places = self._custody_places()
        out = []
        for entry in self.evidence:
            located = verification.locate(entry, self.folder)
            if _place_problem(entry, located, *places):
                out.append(located)
        return out

    def confirm_outside_evidence(self, paths: Iterable[Path] | None = None) -> list[Path]:
        """The examiner confirmed evidence outside the evidence folders: accept their folders
        from now on and say so in custody. Returns the folders added."""
        paths = list(self.outside_evidence() if paths is None else paths)
        folders = sorted({Path(os.path.realpath(p)).parent for p in paths})
        if folders:
            self.custody.append("evidence-roots-confirmed", roots=[str(f) for f in folders],
                                paths=[str(p) for p in paths],
                                note="the examiner confirmed evidence outside the case's evidence folders")
        return folders

    def _screen(self, check: EvidenceCheck, places: tuple[list[Path], dict[str, set[str]]] | None) -> EvidenceCheck:
        if check.status in (verification.MISSING, verification.UNREADABLE):
            return check
        kind = regular_file_problem(check.path)
        if kind is not None:
            return EvidenceCheck(check.entry, verification.UNREADABLE, check.path,
                                 f"{check.path}: {kind}; refusing to read it as evidence")
        problem = _place_problem(check.entry, check.path, *places) if places is not None else None
        if problem:
            return EvidenceCheck(
                check.entry, verification.REFUSED, check.path,
                f"{check.path}: {problem}; not opened (confirm it, or pass --allow-outside-evidence, "
                "if it really is evidence)",
            )
        return check


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    """Whether ``path`` (after links and ``..``) lies in one of ``roots``."""
    real = Path(os.path.realpath(path))
    for root in roots:
        try:
            real.relative_to(os.path.realpath(root))
        except ValueError:
            continue
        return True
    return False


def _place_problem(entry: EvidenceEntry, located: Path, roots: list[Path], opened: dict[str, set[str]]) -> str:
    """Why ``located`` may not be opened as ``entry``'s evidence ("" when it may).

    Found at its recorded path: it must lie in the case's evidence folders. Found through
    its case-relative path (the case moved): the relative path's folders below its ``..``
    must end the path custody recorded for that content, as they do when a case and its
    evidence move together; ``../../../../etc/passwd`` matches no recorded path.
    """
    if _inside(located, roots):
        return ""
    if entry.relative and located != Path(entry.path):
        parts = Path(os.path.normpath(entry.relative)).parts
        tail = [p for p in parts if p != ".."]
        if tail and ".." not in parts[len(parts) - len(tail):]:
            for recorded in opened.get(entry.sha256, ()):
                if list(Path(recorded).parts[-len(tail):]) == tail:
                    return ""
    return f"outside the case's evidence folders ({', '.join(map(str, roots))})"
