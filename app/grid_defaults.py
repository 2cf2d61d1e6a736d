"""The grid's first-start columns: which are hidden, their widths, order and pins (the
user's own layout, once saved, replaces them)."""

from __future__ import annotations

#: provenance columns hidden until the user asks for them (View > Columns)
DEFAULT_HIDDEN = {"mapping", "logon_rule", "time_basis", "actor_ids", "mailbox_ids", "raw_ref", "provider"}
#: the first seven (who, what, whose, from where) fit a 1400 px window beside the Detail dock
DEFAULT_WIDTHS = {"time": 170, "operation": 105, "mailbox": 150, "actor": 140, "logon_type": 90,
                  "admin_rights": 105, "folder": 150, "item": 220, "client_ip": 115, "client_host": 105,
                  "client_app": 115, "outcome": 80, "event_id": 70, "record_id": 80, "evidence": 150,
                  "details": 260, "tag": 90}
#: who, what, whose, then from where (client IP, host, app) on screen; provenance after
DEFAULT_ORDER = ("time", "actor", "operation", "mailbox", "client_ip", "client_host", "client_app", "logon_type",
                 "outcome", "tag", "expected", "folder", "item", "admin_rights", "server", "event_id", "record_id",
                 "evidence", "source_format", "details")
#: columns that stay in view when the grid scrolls right (header menu: Pin / Unpin)
DEFAULT_PINNED = ("time", "actor")
