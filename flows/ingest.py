"""The ``ingest`` flow: sources -> raw archive -> articles -> graph in the store.

Thin: every step is a task in ``flows/tasks.py`` wrapping a stage function of ``newsgraph.pipeline``.
Set NEWSGRAPH_TASK_RUNNER=dask to extract batches in parallel on a local Dask cluster
(``newsgraph.runs.task_runner_from_env``).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

from prefect import flow
from pydantic import Field

from flows.tasks import fetch_task, report_task, run_pages
from newsgraph.pipeline import RunSummary
from newsgraph.runs import expand_sources, task_runner_from_env
from newsgraph.settings import load_settings

_runner = task_runner_from_env()


@flow(name="ingest", log_prints=True, **({"task_runner": _runner} if _runner else {}))
def ingest(
    sources: Annotated[list[str], Field(min_length=1)],
    batch_size: Annotated[int, Field(ge=1, le=5000)] = 256,
    linking: bool = True,
    data_dir: str | None = None,
    store: str | None = None,
    publish_report: bool = True,
    batches_in_flight: Annotated[int | None, Field(ge=1, le=16)] = None,
    count_store: bool = True,
) -> dict[str, Any]:
    """Read news sources into the knowledge graph: fetch, parse, extract, link, map, load.

    Args:
        sources: What to read: files, folders, http(s) URLs of pages, or RSS/Atom feed URLs. An entry
            '@feeds.txt' reads one source a line from that file in the data folder.
        batch_size: Articles per extract/link/map/load task (and per store transaction). Prefect's cost
            is per task run (state changes and events to its API), so larger batches spread it thinner.
        linking: Link entities to Wikidata now (off: leave them for the nightly relink).
        data_dir: newsgraph's data folder on the worker; empty: the worker's NEWSGRAPH_DATA_DIR.
        store: Where the graph lives: 'embedded' or a SPARQL 1.1 server's base URL; empty: the
            worker's NEWSGRAPH_STORE.
        publish_report: Publish a summary table and a report (with example queries) as artifacts.
        batches_in_flight: Batches extracted ahead of the one being loaded. Empty: one more than
            the extraction processes when the run extracts in processes of its own (the worker's
            NEWSGRAPH_EXTRACT_IN: 'auto' does on 2+ cores for a run of at least batch_size pages;
            NEWSGRAPH_EXTRACT_PROCESSES: how many, by default one a core, at most 2), so that the next
            batches are extracted while this one is mapped and loaded; 1 when it extracts in its own
            process - the least CPU and memory an article. Under Dask: one a worker, plus one.
        count_store: Count the quads in the store at the end, for the report: a full scan, whose
            time grows with the store (1.4 s at 10k articles); backfill's batches turn it off.
    """
    started = time.monotonic()
    settings = load_settings(data_dir=data_dir or None, linking=linking, store=store or None)
    sources = expand_sources(settings, sources)
    summary = RunSummary()
    fetched = fetch_task(settings, sources)
    summary.set_aside.extend(fetched.set_aside)
    summary.pages = len(fetched.pages)
    run_pages(settings, fetched.pages, summary, batch_size=batch_size, in_flight=batches_in_flight,
              count_store=count_store)
    summary.seconds = time.monotonic() - started
    result = summary.as_dict()
    if publish_report:
        report_task("ingest", settings, result, sources)
    return result


if __name__ == "__main__":
    import sys

    print(ingest(sources=sys.argv[1:] or [str(Path.cwd())]))
