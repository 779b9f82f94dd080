"""The tasks every flow shares: one- or two-line wrappers over newsgraph's stage functions.

A task is a batch of articles, never one article or one sentence (a Prefect task costs a few
milliseconds and the server digests only tens of task runs per second). Batches go in quoted
(``quote``, or ``opaque`` around a future), so Prefect does not walk their dataclasses. Only the I/O tasks
(fetch, link, load) retry, with backoff; extraction and mapping are pure. Extraction is cached by
the raw pages' content hashes (``newsgraph.runs.extract_cache_key``) plus the task's source, so an
unchanged page is not extracted again. Link tasks carry the ``wikidata`` tag: a Prefect
concurrency limit on that tag (``deploy/up.sh`` sets 2) caps Wikidata clients across all runs and
workers.
"""
from __future__ import annotations

import os
from collections import deque
from typing import Any, TypeVar, cast

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE, TASK_SOURCE, CacheKeyFnPolicy
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import opaque, quote

from newsgraph import _memory, _progress
from newsgraph._models import Article, RawPage, SetAside
from newsgraph.archive import Quarantine
from newsgraph.errors import LoadError
from newsgraph.pipeline import (
    FetchResult,
    MapResult,
    ParseResult,
    RunSummary,
    extract_articles,
    extraction_process,
    fetch_pages,
    link_articles,
    load_graphs,
    map_articles,
    parse_pages,
    store_writer,
)
from newsgraph.runs import extract_cache_key, report_markdown, summary_rows
from newsgraph.settings import Settings

T = TypeVar("T")

EXTRACT_CACHE = CacheKeyFnPolicy(cache_key_fn=extract_cache_key) + TASK_SOURCE


@task(name="fetch", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[2, 5, 15])
def fetch_task(settings: Settings, sources: list[str]) -> FetchResult:
    """Fetch the sources and keep every raw page (the pages come back without their bytes: parse
    reads them from the raw archive, a window at a time)."""
    return fetch_pages(settings, sources, keep_content=False)


@task(name="parse", cache_policy=NO_CACHE)
def parse_task(settings: Settings, pages: list[RawPage]) -> ParseResult:
    """Split pages into articles."""
    return parse_pages(settings, pages)


# cache_result_in_memory=False: Prefect's result store otherwise keeps every persisted result in an
# in-memory LRU cache of 1,000 records for the run - every extracted batch (~50 MB per 1,000
# articles, benchmarks/README.md). The cache on disk (persist_result) is what serves a later run.
@task(name="extract", cache_policy=EXTRACT_CACHE, persist_result=True, cache_result_in_memory=False)
def extract_task(settings: Settings, articles: list[Article]) -> list[Article]:
    """Extract entities and events from a batch of articles (cached by the pages' content hashes)."""
    return extract_articles(settings, articles)


@task(name="link", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[5, 15, 60], tags=["wikidata"])
def link_task(settings: Settings, articles: list[Article]) -> list[Article]:
    """Link a batch's entities to Wikidata."""
    return link_articles(settings, articles)


@task(name="map", cache_policy=NO_CACHE)
def map_task(settings: Settings, articles: list[Article]) -> MapResult:
    """Map a batch to RDF and validate it against the SHACL shapes."""
    return map_articles(settings, articles)


@task(name="load", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[2, 5, 15])
def load_task(settings: Settings, result: MapResult) -> int:
    """Publish a batch's article graphs to the store (replaces, so a retried run duplicates nothing)."""
    return load_graphs(settings, result.graphs, count=False)[0]


def report_task(flow: str, settings: Settings, summary: dict[str, Any], sources: list[str]) -> None:
    """Publish the run's summary table and markdown report as artifacts of the flow run (called from
    the flow, not a task, so the UI shows them on the run itself)."""
    create_table_artifact(key=f"{flow}-summary", table=summary_rows(summary),
                          description=f"newsgraph {flow}: what this run read and wrote")
    create_markdown_artifact(key=f"{flow}-report", description=f"newsgraph {flow}: report and example queries",
                             markdown=report_markdown(summary, flow=flow, endpoint=settings.endpoint_url,
                                                      sources=sources))


#: Pages parsed at a time: the flow holds at most this many pages' articles beyond the batches in flight.
PARSE_WINDOW = 256
#: Most malloc arenas a run's process creates (glibc; ``MALLOC_ARENA_MAX`` in the environment does
#: the same from the process's start).
MALLOC_ARENAS = 2


