"""Work hours as people type them and as cases keep them; clear errors for typos."""

from __future__ import annotations

from datetime import time

import pytest

from forensics.aggregate.work_hours import WorkHours, WorkHoursError


@pytest.mark.parametrize(
    ("spec", "hours"),
    [
        ("08:00-18:00", WorkHours()),
        ("7:30 - 16:00 Mon-Thu", WorkHours(time(7, 30), time(16), (0, 1, 2, 3))),
        ("08:00-18:00 mon,WED,friday Europe/Berlin", WorkHours(days=(0, 2, 4), tz="Europe/Berlin")),
        ("22:00-06:00 Fri-Mon +02:00", WorkHours(time(22), time(6), (0, 4, 5, 6), "+02:00")),  # night shift, wraps
    ],
)
def test_typed_forms(spec: str, hours: WorkHours) -> None:
    assert WorkHours.parse(spec) == hours
    assert WorkHours.from_text(hours.to_text()) == hours


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("8-18", "expected START-END [DAYS] [ZONE]"),
        ("08:00-25:00", "is not a time range"),
        ("08:00-18:00 Funday", "'Funday' is not a weekday"),
        ("08:00-18:00 Mon-Fri Mars/Olympus", "Mars/Olympus"),
    ],
)
def test_typos_are_one_clear_message(spec: str, message: str) -> None:
    with pytest.raises(WorkHoursError, match=message.replace("[", r"\[").replace("]", r"\]")):
        WorkHours.parse(spec)


@pytest.mark.parametrize("text", ["", "garbage", "08:00;18:00;0,9;", "08:00;18:00;0;Mars/Olympus", "25:00;18:00;0;"])
def test_damaged_stored_form_falls_back_to_the_caller_default(text: str) -> None:
    assert WorkHours.from_text(text) is None
