"""Formula-injection neutralisation (OWASP "CSV Injection",
https://owasp.org/www-community/attacks/CSV_Injection): a cell starting with ``=``, ``+``,
``-``, ``@``, tab, CR or LF gets an apostrophe, except a value that is only a sign and a
plain number, time or UTC offset (``-04:00``, ``-1``), which no spreadsheet can run."""

from __future__ import annotations

import pandas as pd
import pytest

from forensics.reports.sanitize import is_formula_risk, neutralize, neutralize_value, unneutralize


@pytest.mark.parametrize("value", ["-04:00", "+05:30", "-1", "-3.5", "-2,5", "+1e3", "-", "-12:00:00", "-50%"])
def test_plain_signed_numbers_and_offsets_keep_their_text(value: str) -> None:
    assert not is_formula_risk(value)
    assert neutralize_value(value) == value
    assert neutralize(pd.Series([value], dtype="string")).iloc[0] == value


@pytest.mark.parametrize("value", [
    "=1+1", "=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-1+1", "-2*A1", "-cmd|' /C calc'!A0", "@SUM(A1:A2)",
    "\t=1", "\r=1", "\n=1", "-A1", "+1 555 0100", "-04:00+1", "--1", "-1)",
])
def test_formula_like_values_get_an_apostrophe_and_round_trip(value: str) -> None:
    assert is_formula_risk(value)
    assert neutralize_value(value) == "'" + value
    series = pd.Series([value, "'" + value], dtype="string")
    safe = neutralize(series)
    assert safe.tolist() == ["'" + value, "''" + value]
    pd.testing.assert_series_equal(unneutralize(safe), series)