def run_pages(settings: Settings, pages: list[RawPage], summary: RunSummary, *, batch_size: int,
              in_flight: int | None = None, window: int = PARSE_WINDOW, count_store: bool = True) -> None:
    """parse -> (extract -> link -> map) per batch, submitted so a Dask runner runs batches in parallel
    -> load, in order, from the flow's process (one writer per run).

    Memory stays flat however many articles a run reads: pages are parsed ``window`` at a time and
    taken off ``pages`` as they are (the list is emptied, so their bytes can go), and at most
    ``in_flight`` batches are submitted and not yet loaded (submitting every batch at once ran all
    of them through spaCy together and held every result until the end - 8 GB at 10k articles,
    benchmarks/README.md). ``in_flight`` unset: :func:`default_in_flight`.

    Extraction runs in processes of its own (:func:`extraction_processes` of them) when
    :func:`extract_in_process` says so, the model loaded in each once for the run.

    ``count_store``: count the store's quads at the end for the summary (``summary.store_quads``;
    None when off). That is a full scan, its cost growing with the store, not the run (1.4 s for
    3.8 million quads, 10k articles, on the slower benchmark machine): runs that are parts of a
    larger one (``backfill``'s batches) skip it, or the scans would add up quadratically."""
    separate = extract_in_process(settings, pages=len(pages), batch_size=batch_size)
    processes = extraction_processes(settings) if separate else 0
    in_flight = in_flight or default_in_flight(extraction_process=separate, processes=processes)
    # the task threads and RocksDB's threads, started below, share malloc's existing arenas instead
    # of each keeping an arena (and its free memory) of its own (newsgraph._memory)
    _memory.limit_arenas(MALLOC_ARENAS)
    pending: deque[tuple[Any, Any]] = deque()
    batch_in, future_in = _handover()
    carry: list[Article] = []
    total = 0

    def submit(batch: list[Article]) -> None:
        # quote/opaque: Prefect hands the batch over as it is instead of walking every Article,
        # Entity and Mention in it looking for futures (visit_collection, ~12% of a run's CPU)
        extracted = extract_task.submit(settings, batch_in(batch))
        linked = link_task.submit(settings, future_in(extracted))
        pending.append((linked, map_task.submit(settings, future_in(linked))))
        while len(pending) >= max(1, in_flight):
            _load_oldest(settings, pending, summary)

    # full garbage collections once a batch (in _load_oldest) instead of every ~100 articles
    with extraction_process(settings, enabled=separate, processes=processes), _memory.batch_collections(), \
            store_writer(settings) as store:  # the store stays open for the run
        while pages:
            chunk = pages[:max(1, window)]
            del pages[:len(chunk)]
            parsed = parse_task(settings, _quoted(chunk))
            del chunk
            summary.set_aside.extend(parsed.set_aside)
            total += len(parsed.articles)
            _progress.advance("articles", 0, total)
            carry += parsed.articles
            del parsed
            while len(carry) >= batch_size:
                batch, carry = carry[:batch_size], carry[batch_size:]
                submit(batch)
        if carry:
            submit(carry)
            carry = []
        while pending:
            _load_oldest(settings, pending, summary)
        if total and not count_store:
            summary.store_quads = None
        elif total:
            try:  # once, at the end: counting the embedded store is a full scan
                summary.store_quads = store.count()
            except LoadError:
                pass


def extract_in_process(settings: Settings, *, pages: int, batch_size: int) -> bool:
    """Whether a run extracts in a separate process (``newsgraph.pipeline.ExtractionProcess``).

    ``settings.extract_in``: "process" or "thread" decide; "auto" - a process when at least 2 cores
    are this process's to use and the run has at least ``batch_size`` pages (a run of one batch has
    nothing to overlap, and would wait for the process to load the model). Never under a runner other
    than Prefect's threads: Dask's workers are processes already."""
    ctx = FlowRunContext.get()
    if settings.extract_in == "thread" or (ctx is not None and not isinstance(ctx.task_runner, ThreadPoolTaskRunner)):
        return False
    if settings.extract_in == "process":
        return True
    return _usable_cores() >= 2 and pages >= batch_size


