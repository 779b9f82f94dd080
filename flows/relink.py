"""The ``relink`` flow: decide again the entities left unlinked (Wikidata was unreachable, or linking
was off), by re-reading their pages from the raw archive through the same stages. Extraction comes
from the task cache (same page bytes), so the cost is linking, mapping and loading; loading replaces
each article's graph, so nothing is duplicated."""
from __future__ import annotations

import time
from typing import Annotated, Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from flows.tasks import report_task, run_pages
from newsgraph._models import RawPage
from newsgraph.pipeline import RunSummary
from newsgraph.runs import stale_pages
from newsgraph.settings import Settings, load_settings


@task(name="find-unlinked", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[5, 30])
def stale_pages_task(settings: Settings, max_pages: int, older_than_days: float | None) -> list[RawPage]:
    """Pages in the store with entities whose link is missing, marked for relink, or older than asked."""
    return stale_pages(settings, limit=max_pages, older_than_days=older_than_days)


@flow(name="relink", log_prints=True)
def relink(
    max_pages: Annotated[int, Field(ge=1)] = 1000,
    batch_size: Annotated[int, Field(ge=1, le=5000)] = 64,
    older_than_days: Annotated[float | None, Field(ge=0)] = None,
    data_dir: str | None = None,
    store: str | None = None,
) -> dict[str, Any]:
    """Link again the entities left unlinked, and replace their articles' graphs.

    Args:
        max_pages: Re-read at most this many pages per run.
        batch_size: Articles per task.
        older_than_days: Also decide again the links of articles mapped longer ago than this (stale
            links); empty: only what is unlinked.
        data_dir: newsgraph's data folder on the worker; empty: the worker's.
        store: Where the graph lives: 'embedded' or a SPARQL 1.1 server's base URL; empty: the
            worker's NEWSGRAPH_STORE.
    """
    started = time.monotonic()
    settings = load_settings(data_dir=data_dir or None, linking=True, store=store or None)
    pages = stale_pages_task(settings, max_pages, older_than_days)
    print(f"{len(pages)} pages have entities to link again")
    summary = RunSummary(pages=len(pages))
    sources = [p.source for p in pages]
    run_pages(settings, pages, summary, batch_size=batch_size)  # empties `pages` as it parses them
    summary.seconds = time.monotonic() - started
    result = summary.as_dict()
    report_task("relink", settings, result, sources)
    return result
