"""How much memory reading from an embedded store costs, against the store's size.

Opens a store left by a benchmark run (``results/work/n<size>/e2e-data/store``), reads the quads of
named graphs spread evenly over it, and prints this process's RSS after 10, 100, 300, 1,000 and
3,000 graphs. The first reads load what RocksDB keeps per table file (index and filter blocks)
beside its bounded block cache, so the jump after the first graphs grows with the store - the part
of the flow's memory that grows with the store rather than with the articles held (issue 7)::

    python benchmarks/probe_store_read_memory.py benchmarks/results/work/n10000/e2e-data/store \
        benchmarks/results/work/n100000/e2e-data/store

Each store is probed in its own child process, so one store's memory does not count in another's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from run import RssTrace  # this folder is on the path when the script runs

MARKS = (10, 100, 300, 1000, 3000)
rss_mb = RssTrace.rss_mb


def probe(path: str) -> str:
    import pyoxigraph as ox

    before = rss_mb()
    store = ox.Store(path)
    opened = rss_mb()
    graphs = list(store.named_graphs())
    step = max(1, len(graphs) // MARKS[-1])
    seen = []
    for k, graph in enumerate(graphs[::step][: MARKS[-1]], start=1):
        sum(1 for _ in store.quads_for_pattern(None, None, None, graph))
        if k in MARKS:
            seen.append(f"{k:,}: {rss_mb():.0f}")
    size = sum(f.stat().st_size for f in Path(path).iterdir() if f.is_file()) / 2**30
    return (f"{path}: {size:.1f} GB, {len(graphs):,} graphs; RSS {before:.0f} MB before opening, "
            f"{opened:.0f} opened; after n graphs read: " + ", ".join(seen))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(probe(sys.argv[2]), flush=True)
    elif len(sys.argv) < 2:
        sys.exit(__doc__)
    else:
        for p in sys.argv[1:]:
            subprocess.run([sys.executable, __file__, "--child", p], check=True)
