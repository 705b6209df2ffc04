"""Publish a set of files into a folder as one step, and lose nothing at any moment.

Why it is built this way (docs/batch.md, "All or nothing"): a reader of the output folder
must see either the whole previous set or the whole new set, never a mix; files in the
folder that the batch did not write (a README, an import receipt, a subfolder) must
survive, whatever moment the process dies -- ``kill -9`` included, which runs no
clean-up code. So nothing is ever *moved out* of the folder before its replacement holds it:

1. The new set is written and fsynced into a staging folder ``.DIR.<token>.staging`` next
   to DIR (same file system).
2. Every entry of DIR that is not ours is *hard-linked* into the staging folder (folders
   are re-created and their files linked; a file we may not link is copied). DIR keeps
   its originals.
3. The staging folder and DIR swap in one atomic step (Linux ``renameat2`` with
   ``RENAME_EXCHANGE``); the staging path now holds the previous set, whose foreign
   entries are also in the new DIR. Entries that appeared in DIR after step 2 are moved
   over one by one (a rename never loses a file), then the previous set is deleted.

A kill at any point leaves DIR complete, with every foreign entry, and maybe a leftover
staging folder. The next run cleans leftovers first (``recover``): an entry of a leftover
that DIR lacks and that is not one of our file names is moved into DIR, the rest is
deleted. Without ``renameat2`` DIR is renamed aside (``.DIR.<token>.aside``) for the
moment of the swap; a kill then leaves no DIR for a moment, and ``recover`` renames the
aside folder back. Publishing and recovery hold an exclusive ``flock`` on DIR's parent
folder, so two runs never clean each other's staging folders.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux: no lock, one run per DIR
    fcntl = None  # type: ignore[assignment]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
#: ``.DIR.<8 characters>.staging`` (also the names of older versions, which used
#: tempfile.mkdtemp) and ``.DIR.<8 characters>.aside``.
_LEFTOVER = r"^\.{name}\.[a-z0-9_]{{8}}\.(staging|aside)$"


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive flock on ``folder`` (released by the kernel if the process dies)."""
    if fcntl is None:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _link_entry(source: Path, copy: Path) -> None:
    """``copy`` becomes the same file as ``source`` (a hard link; a copy if linking is not
    allowed, e.g. another user's file under fs.protected_hardlinks)."""
    try:
        os.link(source, copy, follow_symlinks=False)
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.EACCES, errno.EMLINK, errno.EXDEV):
            raise
        shutil.copy2(source, copy, follow_symlinks=False)


def _link_tree(source: Path, copy: Path) -> None:
    """Re-create folder ``source`` at ``copy`` with every file linked (``cp -al``)."""
    os.mkdir(copy, source.stat().st_mode & 0o7777)
    for root, folders, files in os.walk(source, followlinks=False):
        here = Path(root)
        there = copy / here.relative_to(source)
        for name in list(folders):
            if (here / name).is_symlink():
                folders.remove(name)
                _link_entry(here / name, there / name)
            else:
                os.mkdir(there / name, (here / name).stat().st_mode & 0o7777)
        for name in files:
            _link_entry(here / name, there / name)


def _keep_foreign(target: Path, staging: Path, ours: set[str]) -> None:
    """Every entry of ``target`` that is not ours, linked into ``staging``."""
    for entry in sorted(target.iterdir()):
        if entry.name in ours:
            continue
        if entry.is_dir() and not entry.is_symlink():
            _link_tree(entry, staging / entry.name)
        else:
            _link_entry(entry, staging / entry.name)


def _merge_missing(source: Path, target: Path, ours: set[str]) -> int:
    """Move each entry of ``source`` that ``target`` lacks (and that is not ours) into
    ``target``, looking into folders both hold; the number moved."""
    moved = 0
    for entry in sorted(source.iterdir()):
        if entry.name in ours:
            continue
        there = target / entry.name
        if not os.path.lexists(there):
            os.rename(entry, there)
            moved += 1
        elif (
            entry.is_dir() and not entry.is_symlink() and there.is_dir() and not there.is_symlink()
        ):
            moved += _merge_missing(entry, there, set())
    return moved


def leftovers(target: Path) -> list[Path]:
    """Staging and aside folders earlier runs left next to ``target``, oldest first."""
    pattern = re.compile(_LEFTOVER.format(name=re.escape(target.name)))
    found = [
        p
        for p in target.parent.iterdir()
        if pattern.match(p.name) and p.is_dir() and not p.is_symlink()
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime_ns)


def recover(target: Path, ours: set[str]) -> int:
    """Clean what killed runs left next to ``target`` (lock held); the number cleaned.

    A missing DIR with an aside folder is the previous set caught mid-swap: renamed back.
    Then every leftover gives DIR the entries DIR lacks (foreign files never carried over)
    and is deleted."""
    found = leftovers(target)
    if not os.path.lexists(target):
        asides = [p for p in found if p.name.endswith(".aside")]
        if asides:
            os.rename(asides[-1], target)
            found.remove(asides[-1])
    for folder in found:
        if any(entry.name not in ours for entry in folder.iterdir()):
            if not os.path.lexists(target):
                os.mkdir(target)
            _merge_missing(folder, target, ours)
        shutil.rmtree(folder)
    if found:
        _fsync_dir(target.parent)
    return len(found)


def publish(target: Path, files: Mapping[str, bytes]) -> int:
    """Make ``target`` hold exactly ``files`` (plus every foreign entry it had), in one
    step; see the module docstring. Returns how many leftover folders were cleaned."""
    target = Path(target)
    if target.is_symlink():
        target = target.resolve()
    target = target.absolute()
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    ours = set(files)
    with _locked(parent):
        cleaned = recover(target, ours)
        token = secrets.token_hex(4)
        staging = parent / f".{target.name}.{token}.staging"
        os.mkdir(staging, 0o700)
        try:
            for name, data in files.items():
                _write_file(staging / name, data)
            if target.is_dir():
                _keep_foreign(target, staging, ours)
                os.chmod(staging, target.stat().st_mode & 0o7777)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(staging, 0o777 & ~umask)
            _fsync_dir(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if not target.exists():
            os.rename(staging, target)
        elif _exchange(staging, target):
            _merge_missing(staging, target, ours)  # staging now holds the previous set
            shutil.rmtree(staging)
        else:
            aside = parent / f".{target.name}.{token}.aside"
            os.rename(target, aside)
            try:
                os.rename(staging, target)
            except OSError:
                os.rename(aside, target)
                raise
            _merge_missing(aside, target, ours)
            shutil.rmtree(aside)
        _fsync_dir(target)
        _fsync_dir(parent)
    return cleaned
