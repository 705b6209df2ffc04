"""Publishing the batch's output set (allocator.publish): a kill at *any* moment loses no
file in the output folder, and the next run cleans what the killed one left.

The step test forks a child that runs `publish` and kills itself with SIGKILL at its k-th
file-system call (k = 1, 2, ... until a run completes), so every point between two system
calls is tried, deterministically; a kill runs no clean-up code, exactly like `kill -9`.
The batch test then kills real `allocator batch` processes at random moments."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import allocator.publish as publish_module
from allocator.publish import leftovers, publish

OLD = {"run.json": b'{"set": "old"}', "a.txt": b"old a", "b.txt": b"old b"}
NEW = {"run.json": b'{"set": "new"}', "a.txt": b"new a", "b.txt": b"new b"}
LAST = {"run.json": b'{"set": "last"}', "a.txt": b"last a", "b.txt": b"last b"}
OURS = set(OLD)
WATCHED = ("link", "rename", "replace", "mkdir", "chmod", "fsync", "unlink", "rmdir", "open")


def make_target(tmp_path: Path) -> Path:
    """An output folder holding the old set and foreign entries of every kind."""
    root = tmp_path / "world"
    if root.exists():
        shutil.rmtree(root)
    target = root / "out"
    publish(target, OLD)
    (target / "notes.txt").write_text("kept by hand")
    (target / "sub" / "deep").mkdir(parents=True)
    (target / "sub" / "deep" / "receipt.xml").write_text("<ok/>")
    (target / "empty").mkdir()
    os.symlink("notes.txt", target / "link")
    return target


def foreign_of(target: Path) -> dict[str, str]:
    """Relative path -> content (or link target) of every foreign entry."""
    found: dict[str, str] = {}
    for path in sorted(target.rglob("*")):
        rel = str(path.relative_to(target))
        if rel in OURS:
            continue
        if path.is_symlink():
            found[rel] = "-> " + os.readlink(path)
        elif path.is_dir():
            found[rel] = "<dir>"
        else:
            found[rel] = path.read_text()
    return found


FOREIGN = {
    "empty": "<dir>",
    "link": "-> notes.txt",
    "notes.txt": "kept by hand",
    "sub": "<dir>",
    "sub/deep": "<dir>",
    "sub/deep/receipt.xml": "<ok/>",
}


def our_set(target: Path) -> dict[str, bytes]:
    return {name: (target / name).read_bytes() for name in OURS if (target / name).exists()}


def killed_at(step: int, run: Callable[[], Any]) -> bool:
    """Run ``run`` in a child that SIGKILLs itself at its ``step``-th watched call; True
    when it was killed (False: it finished before reaching that step)."""
    pid = os.fork()
    if pid == 0:  # the child: count calls, die at the chosen one
        calls = [0]

        def counted(real: Callable[..., Any]) -> Callable[..., Any]:
            def call(*args: Any, **kwargs: Any) -> Any:
                calls[0] += 1
                if calls[0] == step:
                    os.kill(os.getpid(), signal.SIGKILL)
                return real(*args, **kwargs)

            return call

        code = 3
        try:
            for name in WATCHED:
                setattr(os, name, counted(getattr(os, name)))
            publish_module._exchange = counted(publish_module._exchange)  # type: ignore[assignment]
            run()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, "publish raised instead of finishing"
    return False


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "rename-aside"])
def test_a_kill_at_any_step_loses_nothing(tmp_path: Path, exchange: bool) -> None:
    steps = 0
    for step in range(1, 400):
        target = make_target(tmp_path)
        if not exchange:
            original = publish_module._exchange
            publish_module._exchange = lambda a, b: False  # type: ignore[assignment]
        try:
            killed = killed_at(step, lambda t=target: publish(t, NEW))
        finally:
            if not exchange:
                publish_module._exchange = original  # type: ignore[assignment]
        if not killed:
            steps = step
            break
        if target.exists():  # a reader finds a whole set, old or new, and every foreign file
            assert our_set(target) in (OLD, NEW), step
            assert foreign_of(target) == FOREIGN, step
        else:  # only mid-swap without renameat2: the old set waits in the aside folder
            assert not exchange
            (aside,) = [p for p in leftovers(target) if p.name.endswith(".aside")]
            assert our_set(aside) == OLD and foreign_of(aside) == FOREIGN
        publish(target, LAST)  # the next run recovers and cleans up
        assert our_set(target) == LAST and foreign_of(target) == FOREIGN, step
        assert leftovers(target) == [] and os.listdir(target.parent) == ["out"], step
    assert steps > 20  # the run was really cut at every one of its steps


def test_a_file_that_arrives_during_the_swap_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = make_target(tmp_path)
    real = publish_module._exchange

    def late(a: Path, b: Path) -> bool:
        (b / "late.txt").write_text("just in time")  # after the links, before the swap
        return real(a, b)

    monkeypatch.setattr(publish_module, "_exchange", late)
    publish(target, NEW)
    assert (target / "late.txt").read_text() == "just in time"
    assert our_set(target) == NEW and leftovers(target) == []


def test_leftovers_of_older_versions_give_back_their_files(tmp_path: Path) -> None:
    """The previous version carried foreign files over after the swap; a kill then left
    them in a hidden staging folder (issue 17). The next run moves them back."""
    target = make_target(tmp_path)
    old = target.parent / ".out.k3j9_a0x.staging"
    old.mkdir()
    (old / "a.txt").write_text("stale")
    (old / "lost.csv").write_text("a foreign file")
    (old / "sub").mkdir()
    (old / "sub" / "also.txt").write_text("deep")
    sibling = target.parent / ".out.x.abcdefgh.staging"  # belongs to a folder "out.x"
    sibling.mkdir()
    assert publish(target, NEW) == 1
    assert (target / "lost.csv").read_text() == "a foreign file"
    assert (target / "sub" / "also.txt").read_text() == "deep"
    assert our_set(target) == NEW and not old.exists() and sibling.exists()


# --- real processes: kill -9 of `allocator batch` -----------------------------------------


def batch_round(tmp_path: Path) -> Path:
    data = Path(__file__).parent / "data" / "loaders" / "canonical.json"
    tree = json.loads(data.read_text(encoding="utf-8"))
    tree["locks"] = {}
    tree["policy"] = {"solver": {"workers": 1, "time_limit_s": 10}}
    path = tmp_path / "round.json"
    path.write_text(json.dumps(tree), encoding="utf-8")
    return path


def complete(target: Path) -> bool:
    """run.json lists the set and every file matches its SHA-256."""
    run = json.loads((target / "run.json").read_text(encoding="utf-8"))
    return all(
        hashlib.sha256((target / f["name"]).read_bytes()).hexdigest() == f["sha256"]
        for f in run["files"]
    )


def batch_command(source: Path, target: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "allocator.cli",
        "batch",
        "--input",
        str(source),
        "--output",
        str(target),
        "--log-file",
        str(target.parent / "batch.log"),
    ]


def test_kill_9_of_the_batch_job_loses_no_file(tmp_path: Path) -> None:
    source = batch_round(tmp_path)
    target = tmp_path / "out"
    command = batch_command(source, target)
    assert subprocess.run(command, capture_output=True, check=False).returncode in (0, 3)
    for i in range(300):
        (target / f"foreign-{i:04d}.txt").write_text(f"file {i}")
    expected = {p.name: p.read_text() for p in target.iterdir() if p.name.startswith("foreign")}
    started = time.monotonic()
    subprocess.run(command, capture_output=True, check=False)
    duration = time.monotonic() - started
    rng = random.Random(17)
    for _trial in range(3):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 1.0) * duration)
        process.kill()
        process.wait()
        assert complete(target)
        assert {
            p.name: p.read_text() for p in target.iterdir() if p.name.startswith("foreign")
        } == expected
        assert subprocess.run(command, capture_output=True, check=False).returncode in (0, 3)
        assert complete(target) and leftovers(target) == []
