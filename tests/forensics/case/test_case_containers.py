"""A case holding a triage collection: recorded as one evidence entry (the container), and
reopened by re-reading the container, with the same rows and every check green."""

from __future__ import annotations

import pandas as pd

from forensics.case import Case, verification
from forensics.case.case_verify import verify_case
from helpers.disk_images import canonical, kape_zip, synth_layout


def test_case_with_a_collection_reopens(tmp_path) -> None:  # noqa: ANN001
    layout = synth_layout(tmp_path / "synth")
    archive = tmp_path / "kape.zip"
    kape_zip(archive, layout)
    case = Case.create(tmp_path / "case", name="c20", examiner="ex")
    first = case.add_evidence([archive])
    case.save()
    assert [e.parser for e in case.evidence] == ["container:zip"]  # the inner files are not separate entries
    again = Case.open(tmp_path / "case", examiner="ex").load()
    assert [c.status for c in again.checks] == [verification.VERIFIED]  # the container re-hashed equal
    pd.testing.assert_frame_equal(canonical(first.frame), canonical(again.frame))
    assert verify_case(tmp_path / "case").status == "VERIFIED"


def test_case_reopens_the_same_selection(tmp_path) -> None:  # noqa: ANN001
    from forensics.parsers.base import LoadOptions

    layout = synth_layout(tmp_path / "synth")
    archive = tmp_path / "kape.zip"
    kape_zip(archive, layout)
    case = Case.create(tmp_path / "case", name="c20", examiner="ex")
    first = case.add_evidence([archive], LoadOptions(select=("*Exchange Auditing*",)))
    case.save()
    assert [r.path.name for r in first.files if r.container] == ["Exchange Auditing.evtx"]
    assert case.evidence[0].options["select"] == ["*Exchange Auditing*"]
    again = Case.open(tmp_path / "case", examiner="ex").load()
    assert [r.path.name for r in again.files if r.container] == ["Exchange Auditing.evtx"]
    pd.testing.assert_frame_equal(canonical(first.frame), canonical(again.frame))


def test_a_select_that_is_not_a_list_of_texts_is_a_damaged_case(tmp_path) -> None:  # noqa: ANN001
    from forensics.case.validate import case_problems

    case = Case.create(tmp_path / "case", name="c20", examiner="ex")
    data = case.to_dict()
    entry = {"path": "/x/kape.zip", "evidence_id": "0" * 16, "sha256": "0" * 64, "sha1": "", "md5": "", "size": 1,
             "mtime": 0.0, "parser": "container:zip", "options": {"select": "*"}}
    data["evidence"] = [entry]
    assert any("options.select: expected a list of texts" in p for p in case_problems(data))
    entry["options"] = {"select": ["*Auditing*"]}
    assert not [p for p in case_problems(data) if "select" in p]
