"""The stages as plain functions, in the order an ingest runs them.

Each function has one job and a stated contract; the CLI and the Prefect flows only call them.

    fetch_pages(settings, sources)        -> FetchResult   reads sources; writes raw/ and quarantine/
    parse_pages(settings, pages)          -> ParseResult   pure (writes quarantine/ for unreadable pages)
    extract_articles(settings, articles)  -> articles      fills entities, events (spaCy, loaded once)
    link_articles(settings, articles)     -> articles      fills entity.link (Wikidata, cached)
    map_articles(settings, articles)      -> MapResult     article graphs through mappings/, SHACL-gated
    load_graphs(settings, graphs)         -> (int, int)    one named graph per article, atomic, idempotent
    store_writer(settings)                -> StoreWriter   holds the store open across load_graphs calls
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from ._models import Article, RawPage, SetAside
from .archive import Quarantine, RawArchive
from .errors import ConfigError, ExtractionError, InputError, LoadError, NewsgraphError, ValidationError
from .fetch import Fetcher, utcnow
from .parse import parse_page
from .settings import Settings

if TYPE_CHECKING:
    from .rdf import ArticleGraph

log = logging.getLogger("newsgraph")


@dataclass
class FetchResult:
    pages: list[RawPage] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)


@dataclass
class ParseResult:
    articles: list[Article] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)
    pages_read: int = 0


@dataclass
class MapResult:
    graphs: list[ArticleGraph] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)


@dataclass
class RunSummary:
    pages: int = 0
    articles: int = 0
    entities: int = 0
    linked: int = 0
    events: Counter[str] = field(default_factory=Counter)
    non_events: int = 0
    quads_written: int = 0
    store_quads: int | None = 0  # None: not counted (a full scan of the store; ingest's count_store)
    set_aside: list[SetAside] = field(default_factory=list)
    not_loaded: list[str] = field(default_factory=list)  # article ids the store did not take (re-run them)
    seconds: float = 0.0

    def add_articles(self, articles: Sequence[Article]) -> None:
        self.articles += len(articles)
        for a in articles:
            self.entities += len(a.entities)
            self.linked += sum(1 for e in a.entities if e.wikidata)
            self.events.update(e.type for e in a.events)
            self.non_events += len(a.non_events)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages, "articles": self.articles, "entities": self.entities,
            "linked_entities": self.linked, "events": sum(self.events.values()),
            "events_by_type": dict(self.events), "non_events": self.non_events,
            "quads_written": self.quads_written, "store_quads": self.store_quads,
            "set_aside": [{"source": s.source, "stage": s.stage, "reason": s.reason} for s in self.set_aside],
            "not_loaded": list(self.not_loaded),
            "seconds": round(self.seconds, 2),
        }


# ---- fetch ------------------------------------------------------------------------------
def fetch_pages(settings: Settings, sources: Iterable[str], *, keep_content: bool = True) -> FetchResult:
    """Fetch every source; keep each raw page (content-addressed) and quarantine what fails.

    ``keep_content=False``: the pages come back without their bytes (``RawPage.archived``), which
    :func:`parse_pages` reads back from the archive - so a run over 100,000 pages does not hold
    200 MB of page bytes (and the heap they fragment) until it has parsed the last one."""
    archive, quarantine = RawArchive(settings.raw_dir), Quarantine(settings.quarantine_dir)
    fetcher = Fetcher(settings, archive=archive)
    result = FetchResult()
    try:
        for item in fetcher.fetch(sources):
            if isinstance(item, SetAside):
                quarantine.put(item)
                result.set_aside.append(item)
                continue
            archive.put(item)
            if item.feed == "self":
                continue  # the feed document itself is kept; its items come as pages
            result.pages.append(item if keep_content else item.without_content())
    finally:
        fetcher.close()
    return result


# ---- parse ------------------------------------------------------------------------------
def parse_pages(settings: Settings, pages: Iterable[RawPage]) -> ParseResult:
    """Split pages into articles; a page with no readable article is set aside with its reason."""
    quarantine = Quarantine(settings.quarantine_dir)
    archive = RawArchive(settings.raw_dir)
    result = ParseResult()
    for page in pages:
        try:
            if page.archived and not page.content:
                page = _from_archive(archive, page)
            result.articles.extend(parse_page(page))
            result.pages_read += 1
        except InputError as exc:
            item = SetAside(source=page.source, reason=exc.message, stage="parse", sha256=page.sha256)
            quarantine.put(item, page.content or None)  # (an archived page: its bytes stay in raw/)
            result.set_aside.append(item)
    return result


def _from_archive(archive: RawArchive, page: RawPage) -> RawPage:
    try:
        content = archive.read(page.sha256)
    except OSError as exc:
        raise InputError(f"the raw page {page.sha256[:12]} is gone from the archive ({exc.strerror or exc}); "
                         "fetch the source again", source=page.source) from exc
    return replace(page, content=content, archived=False)


# ---- extract ----------------------------------------------------------------------------
@lru_cache(maxsize=4)
def get_extractor(model: str) -> Any:
    """The extractor for a spaCy model, loaded once per process.

    Then ``gc.freeze()``: what the process holds by now (the model, the libraries) lives as long as
    it does, and the cyclic collector's passes would walk those ~170k objects again and again
    (measured: 0.34 -> 0.03 ms an article in extraction, 0.59 -> 0.08 in mapping). Frozen objects
    are still freed by reference counting; only a cycle among them would now stay."""
    import gc

    from .extract import make_extractor

    extractor = make_extractor(model=model)
    gc.freeze()
    return extractor


def extract_articles(settings: Settings, articles: list[Article]) -> list[Article]:
    """Fill entities, events and non-events (and an inferable publication date).

    In the extraction process for the model when one is running in this process (see
    :class:`ExtractionProcess`), else here."""
    if not articles:
        return articles
    worker = _extraction_processes.get(settings.spacy_model)
    if worker is not None:
        return worker(articles)
    return list(get_extractor(settings.spacy_model)(articles))


class ExtractionProcess:
    """spaCy and the extraction rules in processes of their own (``processes``, default 1), the
    model loaded in each once.

    A run that extracts in its own process spends one core: Python's lock lets spaCy or the mapping
    and loading run at a time, not both (overlapping them in threads made spaCy a quarter slower,
    :func:`flows.tasks.default_in_flight`). With extraction here, batch N+1 is extracted in another
    process while batch N is linked, mapped and loaded in the run's; with two processes, N+1 and N+2.
    The articles go over as pickles (~5 KB an article back, ~0.3 ms to pickle and unpickle).

    Contract: ``__call__(articles) -> articles`` as :func:`extract_articles` (copies, filled in);
    thread-safe: batches handed over at once (from the flow's task threads) go to different
    processes, each started when a batch finds none idle. The processes are started with ``spawn``
    (the run's process has threads that a fork would copy mid-lock), which imports the main module
    again: a script that starts a run needs the ``if __name__ == "__main__":`` guard, as with any
    multiprocessing. If the processes never finish a batch (they cannot start, or die on the first),
    the run extracts in its own process from then on, with one warning. If one dies later (killed,
    out of memory), the pool is started again once for each batch it had; a second death raises
    :class:`~newsgraph.errors.ExtractionError` naming the batch's first article. Use as a context
    manager, or call :meth:`close`."""

    def __init__(self, model: str, *, processes: int = 1) -> None:
        self.model = model
        self.processes = max(1, processes)
        self._pool: Any = None
        self._lock = threading.Lock()
        self._batches_done = 0
        self._here = False  # the process could not be used: extract in this one

    def _start(self) -> Any:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_extraction_worker_init, initargs=(self.model,))

    def __call__(self, articles: list[Article]) -> list[Article]:
        from concurrent.futures.process import BrokenProcessPool

        if not articles:
            return articles
        for attempt in (1, 2):
            with self._lock:
                if self._here:
                    break
                if self._pool is None:
                    self._pool = self._start()
                pool = self._pool
            try:
                out = list(pool.submit(_extract_in_worker, self.model, articles).result())
            except BrokenProcessPool as exc:
                with self._lock:
                    if self._pool is pool:
                        self._pool = None
                    never_worked = not self._batches_done
                    first_to_know = never_worked and not self._here  # batches in flight all fail: warn once
                    if never_worked:
                        self._here = True
                pool.shutdown(wait=False, cancel_futures=True)
                why = str(exc) or "no reason given"
                if never_worked:
                    if first_to_know:
                        log.warning("the extraction process did not start or stopped on its first batch "
                                    "(%s; what it printed is above); extracting in this process instead", why)
                    break
                log.warning("the extraction process stopped (%s)%s", why,
                            "; starting it again" if attempt == 1 else "")
                if attempt == 2:
                    raise ExtractionError(
                        f"the extraction process stopped twice on a batch of {len(articles)} articles "
                        f"({why}): see the log for what it printed",
                        article_id=articles[0].id, source=articles[0].source or None) from exc
            else:
                with self._lock:
                    self._batches_done += 1
                return out
        return list(get_extractor(self.model)(articles))

    @property
    def pid(self) -> int | None:
        """The (first) extraction process's id while it runs (it starts with the first batch), else None."""
        return next(iter(self.pids), None)

    @property
    def pids(self) -> list[int]:
        """The extraction processes' ids while they run (started as batches come in)."""
        return list(getattr(self._pool, "_processes", None) or {})

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: The extraction processes running for this process, by spaCy model (:func:`extraction_process`).
_extraction_processes: dict[str, ExtractionProcess] = {}


@contextmanager
def extraction_process(settings: Settings, *, enabled: bool = True,
                       processes: int = 1) -> Iterator[ExtractionProcess | None]:
    """Within the block, :func:`extract_articles` for ``settings.spacy_model`` runs in separate
    processes (``processes`` of them, each started when a batch finds none idle), stopped at the
    end. ``enabled=False`` (or processes already running for the model): nothing changes, None is
    yielded."""
    model = settings.spacy_model
    if not enabled or model in _extraction_processes:
        yield None
        return
    _refuse_in_a_bootstrapping_child()
    worker = _extraction_processes[model] = ExtractionProcess(model, processes=processes)
    try:
        yield worker
    finally:
        _extraction_processes.pop(model, None)
        worker.close()


def _refuse_in_a_bootstrapping_child() -> None:
    """Raise if this process is a spawned one still importing the parent's main module: a script that
    starts a run without the ``__main__`` guard, run again by the extraction process it started. Going
    on would start a second run there, which would wait (10 minutes) for the store the first holds,
    while the first waits for its extraction process. (multiprocessing's own check, which would
    raise only once the second run had parsed its pages and opened the store.)"""
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise ConfigError(
            "a newsgraph run was started while the extraction process imported the main script: put the "
            "script's run under `if __name__ == \"__main__\":` (or set NEWSGRAPH_EXTRACT_IN=thread)")


def _extraction_worker_init(model: str) -> None:
    """In the extraction process, once: load the model (a broken model fails the first batch)."""
    try:
        get_extractor(model)
    except NewsgraphError:
        pass  # raised again, with its message, by the first batch's get_extractor


def _extract_in_worker(model: str, articles: list[Article]) -> list[Article]:
    """In the extraction process: one batch. Then what the batch freed goes back to the operating
    system (``newsgraph._memory``), as the run's process does after each batch it loads."""
    from . import _memory

    try:
        return list(get_extractor(model)(articles))
    finally:
        _memory.trim()


# ---- link -------------------------------------------------------------------------------
_linkers: dict[tuple[str, str, str], Any] = {}


def get_linker(settings: Settings) -> Any:
    key = (settings.wikidata_sparql, settings.wikidata_api, str(settings.cache_path))
    if key not in _linkers:
        from .link import make_linker

        _linkers[key] = make_linker(settings)
    return _linkers[key]


def link_articles(settings: Settings, articles: list[Article]) -> list[Article]:
    """Link every entity to Wikidata (or NIL); unreachable Wikidata leaves them marked for relink."""
    if not settings.linking or not articles:
        return articles
    return list(get_linker(settings)(articles))


# ---- map --------------------------------------------------------------------------------
def map_articles(settings: Settings, articles: list[Article], *, extracted_at: str | None = None) -> MapResult:
    """Map each article to its RDF graph through the mappings; SHACL-validate it (the gate)."""
    from .rdf import article_graph, validate

    stamp = extracted_at or utcnow()
    result = MapResult()
    quarantine = Quarantine(settings.quarantine_dir)
    for article in articles:
        try:
            graph = article_graph(article, extracted_at=stamp)
            validate(graph)
        except ValidationError as exc:
            item = SetAside(source=article.source, reason=f"article {article.id} fails SHACL: {exc.message}",
                            stage="validate", sha256=article.page_sha256)
            quarantine.put(item)
            result.set_aside.append(item)
            continue
        except NewsgraphError as exc:
            item = SetAside(source=article.source, reason=f"article {article.id}: {exc.message}", stage="map",
                            sha256=article.page_sha256)
            quarantine.put(item)
            result.set_aside.append(item)
            continue
        result.graphs.append(graph)
    return result


# ---- load -------------------------------------------------------------------------------
#: How long a load waits for the embedded store while another process (another run) writes it.
STORE_LOCK_WAIT = 600.0
#: Article graphs per store transaction (and per SPARQL Update request): at least the ingest flow's
#: batch (flows/ingest.py), so that one flow batch is one transaction.
LOAD_BATCH = 256


def _waiting_dir(settings: Settings) -> Path | None:
    """Where processes waiting for the embedded store leave a marker (``<store>.waiting/<pid>``)."""
    target = (settings.store or "embedded").strip()
    return Path(str(settings.store_dir) + ".waiting") if target in ("embedded", "") else None


def open_for_writing(settings: Settings, *, wait: float = STORE_LOCK_WAIT) -> Any:
    """The store, open for writing. The embedded store has one writer process at a time: while
    another run holds it, wait (bounded by ``wait`` seconds), then raise StoreLocked. While waiting,
    a marker tells a :class:`StoreWriter` holding the store to let go after its batch in hand."""
    from .errors import StoreLocked
    from .store import open_store

    deadline = time.monotonic() + wait
    pause = 0.05
    marker: Path | None = None
    try:
        while True:
            try:
                return open_store(settings)
            except StoreLocked:
                if time.monotonic() >= deadline:
                    raise
                waiting = _waiting_dir(settings)
                if marker is None and waiting is not None:
                    try:
                        waiting.mkdir(parents=True, exist_ok=True)
                        marker = waiting / str(os.getpid())
                        marker.touch()
                    except OSError:  # a full disk: wait without the marker
                        marker = None
                time.sleep(pause)
                pause = min(1.0, pause * 2)
    finally:
        if marker is not None:
            marker.unlink(missing_ok=True)


def _others_waiting(waiting: Path | None) -> bool:
    """Does another live process wait for the embedded store? (Stale markers are removed.)"""
    if waiting is None:
        return False
    try:
        names = os.listdir(waiting)
    except OSError:
        return False
    me = os.getpid()
    for name in names:
        if not name.isdigit() or int(name) == me:
            continue
        try:
            os.kill(int(name), 0)
        except ProcessLookupError:
            (waiting / name).unlink(missing_ok=True)
            continue
        except PermissionError:
            pass
        return True
    return False


def entity_facts_once(graphs: Sequence[ArticleGraph]) -> list[ArticleGraph]:
    """The graphs with each shared entity fact (``entity_quads``) kept by its first graph only.

    The articles of a batch share most entities (a batch of 64 synthetic articles: 2,214 entity
    quads, 907 distinct), and written together in one transaction the store ends up with the same
    quads either way; but Oxigraph writes a repeated quad in full again (~20 µs a quad, ~8% of
    the load stage). The graphs given are not changed (copies with fewer entity quads)."""
    seen: set[Any] = set()
    out: list[ArticleGraph] = []
    for g in {g.iri: g for g in graphs}.values():  # an article given twice: the last one, as the store does
        fresh = [q for q in g.entity_quads if q not in seen]
        seen.update(fresh)
        out.append(g if len(fresh) == len(g.entity_quads) else replace(g, entity_quads=fresh))
    return out


class StoreWriter:
    """The store held open for writing across many :func:`load_graphs` calls (a run, or a worker).

    Opening the embedded store costs ~50 ms and counting its quads is a full scan, so a run opens
    it once, counts once at the end, and keeps one atomic write per batch. Another process waiting
    for the embedded store (one writer process at a time) gets it after the batch in hand: the
    writer closes it and waits for its own turn, as runs interleaved when each batch opened it.
    A failed write closes the store too, so a retry starts from a fresh one.

    The embedded store's memtables go to disk every :meth:`flush_budget` quads (and on close), not
    after every batch of a long import: each flush writes one small table per index spanning the
    whole key space (Oxigraph's keys start with hashes), and RocksDB then rewrites its first level
    to merge them, a cost that grows with the store (benchmarks/README.md). New articles bypass the
    memtables (they are ingested as table files, store.EmbeddedStore._write_new); what fills them is
    replacements and summary rows. Every batch is durable when written either way (write-ahead log,
    or ingested files in RocksDB's manifest), so a killed run loses nothing it reported written.

    Every ``settings.store_reopen_quads`` quads the writer closes the embedded store, and the next
    batch opens it again (~20 ms for a 10k-article store). That is the one way to empty RocksDB's
    block caches, which pyoxigraph does not let us size: the summary's upkeep reads rows and
    articles back, and the caches keep what it read up to their bound (~160 MB, reached after
    ~12,000 articles), so without it a run's memory climbs for its first hour. Reopened every
    500,000 quads (~1,300 articles) the caches stay under ~50 MB, at no measurable CPU cost
    (benchmarks/README.md).
    """

    def __init__(self, settings: Settings, *, wait: float = STORE_LOCK_WAIT) -> None:
        self.settings = settings
        self.wait = wait
        self._store: Any = None
        self._unflushed = 0  # quads written since the embedded store's memtables last went to disk
        self._written = 0  # quads written by this writer
        self._since_open = 0  # quads written since the store was opened
        self._waiting = _waiting_dir(settings)
        self._lock = threading.Lock()

    def flush_budget(self) -> int:
        """Quads to write before the embedded store's memtables go to disk: a quarter of what this
        writer has written, up to ``settings.store_flush_quads``. A young run (or a small one) flushes
        after every batch - its store is small, so are the compactions, and small memtables are
        faster to read back - and a long import flushes less often as its store grows."""
        return min(self.settings.store_flush_quads, self._written // 4)

    def _open(self) -> Any:
        if self._store is not None and _others_waiting(self._waiting):
            self._release()
        if self._store is None:
            self._store = open_for_writing(self.settings, wait=self.wait)
        return self._store

    def _release(self) -> None:
        store, self._store, self._unflushed, self._since_open = self._store, None, 0, 0  # closing flushes
        if store is not None:
            store.close()

    def publish(self, graphs: Sequence[ArticleGraph]) -> int:
        """Publish graphs, ``LOAD_BATCH`` a transaction. LoadError's ``not_loaded``: as load_graphs."""
        with self._lock:
            try:
                store = self._open()
            except LoadError as exc:
                exc.not_loaded = [g.article_id for g in graphs]
                raise
            written = 0
            for i in range(0, len(graphs), LOAD_BATCH):
                chunk = graphs[i:i + LOAD_BATCH]
                try:
                    store.publish(entity_facts_once(chunk), batch_size=LOAD_BATCH)
                    written += sum(len(g) for g in chunk)
                except LoadError as exc:
                    exc.not_loaded = [g.article_id for g in graphs[i:]]
                    self._release()
                    raise
                except BaseException:
                    self._release()
                    raise
            self._unflushed += written
            self._written += written
            self._since_open += written
            flush = getattr(store, "flush", None)  # embedded: keeps memory flat (see EmbeddedStore.flush)
            reopen = self.settings.store_reopen_quads
            if flush is not None and reopen and self._since_open >= reopen:
                self._release()  # closing flushes; the next batch opens it with empty caches
            elif flush is not None and self._unflushed >= self.flush_budget():
                self._unflushed = 0
                try:
                    flush()
                except LoadError as exc:  # the batch is committed (write-ahead log): as close() did, go on
                    log.warning("%s", exc.message)  # (if RocksDB stays in error, the next write fails)
            return written

    def count(self) -> int:
        """Quads in the store (a full scan of the embedded store: call it once, at the end)."""
        with self._lock:
            return int(self._open().count())

    def close(self) -> None:
        with self._lock:
            self._release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_writers: dict[tuple[str, str], StoreWriter] = {}
_writers_lock = threading.Lock()


def _store_key(settings: Settings) -> tuple[str, str]:
    return ((settings.store or "embedded").strip(), str(settings.store_dir))


@contextmanager
def store_writer(settings: Settings) -> Iterator[StoreWriter]:
    """Hold the store open for every :func:`load_graphs` call with these settings in this process
    until the block ends (the ``ingest`` flow wraps its batches in one)."""
    key = _store_key(settings)
    with _writers_lock:
        outer = _writers.get(key)
        owner = outer is None  # nested: the outer block owns it
        writer = outer if outer is not None else StoreWriter(settings)
        _writers[key] = writer
    try:
        yield writer
    finally:
        if owner:
            with _writers_lock:
                _writers.pop(key, None)
            writer.close()


def load_graphs(settings: Settings, graphs: list[ArticleGraph], *,
                count: bool = True) -> tuple[int, int | None]:
    """Publish article graphs (replacing earlier versions atomically). Returns (written, store size),
    the size ``None`` with ``count=False`` (counting the embedded store is a full scan).

    Each batch of ``LOAD_BATCH`` graphs is one transaction: a failure leaves every article either
    in its old or in its new state. Raises LoadError whose ``not_loaded`` lists the article ids of
    the batch that failed and of every batch after it (the ones before it are in the store).
    Inside a :func:`store_writer` block the store stays open between calls; otherwise each call
    opens and closes it.
    """
    writer = _writers.get(_store_key(settings))
    if writer is not None:
        written = writer.publish(graphs)
        return written, (writer.count() if count else None)
    with StoreWriter(settings) as own:
        written = own.publish(graphs)
        return written, (own.count() if count else None)


def batched(items: Sequence[Any], size: int) -> Iterable[list[Any]]:
    size = max(1, size)
    for i in range(0, len(items), size):
        yield list(items[i:i + size])
