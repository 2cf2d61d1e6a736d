"""The normalized table's columns and dtypes are a public contract."""

from __future__ import annotations

import pandas as pd

from forensics import schema

DESIGN_COLUMNS = [
    "time", "operation", "mailbox", "actor", "logon_type", "admin_rights", "folder", "item",
    "client_ip", "client_host", "client_app", "outcome", "server", "event_id", "record_id",
    "evidence", "source_format",
]


def test_contract_columns_are_designs_in_order() -> None:
    assert list(schema.CONTRACT_COLUMNS) == DESIGN_COLUMNS
    assert list(schema.COLUMNS)[: len(DESIGN_COLUMNS)] == DESIGN_COLUMNS


def test_empty_frame_conforms() -> None:
    assert schema.validate(schema.empty_frame()) == []


def test_conform_types_every_column() -> None:
    frame = schema.conform(
        [
            {"time": "2024-03-05T10:00:00Z", "operation": "FolderOpen", "admin_rights": "False",
             "event_id": "10100", "record_id": 7, "folder": "/Inbox", "unknown_column": 1},
            {"time": "2024-03-05T12:00:00+02:00", "operation": "", "admin_rights": True},
        ],
        defaults={"source_format": "evtx"},
    )
    assert schema.validate(frame) == []
    assert "unknown_column" not in frame.columns
    assert frame.loc[1, "time"] == pd.Timestamp("2024-03-05T10:00:00Z")
    assert frame.loc[0, "admin_rights"] is False or frame.loc[0, "admin_rights"] == False  # noqa: E712
    assert pd.isna(frame.loc[1, "operation"])  # empty string means "not recorded"
    assert frame["source_format"].tolist() == ["evtx", "evtx"]
    assert frame["event_id"].dtype == "Int32"


def test_numbers_a_column_cannot_hold_are_missing_not_a_crash() -> None:
    # fuzz: <EventRecordID>1e999</EventRecordID> in an Event Viewer export failed the whole file
    # ("cannot safely cast non-equivalent float64 to int64")
    frame = schema.conform({"record_id": ["7", "1e999", "1.5", "9" * 25, None],
                            "event_id": ["10100", "4294967296", "-1", "x", "1e999"]})
    assert schema.validate(frame) == []
    assert frame["record_id"].tolist()[0] == 7 and frame["record_id"].isna().tolist() == [False, True, True, True, True]
    assert frame["event_id"].tolist()[:1] == [10100] and frame["event_id"].isna().tolist() == [False, True, False, True, True]


def test_naive_times_are_taken_as_utc() -> None:
    frame = schema.conform({"time": pd.to_datetime(["2024-01-01 08:00"])})
    assert str(frame["time"].dt.tz) == "UTC"
    assert frame["time"].iloc[0].hour == 8


def test_concat_unions_categories() -> None:
    a = schema.conform([{"operation": "FolderOpen"}])
    b = schema.conform([{"operation": "Logon"}])
    both = schema.concat([a, b, schema.empty_frame()])
    assert schema.validate(both) == []
    assert both["operation"].tolist() == ["FolderOpen", "Logon"]


def test_constant_category_is_the_evidence_columns_dtype() -> None:
    frame = schema.conform([{"operation": "Logon"}, {"operation": "FolderOpen"}])
    frame["evidence"] = schema.constant_category("0123abcd", len(frame))
    assert schema.validate(frame) == []
    assert frame["evidence"].tolist() == ["0123abcd", "0123abcd"]
    assert frame["evidence"].cat.categories.dtype == schema.STRING_DTYPE
    assert len(schema.constant_category("x", 0)) == 0


def test_time_span_ignores_rows_without_a_time() -> None:
    frame = schema.conform([{"time": "2024-03-05T12:00:00+02:00"}, {"time": None}, {"time": "2024-03-04T23:59:59.5Z"}])
    assert schema.time_span(frame) == ("2024-03-04T23:59:59.500000Z", "2024-03-05T10:00:00Z")
    assert schema.time_span(schema.conform([{"time": None}])) == ("", "")
    assert schema.time_span(schema.empty_frame()) == ("", "")


def test_identity_form_columns_are_categorical_with_the_same_text() -> None:
    # issue 21: a log repeats a few people's identity forms on every row; categories keep the text
    rows = [{"actor_ids": "Pat|/o=Contoso/cn=Recipients/cn=pat", "mailbox_ids": "S-1-5-21-1|pat@contoso.com"},
            {"actor_ids": "Pat|/o=Contoso/cn=Recipients/cn=pat"}, {}]
    frame = schema.conform(rows)
    assert schema.validate(frame) == []
    assert isinstance(frame["actor_ids"].dtype, pd.CategoricalDtype)
    assert frame["actor_ids"].cat.categories.dtype == schema.STRING_DTYPE
    assert frame["actor_ids"].tolist()[:2] == ["Pat|/o=Contoso/cn=Recipients/cn=pat"] * 2
    assert pd.isna(frame["actor_ids"].iloc[2]) and pd.isna(frame["mailbox_ids"].iloc[1])
    assert frame["actor_ids"].astype("string").str.contains("cn=pat", regex=False).tolist() == [True, True, pd.NA]


def test_concat_consume_gives_the_same_frame_and_empties_the_pieces() -> None:
    def pieces() -> list[pd.DataFrame]:
        return [schema.conform([{"operation": "FolderOpen", "folder": "/Inbox", "actor_ids": "a|b", "record_id": 1}]),
                schema.conform([{"operation": "Logon", "item": "x", "actor_ids": "c", "record_id": 2},
                                {"operation": "FolderOpen", "record_id": 3}])]

    expected = pd.concat(pieces(), ignore_index=True)  # values as pandas concatenates them
    consumed = pieces()
    both = schema.concat(consumed, consume=True)
    assert schema.validate(both) == []
    pd.testing.assert_frame_equal(both, schema.concat(pieces()))
    for name in schema.COLUMNS:
        assert both[name].astype(object).tolist() == expected[name].astype(object).tolist(), name
    assert all(len(piece.columns) == 0 for piece in consumed)
