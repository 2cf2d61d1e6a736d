"""Cases: the folder that holds what was examined (evidence + hashes + options), the
examiner's bookmarks, saved queries and notes, and the custody log."""

from forensics.case.bookmarks import BookmarkBook
from forensics.case.model import Bookmark, EvidenceEntry, SavedQuery
from forensics.case.store import CASE_FILE, Case, CaseError, CaseLoad
from forensics.case.verification import EvidenceCheck

__all__ = [
    "CASE_FILE",
    "Bookmark",
    "BookmarkBook",
    "Case",
    "CaseError",
    "CaseLoad",
    "EvidenceCheck",
    "EvidenceEntry",
    "SavedQuery",
]
