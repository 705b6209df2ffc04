"""Replay a year of weekly allocation rounds under several policies (analysts' what-ifs).

``source`` loads the day-0 municipality, ``flow`` and ``state`` move it week by week,
``runner`` solves and checks each round per policy with common random numbers, ``kpis``
measures, ``report`` writes Parquet/CSV/PNG/HTML. See docs/replay.md.
"""

from allocator.replay.policies import PolicySpec, resolve_all
from allocator.replay.runner import ReplayResult, Settings, run_replay
from allocator.replay.source import load_source

__all__ = ["PolicySpec", "ReplayResult", "Settings", "load_source", "resolve_all", "run_replay"]
