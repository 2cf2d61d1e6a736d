"""Dialogs: examiner name, errors, About, query syntax help."""
