"""Issue 22: the new-case and save-query dialogs are readable (sensible minimum sizes,
labelled fields, wrapped text) and show what they save: the new case's folder, examiner
and the open evidence it will offer to adopt; the saved query's text, filters and name."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel, QListWidget

from conftest import load

pytestmark = pytest.mark.gui


def test_new_case_dialog_shows_folder_examiner_and_evidence(qtbot, monkeypatch, make_window, evidence_folder,
                                                          tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.cases import dialogs

    window = make_window()
    window.show()
    load(qtbot, window, [evidence_folder])
    seen: list[dialogs.NewCaseDialog] = []

    def inspect(dialog) -> int:  # type: ignore[no-untyped-def]
        seen.append(dialog)
        dialog.show()
        assert not dialog.ok_button.isEnabled()  # no folder yet: nothing to create
        dialog.folder.setText(str(tmp_path / "cases" / "quill"))
        dialog.name.setText("Quill")
        qtbot.wait(10)
        return 0  # cancel: this test is about what the dialog shows

    monkeypatch.setattr(dialogs.NewCaseDialog, "exec", inspect)
    window.cases.new_case_dialog()
    dialog = seen[0]
    assert dialog.minimumWidth() >= 600 and dialog.width() >= 600
    summary = dialog.summary.text()
    assert str(tmp_path / "cases" / "quill") in summary and "case.json" in summary and "'Quill'" in summary
    assert "Examiner recorded: Test Examiner" in summary and dialog.ok_button.isEnabled()
    listing = dialog.findChild(QListWidget)
    names = sorted(listing.item(i).text().split()[0] for i in range(listing.count()))
    assert names == ["server1.guitest", "server2.guitest"]
    assert "2 file(s) open now can be adopted" in dialog.findChild(QLabel, "NewCaseEvidenceTitle").text()
    for label in dialog.findChildren(QLabel):  # long sentences wrap instead of widening the dialog
        if len(label.text()) > 60:
            assert label.wordWrap(), label.text()
    assert window.cases.case is None  # cancelled: no case


def test_new_case_dialog_without_open_evidence_says_so(qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.cases.dialogs import NewCaseDialog

    dialog = NewCaseDialog("", None, [])
    qtbot.addWidget(dialog)
    assert dialog.findChild(QListWidget) is None
    assert "none open" in dialog.findChild(QLabel, "NewCaseEvidenceTitle").text()
    assert "Examiner recorded: (none given)" in dialog.summary.text()


def test_save_query_dialog_shows_the_query_and_saves_under_the_name(qtbot, monkeypatch, make_window, evidence_folder,
                                                                    tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.cases import dialogs

    window = make_window()
    window.show()
    load(qtbot, window, [evidence_folder])
    case = window.cases.new_case(tmp_path / "case", "Quill", adopt_open=False)
    assert case is not None
    query = "actor:pat mailbox:ceo is:nonowner " + "after:2024-03-01 " * 8  # long: must wrap, not widen
    window.set_query(query.strip())
    window.query_bar.toggle_buttons["nonowner"].setChecked(True)
    shown: list[dialogs.SaveQueryDialog] = []

    def fill(dialog) -> int:  # type: ignore[no-untyped-def]
        shown.append(dialog)
        dialog.show()
        assert not dialog.save_button.isEnabled()
        dialog.name.setText("Pat at the CEO")
        return 1

    monkeypatch.setattr(dialogs.SaveQueryDialog, "exec", fill)
    window.cases.save_query_dialog()
    dialog = shown[0]
    assert dialog.query.toPlainText() == query.strip() and dialog.query.isReadOnly()
    assert dialog.minimumWidth() >= 500 and dialog.width() < 900
    assert "quick filter nonowner: is:nonowner" in dialog.filters.toPlainText()
    assert [(q.name, q.text) for q in case.queries] == [("Pat at the CEO", query.strip())]
    # saving again under the same name says it replaces
    monkeypatch.setattr(dialogs.SaveQueryDialog, "exec", lambda d: shown.append(d) or 0)
    window.cases.save_query_dialog()
    shown[-1].name.setText("Pat at the CEO")
    assert "saving replaces it" in shown[-1].replace_note.text()
    assert len(case.queries) == 1
