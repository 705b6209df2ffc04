"""Long-lived objects and the garbage collector.

A full collection walks every object the collector tracks. Once ortools, pandas, scipy and
pydantic are imported and a scenario is loaded that is some 130,000 objects, and a full
pass over them costs 0.1–0.25 s (measured on the city benchmark round, whose whole round
takes about 0.17 s); the objects a round creates set one off every round or two. The
modules and the loaded input live as long as the process, so the entry points (the
command line, the batch job, the replay, the web and API servers) move them out of the
collector's view once they are loaded. Cycles among them are never freed then, which
costs nothing for objects that live to the end anyway."""

from __future__ import annotations

import gc


def settle() -> None:
    """Exempt every object alive now from later collections (imports and loaded input)."""
    gc.collect()
    gc.freeze()
