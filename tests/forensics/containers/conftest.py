"""Shared fixtures: synthetic evidence laid out as on an Exchange server, and the NTFS
volume holding it (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.disk_images import make_ntfs, synth_layout, tool


@pytest.fixture(scope="session")
def layout(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return synth_layout(tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="session")
def ntfs_volume(tmp_path_factory: pytest.TempPathFactory, layout: dict[str, Path]) -> tuple[Path, bool]:
    """(volume file, True if the server folders are kept)."""
    if not tool("mkntfs") or not tool("ntfscp"):
        pytest.skip("ntfs-3g (mkntfs, ntfscp) is not installed: apt-get install ntfs-3g")
    path = tmp_path_factory.mktemp("ntfs") / "volume.raw"
    folders = make_ntfs(path, layout)
    return path, folders
