"""Event maps: the bundled ones load and validate; a user folder overrides; errors are one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from forensics.evtx.maps import MapError, bundled_maps_dir, load_maps, parse_map

EXPECTED = {
    ("MSExchangeIS Auditing", 10100): "FolderOpen",
    ("MSExchangeIS Auditing", 10102): "MessageOpen",
    ("MSExchangeIS Auditing", 10104): "SendOnBehalf",
    ("MSExchangeIS Auditing", 10106): "SendAs",
    ("MSExchangeIS Mailbox Store", 1009): "Logon",
    ("MSExchangeIS Mailbox Store", 1013): "Logon",
    ("MSExchangeIS Mailbox Store", 1016): "Logon",
    ("MSExchangeIS Private", 1022): "LogonFailure",
    ("MSExchangeIS Private", 1023): "LogonFailure",
    ("MSExchangeIS Private", 1029): "AccessDenied",
}


def test_bundled_maps_cover_every_exchange_event() -> None:
    maps = load_maps()
    for (provider, event_id), operation in EXPECTED.items():
        event_map = maps.get(provider, event_id)
        assert event_map is not None, (provider, event_id)
        assert event_map.operation == operation
        assert event_map.mapping == f"map:{event_map.file}"
    assert maps.get("msexchangeis auditing", 10100) is not None  # provider case-insensitive
    assert maps.get("MSExchangeIS Auditing", 10101) is None


def _write(folder: Path, name: str, data: object) -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_user_folder_overrides_bundled(tmp_path: Path) -> None:
    source = json.loads((bundled_maps_dir() / "MSExchangeIS_Auditing-10100.json").read_text())
    source["operation"] = "FolderOpenLearned"
    _write(tmp_path, "my-10100.json", source)
    maps = load_maps(tmp_path)
    assert maps.get("MSExchangeIS Auditing", 10100).operation == "FolderOpenLearned"
    assert maps.get("MSExchangeIS Auditing", 10100).file == "my-10100.json"
    assert maps.get("MSExchangeIS Auditing", 10102).operation == "MessageOpen"  # bundled still there


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid JSON at line 1"),
        ([], "top level must be a JSON object"),
        ({"event_id": 1, "operation": "X", "fields": [{"name": "actor", "kind": "account"}]}, "'providers'"),
        ({"providers": ["P"], "event_id": "1", "operation": "X", "fields": [{"name": "actor"}]}, "'event_id'"),
        ({"providers": ["P"], "event_id": 1, "operation": "X", "fields": [{"name": "actr", "kind": "account"}]}, "unknown name 'actr'"),
        ({"providers": ["P"], "event_id": 1, "operation": "X", "fields": [{"name": "actor", "kind": "acount"}]}, "unknown kind 'acount'"),
        ({"providers": ["P"], "event_id": 1, "operation": "X", "fields": []}, "'fields'"),
    ],
)
def test_malformed_map_is_one_clear_line(tmp_path: Path, content: object, message: str) -> None:
    path = _write(tmp_path, "bad.json", content)
    with pytest.raises(MapError) as info:
        parse_map(path)
    text = info.value.user_message
    assert "\n" not in text and str(path) in text and message in text
    with pytest.raises(MapError):
        load_maps(tmp_path)


def test_missing_user_folder(tmp_path: Path) -> None:
    with pytest.raises(MapError, match="does not exist"):
        load_maps(tmp_path / "nope")


def test_edited_map_is_reloaded(tmp_path: Path) -> None:
    shutil.copy(bundled_maps_dir() / "MSExchangeIS_Auditing-10100.json", tmp_path / "a.json")
    assert load_maps(tmp_path).get("MSExchangeIS Auditing", 10100).operation == "FolderOpen"
    data = json.loads((tmp_path / "a.json").read_text())
    data["operation"] = "Changed"
    import os
    import time

    _write(tmp_path, "a.json", data)
    later = time.time() + 5
    os.utime(tmp_path / "a.json", (later, later))
    assert load_maps(tmp_path).get("MSExchangeIS Auditing", 10100).operation == "Changed"
