"""How much memory reading from an embedded store costs, against the store's size.

Opens a store left by a benchmark run (``results/work/n<size>/e2e-data/store``), takes up to
12,000 article graphs from one SPARQL query (their names only: listing every named graph would
put a Python object per graph, ~100,000 at 100k articles, into the figure), reads the quads of
each, and prints this process's RSS after 10, 100, 1,000, 3,000, 6,000 and 12,000 graphs. Then,
for comparison, it lists every named graph as the first version of this probe did. Whether the
memory levels off (RocksDB's block caches, bounded) or keeps climbing with the reads (memory that
grows with the store) is what the marks show (issue 7)::

    python benchmarks/probe_store_read_memory.py benchmarks/results/work/n10000/e2e-data/store \
        benchmarks/results/work/n100000/e2e-data/store

Each store is probed in its own child process, so one store's memory does not count in another's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from run import RssTrace  # this folder is on the path when the script runs

MARKS = (10, 100, 1000, 3000, 6000, 12000)
rss_mb = RssTrace.rss_mb
ARTICLE_GRAPHS = f"""SELECT ?g WHERE {{ GRAPH ?g {{ ?a a <https://schema.org/NewsArticle> }} }} LIMIT {MARKS[-1]}"""


def probe(path: str) -> str:
    import pyoxigraph as ox

    before = rss_mb()
    store = ox.Store(path)
    opened = rss_mb()
    graphs = [row["g"] for row in store.query(ARTICLE_GRAPHS)]  # type: ignore[union-attr]
    named = rss_mb()
    seen = []
    for k, graph in enumerate(graphs, start=1):
        sum(1 for _ in store.quads_for_pattern(None, None, None, graph))
        if k in MARKS:
            seen.append(f"{k:,}: {rss_mb():.0f}")
    everything = list(store.named_graphs())
    size = sum(f.stat().st_size for f in Path(path).iterdir() if f.is_file()) / 2**30
    return (f"{path}: {size:.1f} GB; RSS {before:.0f} MB before opening, {opened:.0f} opened, "
            f"{named:.0f} with {len(graphs):,} article graphs named; after n graphs read: " + ", ".join(seen)
            + f"; then all {len(everything):,} named graphs listed: {rss_mb():.0f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(probe(sys.argv[2]), flush=True)
    elif len(sys.argv) < 2:
        sys.exit(__doc__)
    else:
        for p in sys.argv[1:]:
            subprocess.run([sys.executable, __file__, "--child", p], check=True)
