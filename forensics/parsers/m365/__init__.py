"""Microsoft 365 / Exchange audit exports: the unified audit log (CSV and Management Activity
API JSON) and the Search-MailboxAuditLog / Search-AdminAuditLog exports (CSV and XML), which
share the PowerShell-export reading helpers and the same cmdlets in Exchange Online."""
