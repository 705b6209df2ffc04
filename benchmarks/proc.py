"""Run a child process under a watchdog (time and resident memory), by its pid only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def python_module(module: str, *args: str) -> list[str]:
    """The command running `python -m module args` with this interpreter."""
    return [sys.executable, "-m", module, *args]


def rss_mb(pid: int) -> float:
    """Current resident memory of `pid` in MB (Linux /proc; 0 when unknown)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def ram_mb() -> float:
    """Total RAM in MB (16 GB when unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 16 * 1024.0


def watch(cmd: list[str], timeout: float, max_rss_mb: float, logs: Path) -> dict[str, Any]:
    """Run `cmd` (stdout/stderr to `logs`.out/.err), killing it past `timeout` seconds or
    `max_rss_mb` resident memory. Returns exit code, seconds, kill reason, stderr tail."""
    started = time.monotonic()
    seen = 0.0
    killed: str | None = None
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(logs.with_suffix(".out"), "w") as out, open(logs.with_suffix(".err"), "w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        while proc.poll() is None:
            seen = max(seen, rss_mb(proc.pid))
            if seen > max_rss_mb:
                killed = f"killed: memory above {max_rss_mb / 1024:.1f} GB"
            elif time.monotonic() - started > timeout:
                killed = f"killed: no result within {timeout:.0f} s"
            if killed:
                proc.kill()
                proc.wait()
                break
            time.sleep(0.2)
    tail = logs.with_suffix(".err").read_text(errors="replace")[-2000:]
    return {
        "returncode": proc.returncode,
        "seconds": round(time.monotonic() - started, 2),
        "killed": killed,
        "rss_seen_mb": round(seen, 1),
        "stderr_tail": tail,
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM from /proc/self/status, else
    ru_maxrss. (On Linux ru_maxrss keeps the parent's peak across fork + exec, so a child
    started by a big process would report the parent's memory.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError):
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
