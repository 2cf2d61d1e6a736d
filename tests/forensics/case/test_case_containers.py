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
