"""The ``ingest`` flow: sources -> raw archive -> articles -> graph in the store.

A task is a batch of articles, never one article or one sentence (a Prefect task costs a few
milliseconds and the server digests only tens of task runs per second). Only the I/O tasks
(fetch, link, load) retry; extraction and mapping are pure.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from newsgraph import _progress
from newsgraph._models import Article, RawPage
from newsgraph.pipeline import (FetchResult, MapResult, ParseResult, RunSummary, batched, extract_articles,
                                fetch_pages, link_articles, load_graphs, map_articles, parse_pages)
from newsgraph.settings import Settings, load_settings


@task(name="fetch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def fetch_task(settings: Settings, sources: list[str]) -> FetchResult:
    """Fetch the sources and keep every raw page."""
    return fetch_pages(settings, sources)


@task(name="parse", cache_policy=NO_CACHE)
def parse_task(settings: Settings, pages: list[RawPage]) -> ParseResult:
    """Split pages into articles."""
    return parse_pages(settings, pages)


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(settings: Settings, articles: list[Article]) -> list[Article]:
    """Extract entities and events from a batch of articles."""
    return extract_articles(settings, articles)


@task(name="link", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[5, 30])
def link_task(settings: Settings, articles: list[Article]) -> list[Article]:
    """Link a batch's entities to Wikidata."""
    return link_articles(settings, articles)


@task(name="map", cache_policy=NO_CACHE)
def map_task(settings: Settings, articles: list[Article]) -> MapResult:
    """Map a batch to RDF and validate it against the SHACL shapes."""
    return map_articles(settings, articles)


@task(name="load", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def load_task(settings: Settings, result: MapResult) -> tuple[int, int]:
    """Publish a batch's article graphs to the store."""
    return load_graphs(settings, result.graphs)


@flow(name="ingest", log_prints=True)
def ingest(
    sources: Annotated[list[str], Field(description="Files, folders, http(s) URLs or RSS/Atom feed URLs.")],
    data_dir: Annotated[str | None, Field(description="newsgraph's data folder (default: NEWSGRAPH_DATA_DIR "
                                                      "or the per-user data folder).")] = None,
    batch_size: Annotated[int, Field(ge=1, le=5000, description="Articles per extract/link/load task.")] = 64,
    linking: Annotated[bool, Field(description="Link entities to Wikidata (off: leave them for relink).")] = True,
) -> dict[str, Any]:
    """Read news sources into the knowledge graph: fetch, parse, extract, link, map, load."""
    started = time.monotonic()
    settings = load_settings(data_dir=data_dir, linking=linking)
    summary = RunSummary()
    fetched = fetch_task(settings, list(sources))
    summary.set_aside.extend(fetched.set_aside)
    summary.pages = len(fetched.pages)
    parsed = parse_task(settings, fetched.pages)
    summary.set_aside.extend(parsed.set_aside)
    _progress.advance("articles", 0, len(parsed.articles))
    for batch in batched(parsed.articles, batch_size):
        batch = extract_task(settings, batch)
        batch = link_task(settings, batch)
        mapped = map_task(settings, batch)
        summary.set_aside.extend(mapped.set_aside)
        written, size = load_task(settings, mapped)
        summary.quads_written += written
        summary.store_quads = size
        summary.add_articles(batch)
        _progress.advance("articles", len(batch))
    summary.seconds = time.monotonic() - started
    return summary.as_dict()


if __name__ == "__main__":
    import sys

    print(ingest(sources=sys.argv[1:] or [str(Path.cwd())]))
