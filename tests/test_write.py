"""Atomic writes: readers never see half a file, and outputs are not left private."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from allocator.io import write


def test_atomic_write_respects_umask_and_leaves_no_temp_files(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = tmp_path / "out" / "proposal.json"
        write.write_json_atomic(target, {"b": 1, "a": [1, 2]})
    finally:
        os.umask(old)
    assert target.read_text() == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'
    assert (target.stat().st_mode & 0o777) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["proposal.json"]


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "matches.csv"
    target.write_text("old\n")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(write.os, "replace", broken_replace)
    with pytest.raises(OSError):
        write.write_text_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["matches.csv"]
