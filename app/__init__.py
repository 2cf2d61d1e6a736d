"""Mailbox Audit PySide6 GUI: thin widgets and Qt models over the forensics core."""
