"""Which column names a person: the resolved key when the frame has it, else the raw form.

Frames from ``forensics.ingest`` carry ``mailbox_key``/``actor_key`` (one label for every
form of a person: ``amorgan`` = ``amorgan@contoso.com`` = ``/o=…/cn=amorgan``), so the
heatmap and findings count one mailbox once. Hand-built frames without them still work.
"""

from __future__ import annotations

import pandas as pd


def person_field(frame: pd.DataFrame, role: str) -> str:
    """``"mailbox_key"``/``"actor_key"`` when filled in ``frame``, else ``role`` itself."""
    key = f"{role}_key"
    if key in frame.columns and bool(frame[key].notna().any()):
        return key
    return role
