"""How folder and item names are compared: the forms each source writes them in
(10100/10102 "/Inbox", mailbox-audit and UAL "\\Inbox", OWA/WebDAV "<subject>.EML",
UAL InternetMessageId "<id@host>", OWA/EWS opaque ids "RgAAAA...")."""

from __future__ import annotations

import pytest

from forensics.correlate.keys import folder_key, message_id_key, subject_key


@pytest.mark.parametrize(("text", "key"), [
    ("/Inbox", "/inbox"), ("\\Inbox\\Finance", "/inbox/finance"), ("/Inbox/Finance/", "/inbox/finance"),
    ("\\\\Sent Items", "/sent items"), ("LgAAAAD85C9DE935CF54937B2AC0DD21C143C0D", ""), ("Inbox", ""), ("", ""),
])
def test_folder_paths_compare_without_case_or_slash_style(text: str, key: str) -> None:
    assert folder_key(text) == key


@pytest.mark.parametrize(("text", "subject", "message_id"), [
    ("Invoice 2024-0311 approval.EML", "invoice 2024-0311 approval", ""),
    ("  Re:  Budget\treview ", "re: budget review", ""),
    ("<D3C071A52592BABE@EXMBX01.contoso.com>", "", "<d3c071a52592babe@exmbx01.contoso.com>"),
    ("RgAAAAD099A36AB5C88EC4C69B1C24A36E8B8B90C87F3BC", "", ""),
    ("<not an id>", "<not an id>", ""),
])
def test_items_compare_as_subjects_or_message_ids_never_across(text: str, subject: str, message_id: str) -> None:
    assert (subject_key(text), message_id_key(text)) == (subject, message_id)
