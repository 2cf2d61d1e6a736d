"""Administrative commands on another person's mailbox resolve to Admin, on one's own to Owner."""

from __future__ import annotations

from forensics import schema
from forensics.identity.resolve import resolve_logon_types


def test_admin_command_rows() -> None:
    frame = schema.conform([
        {"operation": "PermissionChange", "actor": "CONTOSO\\admin", "mailbox": "ceo@contoso.com"},
        {"operation": "InboxRuleChange", "actor": "CONTOSO\\ceo", "mailbox": "ceo@contoso.com"},
        {"operation": "FolderOpen", "actor": "CONTOSO\\admin", "mailbox": "ceo@contoso.com"},
    ])
    out = resolve_logon_types(frame)
    assert out["logon_type"].tolist() == ["Admin", "Owner", "Delegate"]
    assert out["logon_rule"].tolist() == ["admin-command", "alias-match", "no-match"]