def _usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one - Linux -, else all)."""
    affinity = getattr(os, "sched_getaffinity", None)  # not on macOS or Windows
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


#: Most extraction processes ``extract_processes = 0`` (auto) starts. The run's own process links,
#: maps, validates and loads what they extract, at 0.6-0.8 of their CPU an article (benchmarks/README.md),
#: so it keeps up with two; a third would mostly wait for it (not measured: our machines have 2 cores).
AUTO_EXTRACT_PROCESSES = 2


def extraction_processes(settings: Settings) -> int:
    """How many extraction processes a run that extracts apart starts: ``settings.extract_processes``,
    or when that is 0 (auto) one a usable core, at most :data:`AUTO_EXTRACT_PROCESSES`. On 2 cores two
    processes share the cores with the run's own: a 1k flow took 26-28% less time than with one, at the
    same CPU an article and 330 MB more memory (the second model; benchmarks/README.md)."""
    if settings.extract_processes > 0:
        return settings.extract_processes
    return max(1, min(_usable_cores(), AUTO_EXTRACT_PROCESSES))


def default_in_flight(*, extraction_process: bool = False, processes: int = 1) -> int:
    """Batches submitted ahead of the one being loaded, when the flow is not told.

    Extraction in processes of its own: one more than there are processes - the next batches are
    extracted there while this one is mapped and loaded here. Threads (Prefect's default runner),
    extraction in this process: 1 - the next batch is extracted after this one is loaded.
    Overlapping them (2) made the run ~13% shorter on an idle 2-core machine but cost ~20% more CPU
    an article (spaCy in one thread slows by a quarter while map and load run in another; 65.1
    against 54.0 CPU-ms an article at 1k, and 876 against 683 MB peak RSS; benchmarks/README.md).
    Other runners (Dask): one batch per worker, plus one being loaded."""
    ctx = FlowRunContext.get()
    if ctx is None or isinstance(ctx.task_runner, ThreadPoolTaskRunner):
        return max(1, processes) + 1 if extraction_process else 1
    workers = (getattr(ctx.task_runner, "cluster_kwargs", None) or {}).get("n_workers") or 2
    return int(workers) + 1


def _handover() -> tuple[Any, Any]:
    """How a batch, and a future, go to a submitted task: ``quote`` (not walked) and ``opaque``
    (resolved, not walked) under the thread runner. Under Dask, as they are: Dask sends a ``quote``
    to the worker as a plain tuple, and finds futures only in plain containers (prefect-dask 0.3
    does not look inside ``opaque``); there the walking happens in the workers."""
    ctx = FlowRunContext.get()
    if ctx is not None and isinstance(ctx.task_runner, ThreadPoolTaskRunner):
        return quote, opaque
    return _as_is, _as_is


def _as_is(value: Any) -> Any:
    return value


def _quoted(value: T) -> T:
    """``quote(value)``, typed as the value: for tasks called in the flow's own thread."""
    return cast(T, quote(value))


def _load_oldest(settings: Settings, pending: deque[tuple[Any, Any]], summary: RunSummary) -> None:
    """Load the oldest batch in flight; once it is done and dropped, free it (a full garbage collection:
    its articles sit in reference cycles) and give what it freed back to the operating system
    (``newsgraph._memory``): without that, glibc keeps it in the arenas of the threads that freed it
    and a long run's memory creeps up (benchmarks/README.md)."""
    _load_next(settings, pending.popleft(), summary)
    _memory.collect()
    _memory.trim()


def _load_next(settings: Settings, futures: tuple[Any, Any], summary: RunSummary) -> None:
    linked, mapped = futures
    result = mapped.result()
    summary.set_aside.extend(result.set_aside)
    articles = linked.result()
    try:
        written = load_task(settings, _quoted(result))
    except LoadError as exc:  # after the task's retries: report what was not loaded, go on
        summary.set_aside.extend(not_loaded(settings, articles, exc))
        summary.not_loaded.extend(exc.not_loaded or [g.article_id for g in result.graphs])
        written = 0
    summary.quads_written += written
    summary.add_articles(articles)
    _progress.advance("articles", len(articles))


def not_loaded(settings: Settings, articles: list[Article], exc: LoadError) -> list[SetAside]:
    """One set-aside record (stage "load", also in quarantine/) per article the store did not take."""
    ids = set(exc.not_loaded) if exc.not_loaded else {a.id for a in articles}
    quarantine = Quarantine(settings.quarantine_dir)
    out = []
    for a in articles:
        if a.id in ids:
            item = SetAside(source=a.source, reason=f"article {a.id} not loaded: {exc.message}", stage="load")
            try:
                quarantine.put(item)
            except LoadError:  # the disk is full too: the run's report still names it
                pass
            out.append(item)
    return out
