"""The benchmark suite: every stage, the whole flow and their floors, at several corpus sizes.

    python benchmarks/run.py --sizes 1000 10000          # the suite (README: "Benchmarks")
    python benchmarks/run.py --sizes 100000 --only e2e   # one measurement at one size
    python benchmarks/run.py --sizes 1000 --profile extract map   # + cProfile of those stages

For each size N it generates (or reuses) a seeded synthetic corpus of N articles
(``benchmarks/synth.py``), then measures, each in its own child process so that peak RSS and CPU
time belong to that measurement alone (``os.wait4`` on the child):

    parse       fetch_pages + parse_pages on the corpus folder         (pipeline.py)
    extract     extract_articles, batch by batch                        (pipeline.py)
    link-cold   link_articles with an empty cache                       (pipeline.py)
    link-warm   link_articles again with the cache the cold run filled  (pipeline.py)
    map         map_articles (RDF mapping + SHACL gate)                 (pipeline.py)
    load        load_graphs into an empty embedded store                (pipeline.py)
    query       every query of queries/*.rq against that store (median of 3 runs each)
    e2e         the Prefect flow ``ingest`` over the corpus folder, warm link cache
    e2e-dask    the same flow with a Dask task runner on 2 worker processes (NEWSGRAPH_TASK_RUNNER=dask)
  floors, reported as ratios:
    spacy       bare ``nlp.pipe`` over the same article texts, same model (floor of extract and e2e)
    bulk        pyoxigraph ``Store.bulk_load`` of the same quads as N-Quads (floor of load)

Stages hand their output to the next through pickle files written and read in batches outside
the timed region, so a stage's time is the stage function's time only. Linking runs against a
local Oxigraph SPARQL server over ``wikidata-subset.nt`` that the suite starts (``oxigraph load``
+ ``oxigraph serve-read-only``) and stops; without the ``oxigraph`` command or the subset,
linking is off and the table says so.

Output: a printed table; ``benchmarks/results/bench-<time>.json`` (+ ``latest.json``), a
Markdown copy of the table and ``throughput-<time>.png`` (articles/s against corpus size; needs
matplotlib: ``pip install -e '.[bench]'``). The targets of issue 7 are checked and printed as
PASS/MISS, never adjusted.
"""
from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import pickle
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED_SUBSET = REPO.parent / "shared" / "wikidata" / "wikidata-subset.nt"
RESULTS = HERE / "results"
CHUNK = 256  # articles per stage call: the ingest flow's default batch size (flows/ingest.py)
#: spaCy's floor: nlp.pipe in batches of 64, as it has always been measured (its rate barely depends
#: on it: 32, 64, 128, 256 within noise, benchmarks/README.md)
FLOOR_BATCH = 64

STAGES = ["parse", "spacy", "extract", "link-cold", "link-warm", "map", "load", "bulk", "query", "e2e",
          "e2e-capped", "e2e-dask"]
#: The suite's default: everything but the diagnostic e2e-capped (the flow with Prefect's thread pool
#: capped at --e2e-threads, default 2: what a deployment would set if the unbounded pool runs out of RAM).
DEFAULT_STAGES = [s for s in STAGES if s != "e2e-capped"]
#: What each stage needs from earlier stages (the suite runs them when asked for a later one).
NEEDS = {"spacy": ["parse"], "extract": ["parse"], "link-cold": ["extract"], "link-warm": ["link-cold"],
         "map": ["link-cold"], "load": ["map"], "bulk": ["map"], "query": ["load"], "e2e": ["link-cold"],
         "e2e-capped": ["link-cold"], "e2e-dask": ["link-cold"]}
#: Stages measured, with ``--jobs 2``, at the largest size in parts side by side, each part its own
#: process on a contiguous share of the input's batches (input file, output file): the two longest
#: measurements besides the flow and the floor, one core each, instead of one core while the other
#: waits for them. The parts' output is joined, in order, into the file the next stage reads, and
#: their figures into one row (``join_parts``).
SPLIT = {"extract": ("parsed.pkl", "extracted.pkl"), "map": ("linked.pkl", "graphs.pkl")}
SPLIT_PARTS = 2
STAGE_LABEL = {"parse": "fetch+parse", "spacy": "spaCy nlp.pipe (floor)", "extract": "extract",
               "link-cold": "link, cold cache", "link-warm": "link, warm cache", "map": "map + SHACL",
               "load": "load", "bulk": "bulk_load (floor)", "query": "query (cookbook)",
               "e2e": "ingest flow (Prefect)", "e2e-capped": "ingest flow, pool capped", "e2e-dask": "ingest flow, Dask x2"}

# Targets of issue 7
E2E_VS_SPACY = 0.60
GROWTH_100X = 110.0
E2E_100K_SECONDS = 2 * 3600
SUITE_SECONDS = 20 * 60
RSS_HALVES = 1.10  # within the largest flow run: peak RSS in its second half / in its first
RSS_FLAT = 1.25  # peak RSS at the largest size / at the smallest, for "memory stays flat"


# =============================================================================================
# child side: one measurement, in its own process
# =============================================================================================
def part_stage(stage: str, i: int, k: int) -> str:
    """The name of part ``i`` of ``k`` of a stage's measurement: ``extract-part1of2``."""
    return f"{stage}-part{i}of{k}"


def split_stage(stage: str) -> tuple[str, tuple[int, int] | None]:
    """``extract-part1of2`` -> ``("extract", (1, 2))``; a whole stage -> ``(stage, None)``."""
    m = re.fullmatch(r"(.+)-part(\d+)of(\d+)", stage)
    return (m[1], (int(m[2]), int(m[3]))) if m else (stage, None)


def base_stage(stage: str) -> str:
    return split_stage(stage)[0]


def stage_label(stage: str) -> str:
    base, part = split_stage(stage)
    return STAGE_LABEL[base] + (f" ({part[0]}/{part[1]})" if part else "")


def part_path(path: Path, part: tuple[int, int] | None) -> Path:
    """Where a part writes what the whole stage writes to ``path``."""
    return path if part is None else path.with_name(f"{path.stem}.part{part[0]}of{part[1]}{path.suffix}")


def _read_part(path: Path, part: tuple[int, int] | None) -> Iterator[list[Any]]:
    """The batches of ``path`` that belong to ``part``: the i-th of k contiguous shares, so the parts'
    outputs joined in order are the whole stage's output, batch for batch."""
    if part is None:
        yield from _read_stream(path)
        return
    i, k = part
    total = sum(1 for _ in _read_stream(path))
    lo, hi = (i - 1) * total // k, i * total // k
    for index, chunk in enumerate(_read_stream(path)):
        if index >= hi:
            return
        if index >= lo:
            yield chunk


def split_jobs(jobs: list[tuple[str, int]], largest: int, parts: int = SPLIT_PARTS) -> list[tuple[str, int]]:
    """The ``SPLIT`` stages at the largest size as ``parts`` jobs each, in the plan's place."""
    out: list[tuple[str, int]] = []
    for stage, n in jobs:
        if stage in SPLIT and n == largest:
            out += [(part_stage(stage, i, parts), n) for i in range(1, parts + 1)]
        else:
            out.append((stage, n))
    return out


def join_part_files(work: Path, stage: str, k: int) -> Path:
    """Concatenate the parts' output streams, in order, into the file the next stage reads."""
    dest = work / SPLIT[stage][1]
    tmp = dest.with_name(dest.name + ".joining")
    with tmp.open("wb") as out:
        for i in range(1, k + 1):
            with part_path(dest, (i, k)).open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
    tmp.replace(dest)
    for i in range(1, k + 1):
        part_path(dest, (i, k)).unlink()
    return dest


def _dump_stream(path: Path, items: list[Any], mode: str = "ab") -> None:
    with path.open(mode) as fh:
        pickle.dump(items, fh, protocol=pickle.HIGHEST_PROTOCOL)


def _read_stream(path: Path) -> Iterator[list[Any]]:
    with path.open("rb") as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return


class Timer:
    """Adds up the time spent inside ``with timer:`` blocks."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> Self:
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._t0


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _mallinfo2() -> Any:
    """glibc's ``mallinfo2`` (2.33+), or None elsewhere."""
    try:
        fn = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return None
    fn.restype = _MallInfo2
    return fn


class RssTrace:
    """Samples this process's RSS every ``every`` seconds while in ``with``: the trajectory shows whether
    memory plateaus (bounded caches filling) or keeps growing (per-article state). The RSS is this
    process's and its children's, summed (a flow's extraction process, Dask's workers; psutil), so a
    run that moves work into another process is not measured as smaller. With glibc it also
    samples malloc's books (``mallinfo2``, all arenas): bytes handed out (Python's large objects,
    RocksDB's memtables, caches and table readers) against bytes malloc holds free - growth in the
    first is memory kept, in the second fragmentation."""

    def __init__(self, every: float = 2.0) -> None:
        self.every = every
        self.samples: list[tuple[float, float]] = []  # (seconds since start, RSS MB)
        self.malloc: list[tuple[float, float, float]] = []  # (seconds, MB in use, MB held free)
        self._mallinfo2 = _mallinfo2()
        self._stop = threading.Event()

    @staticmethod
    def rss_mb() -> float:
        """This process's RSS plus its descendants' (MB)."""
        with open("/proc/self/status") as fh:
            own = next((int(line.split()[1]) / 1024 for line in fh if line.startswith("VmRSS:")), 0.0)
        return own + _children_rss_mb(os.getpid())

    def _run(self) -> None:
        t0 = time.perf_counter()
        while not self._stop.wait(self.every):
            t = round(time.perf_counter() - t0, 1)
            self.samples.append((t, round(self.rss_mb(), 1)))
            if self._mallinfo2 is not None:
                mi = self._mallinfo2()
                self.malloc.append((t, round((mi.uordblks + mi.hblkhd) / 2**20, 1), round(mi.fordblks / 2**20, 1)))

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="rss-trace", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self, points: int = 60) -> dict[str, Any]:
        """Peak RSS in each half of the run (and when it was sampled), and the trace thinned to about
        ``points`` samples: the highest sample of each stretch, so a short spike stays in the trace."""
        if not self.samples:
            return {}
        end = self.samples[-1][0]
        first = [s for s in self.samples if s[0] <= end / 2] or [self.samples[0]]
        second = [s for s in self.samples if s[0] > end / 2] or [self.samples[-1]]
        peak1, peak2 = (max(half, key=lambda s: s[1]) for half in (first, second))
        step = max(1, len(self.samples) // points)
        kept = [max(range(i, min(i + step, len(self.samples))), key=lambda j: self.samples[j][1])
                for i in range(0, len(self.samples), step)]
        out: dict[str, Any] = {"rss_peak_mb": max(s[1] for s in self.samples),
                               "rss_peak_first_half_mb": peak1[1], "rss_peak_first_half_at_s": peak1[0],
                               "rss_peak_second_half_mb": peak2[1], "rss_peak_second_half_at_s": peak2[0],
                               "rss_trace": [self.samples[j] for j in kept]}
        if len(self.malloc) == len(self.samples):  # (seconds, in use MB, held free MB), same moments
            out["malloc_trace"] = [self.malloc[j] for j in kept]
        return out


def _pack_graphs(graphs: list[Any]) -> list[tuple[Any, ...]]:
    """ArticleGraphs -> picklable tuples; their quads as N-Quads bytes (pyoxigraph serialises in Rust)."""
    import pyoxigraph as ox

    nq = ox.RdfFormat.N_QUADS
    return [(g.iri, g.article_id, g.article_iri, ox.serialize(g.quads, format=nq),
             ox.serialize(g.entity_quads, format=nq), g.report, ox.serialize(g.report_quads, format=nq))
            for g in graphs]


def _unpack_graphs(packed: list[tuple[Any, ...]]) -> list[Any]:
    import pyoxigraph as ox

    from newsgraph.rdf import ArticleGraph

    nq = ox.RdfFormat.N_QUADS
    return [ArticleGraph(iri=iri, article_id=aid, article_iri=airi, quads=list(ox.parse(q, format=nq)),
                         entity_quads=list(ox.parse(e, format=nq)), report=rep,
                         report_quads=list(ox.parse(r, format=nq)))
            for iri, aid, airi, q, e, rep, r in packed]


def _settings(data_dir: Path, *, linking: bool) -> Any:
    from newsgraph.settings import load_settings

    return load_settings(data_dir=str(data_dir), linking=linking)


def _part(opts: dict[str, Any]) -> tuple[int, int] | None:
    part = opts.get("part")
    return (int(part[0]), int(part[1])) if part else None


def child_parse(work: Path, corpus: Path, opts: dict[str, Any]) -> dict[str, Any]:
    from newsgraph.pipeline import fetch_pages, parse_pages

    settings = _settings(work / "parse-data", linking=False)
    fetch_t, parse_t = Timer(), Timer()
    with fetch_t:
        fetched = fetch_pages(settings, [str(corpus / "pages")])
    with parse_t:
        parsed = parse_pages(settings, fetched.pages)
    out = work / "parsed.pkl"
    out.unlink(missing_ok=True)
    for i in range(0, len(parsed.articles), CHUNK):
        _dump_stream(out, parsed.articles[i:i + CHUNK])
    return {"articles": len(parsed.articles), "pages": parsed.pages_read, "seconds": fetch_t.seconds + parse_t.seconds,
            "detail": {"fetch_s": round(fetch_t.seconds, 3), "parse_s": round(parse_t.seconds, 3),
                       "set_aside": len(fetched.set_aside) + len(parsed.set_aside)}}


def child_spacy(work: Path, corpus: Path, opts: dict[str, Any]) -> dict[str, Any]:
    import spacy

    from newsgraph.settings import Settings

    model = os.environ.get("NEWSGRAPH_SPACY_MODEL") or Settings().spacy_model
    texts = [a.text for chunk in _read_stream(work / "parsed.pkl") for a in chunk]
    sample = opts.get("floor_sample") or 0
    if sample and sample < len(texts):  # an even spread over the corpus, not its head
        step = len(texts) / sample
        texts = [texts[int(i * step)] for i in range(sample)]
    setup = Timer()
    with setup:
        nlp = spacy.load(model)
        list(nlp.pipe(texts[:4]))
    t = Timer()
    with t:
        for _ in nlp.pipe(texts, batch_size=FLOOR_BATCH):
            pass
    return {"articles": len(texts), "seconds": t.seconds,
            "detail": {"setup_s": round(setup.seconds, 2), "pipes": nlp.pipe_names, "model": model,
                       "words": sum(len(x.split()) for x in texts)}}


def child_extract(work: Path, corpus: Path, opts: dict[str, Any]) -> dict[str, Any]:
    from newsgraph.pipeline import extract_articles, get_extractor

    settings = _settings(work / "extract-data", linking=False)
    setup = Timer()
    with setup:
        get_extractor(settings.spacy_model)
    part = _part(opts)
    src, dest = SPLIT["extract"]
    out = part_path(work / dest, part)
    out.write_bytes(b"")  # there even when a part's share is empty
    t, n, ents, events = Timer(), 0, 0, 0
    for chunk in _read_part(work / src, part):
        with t:
            chunk = extract_articles(settings, chunk)
        n += len(chunk)
        ents += sum(len(a.entities) for a in chunk)
        events += sum(len(a.events) for a in chunk)
        _dump_stream(out, chunk)
    return {"articles": n, "seconds": t.seconds,
            "detail": {"setup_s": round(setup.seconds, 2), "entities": ents, "events": events}}


def _link(work: Path, opts: dict[str, Any], *, write: bool) -> dict[str, Any]:
    from newsgraph.pipeline import get_linker, link_articles

    settings = _settings(work / "link-data", linking=bool(opts.get("sparql")))
    out = work / "linked.pkl"
    if write:
        out.unlink(missing_ok=True)
    t, n, linked, ents = Timer(), 0, 0, 0
    for chunk in _read_stream(work / "extracted.pkl"):
        with t:
            chunk = link_articles(settings, chunk)
        n += len(chunk)
        ents += sum(len(a.entities) for a in chunk)
        linked += sum(1 for a in chunk for e in a.entities if e.wikidata)
        if write:
            _dump_stream(out, chunk)
    detail: dict[str, Any] = {"entities": ents, "linked": linked, "linking": settings.linking}
    if settings.linking:
        stats = getattr(get_linker(settings), "stats", None)
        if stats is not None:
            detail["linker"] = stats if isinstance(stats, dict) else getattr(stats, "__dict__", str(stats))
    return {"articles": n, "seconds": t.seconds, "detail": detail}


def child_link_cold(work: Path, corpus: Path, opts: dict[str, Any]) -> dict[str, Any]:
    shutil.rmtree(work / "link-data", ignore_errors=True)
    return _link(work, opts, write=True)


def child_link_warm(work: Path, corpus: Path, opts: dict[str, Any]) -> dict[str, Any]:
    return _link(work, opts, write=False)


def child_map(work: Path, corpus: Path, opts: dict[str, Any]) -> dict[str, Any]:
    from newsgraph.pipeline import map_articles

    settings = _settings(work / "map-data", linking=False)
    part = _part(opts)
    src, dest = SPLIT["map"]
    out = part_path(work / dest, part)
    out.write_bytes(b"")  # there even when a part's share is empty
    stamp = "2025-01-01T00:00:00Z"
    t, n, graphs, quads, aside = Timer(), 0, 0, 0, 0
    for chunk in _read_part(work / src, part):
        with t:
            result = map_articles(settings, chunk, extracted_at=stamp)
        n += len(chunk)
        graphs += len(result.graphs)
        quads += sum(len(g) for g in result.graphs)
        aside += len(result.set_aside)
        _dump_stream(out, _pack_graphs(result.graphs))
    return {"articles": n, "seconds": t.seconds, "detail": {"graphs": graphs, "quads": quads, "set_aside": aside}}


def child_load(work: Path, corpus: Path, opts: dict[str, Any]) -> dict[str, Any]:
    """load_graphs as the flow calls it: inside one store_writer (the store opened once), a batch a
    call, the store's size counted once at the end; opening, closing and counting are timed."""
    from newsgraph.pipeline import load_graphs, store_writer

    shutil.rmtree(work / "load-data", ignore_errors=True)
    settings = _settings(work / "load-data", linking=False)
    t, n, written, size = Timer(), 0, 0, 0
    with t:
        writer = store_writer(settings)
        store = writer.__enter__()
    try:
        for packed in _read_stream(work / "graphs.pkl"):
            graphs = _unpack_graphs(packed)
            with t:
                w, _ = load_graphs(settings, graphs, count=False)
            written += w
            n += len(graphs)
        with t:
            size = store.count()
    finally:
        with t:
            writer.__exit__(None, None, None)
    return {"articles": n, "seconds": t.seconds, "detail": {"quads_written": written, "store_quads": size}}


def child_bulk(work: Path, corpus: Path, opts: dict[str, Any]) -> dict[str, Any]:
    import pyoxigraph as ox

    nq = work / "quads.nq"
    n = 0
    with nq.open("wb") as fh:
        for packed in _read_stream(work / "graphs.pkl"):  # the very quads load_graphs writes
            n += len(packed)
            for _, _, _, quads, entity_quads, _, report_quads in packed:
                fh.write(quads + report_quads + entity_quads)
    store_dir = work / "bulk-store"
    shutil.rmtree(store_dir, ignore_errors=True)
    t = Timer()
    with t:
        store = ox.Store(str(store_dir))
        store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
        store.flush()
        size = len(store)
    del store
    return {"articles": n, "seconds": t.seconds, "detail": {"store_quads": size, "nquads_bytes": nq.stat().st_size}}


def child_query(work: Path, corpus: Path, opts: dict[str, Any]) -> dict[str, Any]:
    from newsgraph.store import open_store

    settings = _settings(work / "load-data", linking=False)
    store = open_store(settings, read_only=True)
    per: dict[str, Any] = {}
    t = Timer()
    try:
        for path in sorted((REPO / "queries").glob("*.rq")):
            sparql = path.read_text(encoding="utf-8")
            partial = {"per_query": per, "running": path.stem}
            (work / "query.partial.json").write_text(json.dumps(partial), encoding="utf-8")
            runs: list[float] = []
            rows = 0
            for _ in range(3):
                if runs and runs[0] > 10:  # a slow query is timed once
                    break
                t0 = time.perf_counter()
                with t:
                    res = store.query(sparql)
                runs.append(time.perf_counter() - t0)
                rows = len(res)
            per[path.stem] = {"median_ms": round(statistics.median(runs) * 1000, 1), "rows": rows, "runs": len(runs)}
    finally:
        store.close()
    n_queries = sum(p["runs"] for p in per.values())
    return {"articles": None, "queries": n_queries, "seconds": t.seconds,
            "detail": {"per_query": per, "queries_per_s": round(n_queries / t.seconds, 2) if t.seconds else None}}


def _e2e(work: Path, corpus: Path, opts: dict[str, Any], *, name: str) -> dict[str, Any]:
    data = work / f"{name}-data"
    shutil.rmtree(data, ignore_errors=True)
    (data / "cache").mkdir(parents=True)
    warm = work / "link-data" / "cache" / "wikidata.sqlite"
    if warm.exists():  # issue 7: end to end "with a warm link cache"
        shutil.copy(warm, data / "cache" / "wikidata.sqlite")
    setup = Timer()
    with setup:
        from flows.ingest import ingest
    t = Timer()
    with t, RssTrace() as rss:
        kw: dict[str, Any] = {"batch_size": int(opts["e2e_batch"])} if opts.get("e2e_batch") else {}  # else the flow's default
        if opts.get("e2e_in_flight"):
            kw["batches_in_flight"] = int(opts["e2e_in_flight"])
        summary = ingest(sources=[str(corpus / "pages")], data_dir=str(data), linking=bool(opts.get("sparql")), **kw)
    return {"articles": summary.get("articles"), "seconds": t.seconds,
            "detail": {**rss.summary(), "import_s": round(setup.seconds, 2), "batch_size": kw.get("batch_size", "flow default"),
                       "in_flight": kw.get("batches_in_flight", "flow default"), "runner": os.environ.get("NEWSGRAPH_TASK_RUNNER", "threads"),
                       "summary": {k: v for k, v in summary.items() if k != "set_aside"},
                       "set_aside": len(summary.get("set_aside") or [])}}


def child_e2e(work: Path, corpus: Path, opts: dict[str, Any]) -> dict[str, Any]:
    return _e2e(work, corpus, opts, name="e2e")


def child_e2e_capped(work: Path, corpus: Path, opts: dict[str, Any]) -> dict[str, Any]:
    return _e2e(work, corpus, opts, name="e2e-capped")


def child_e2e_dask(work: Path, corpus: Path, opts: dict[str, Any]) -> dict[str, Any]:
    return _e2e(work, corpus, opts, name="e2e-dask")


CHILDREN = {"parse": child_parse, "spacy": child_spacy, "extract": child_extract, "link-cold": child_link_cold,
            "link-warm": child_link_warm, "map": child_map, "load": child_load, "bulk": child_bulk,
            "query": child_query, "e2e": child_e2e, "e2e-capped": child_e2e_capped, "e2e-dask": child_e2e_dask}


def child_main(stage: str, work: Path, corpus: Path, opts: dict[str, Any]) -> None:
    import resource

    base, part = split_stage(stage)
    fn = CHILDREN[base]
    if part:
        opts = {**opts, "part": list(part)}
    profile_to = opts.get("profile_to")
    if profile_to:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        result = prof.runcall(fn, work, corpus, opts)
        with open(profile_to, "w") as fh:
            stats = pstats.Stats(prof, stream=fh)
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
    else:
        result = fn(work, corpus, opts)
    result["rss_self_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    (work / f"{stage}.result.json").write_text(json.dumps(result, default=str), encoding="utf-8")


# =============================================================================================
# parent side: corpus, the SPARQL server, child processes, table, plot
# =============================================================================================
@dataclass
class Measurement:
    stage: str
    size: int
    articles: int | None
    seconds: float
    wall_s: float
    rss_mb: float  # peak RSS of the measured process itself
    rss_tree_mb: float  # largest peak RSS among it and the children it waited for (Prefect server, Dask)
    cpu_s: float  # user + sys of the process and its waited-for children
    load_before: float
    detail: dict[str, Any]
    error: str | None = None

    @property
    def rss_peak_mb(self) -> float:
        """Peak RSS of the measured work: its process's, or, where it was sampled (the flows), the
        highest sum of its process's and children's (an extraction process, Dask's workers)."""
        return max(self.rss_mb, float(self.detail.get("rss_peak_mb") or 0.0))

    @property
    def rate(self) -> float | None:
        if self.error or not self.seconds:
            return None
        if self.stage == "query":
            return self.detail.get("queries_per_s")
        return (self.articles or 0) / self.seconds

    @property
    def rate_cpu(self) -> float | None:
        """Articles per CPU second: the child's whole CPU time (set-up and hand-off I/O included, so
        conservative) plus, for the flows, the Prefect server's. On a shared machine this is the
        figure that does not depend on how much of a core the measurement got."""
        cpu = self.cpu_s + float(self.detail.get("prefect_server_cpu_s") or 0.0)
        if self.error or not cpu or self.stage == "query" or not self.articles:
            return None
        return self.articles / cpu

    @property
    def rate_cpu_busy(self) -> float | None:
        """As ``rate_cpu``, less what the Prefect server's background loops cost over the flow's wall
        time (its idle rate, measured before the first flow); None when that rate is unknown."""
        idle = self.detail.get("prefect_server_idle_cpu_s")
        if idle is None or self.rate_cpu is None:
            return None
        server = float(self.detail.get("prefect_server_cpu_s") or 0.0)
        return (self.articles or 0) / (self.cpu_s + max(0.0, server - float(idle)))


def join_parts(ms: list[Measurement]) -> list[Measurement]:
    """One row for a stage measured in parts (``SPLIT``), in the place of its first part: articles,
    seconds, wall and CPU time added up, so its rate is one process's, as if it had run whole (the
    figure the floor is compared with); peak RSS the largest part's. Each part's own figures, and who
    ran beside it, stay in ``detail["parts"]``."""
    groups: dict[tuple[str, int], list[Measurement]] = {}
    for m in ms:
        base, part = split_stage(m.stage)
        if part:
            groups.setdefault((base, m.size), []).append(m)
    out: list[Measurement] = []
    for m in ms:
        base, part = split_stage(m.stage)
        if not part:
            out.append(m)
            continue
        parts = groups.pop((base, m.size), None)
        if parts is None:  # joined at its first part
            continue
        parts.sort(key=lambda x: split_stage(x.stage)[1] or (0, 0))
        failed = next((x for x in parts if x.error), None)
        counts: dict[str, Any] = {}
        for key in parts[0].detail:
            values = [x.detail.get(key) for x in parts]
            if key not in ("jobs", "nice") and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                counts[key] = sum(values)
        each = [{"part": "{}/{}".format(*(split_stage(x.stage)[1] or (0, 0))), "articles": x.articles,
                 "seconds": x.seconds, "wall_s": x.wall_s, "cpu_s": x.cpu_s, "rss_mb": x.rss_mb, **x.detail}
                for x in parts]
        articles = None if any(x.articles is None for x in parts) else sum(x.articles or 0 for x in parts)
        out.append(Measurement(
            base, m.size, articles, sum(x.seconds for x in parts), sum(x.wall_s for x in parts),
            max(x.rss_mb for x in parts), max(x.rss_tree_mb for x in parts), sum(x.cpu_s for x in parts),
            parts[0].load_before, {**counts, "jobs": parts[0].detail.get("jobs"), "parts": each},
            error="part {}/{}: {}".format(*(split_stage(failed.stage)[1] or (0, 0)), failed.error) if failed else None))
    return out


def ensure_corpus(size: int, seed: int, root: Path) -> tuple[Path, float]:
    sys.path.insert(0, str(HERE))
    import synth

    corpus = root / f"n{size}-s{seed}"
    marker = corpus / "corpus.json"
    if marker.is_file():
        meta = json.loads(marker.read_text())
        if meta.get("articles") == size and meta.get("seed") == seed:
            return corpus, 0.0
    shutil.rmtree(corpus, ignore_errors=True)
    t0 = time.perf_counter()
    synth.write_corpus(corpus, size, seed)
    return corpus, time.perf_counter() - t0


class WikidataServer:
    """``oxigraph serve-read-only`` over the Wikidata subset on a free loopback port (or nothing)."""

    def __init__(self, subset: Path, root: Path) -> None:
        self.subset, self.root = subset, root
        self.proc: subprocess.Popen[bytes] | None = None
        self.url: str | None = None
        self.why_not: str | None = None

    def start(self) -> WikidataServer:
        exe = shutil.which("oxigraph")
        if not exe:
            self.why_not = "the `oxigraph` command is not on PATH"
            return self
        if not self.subset.is_file():
            self.why_not = f"no Wikidata subset at {self.subset}"
            return self
        db = self.root / "wikidata-db"
        shutil.rmtree(db, ignore_errors=True)
        subprocess.run([exe, "load", "--location", str(db), "--file", str(self.subset)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen([exe, "serve-read-only", "--location", str(db), "--bind", f"127.0.0.1:{port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    self.url = f"http://127.0.0.1:{port}/query"
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        self.why_not = "the oxigraph server did not start"
        self.stop()
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, MB."""
    try:
        import psutil
    except ImportError:
        return 0.0
    try:
        own = float(psutil.Process(pid).memory_info().rss) / 2**20
    except psutil.Error:  # the process just ended
        return 0.0
    return own + _children_rss_mb(pid)


def _children_rss_mb(pid: int) -> float:
    """Resident memory of a process's descendants (not its own), MB; 0 without psutil."""
    try:
        import psutil
    except ImportError:
        return 0.0
    try:
        procs = psutil.Process(pid).children(recursive=True)
    except psutil.Error:  # the process just ended
        return 0.0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total / 2**20


class PrefectServer:
    """``prefect server start`` on a free loopback port, with its own PREFECT_HOME (a fresh database).

    The flows report to it through PREFECT_API_URL. An explicit server, as a deployment has, rather
    than the per-process ephemeral one: Dask worker processes must reach the same API, and its
    start-up stays out of the timed region. Its CPU time per measurement is recorded apart; with
    ``--server-idle S`` so is what it spends idle: its background services (late runs, pause
    expirations, the reconciler … on loops of 5-60 s) cost CPU by the second whether or not a flow
    runs - 3.9% of a core on the slower machine of 2026-11-29 - so a flow that takes longer is
    charged more of them (:meth:`measure_idle`)."""

    #: after the server answers, its start-up work (services starting) is left out of the idle rate
    SETTLE_S = 5.0

    def __init__(self, home: Path) -> None:
        self.home = home
        self.proc: subprocess.Popen[bytes] | None = None
        self.api: str | None = None
        self.why_not: str | None = None
        self.idle_cpu_per_s: float | None = None

    def measure_idle(self, seconds: float, sleep: Any = time.sleep) -> float | None:
        """The server's CPU seconds per second with no flow reporting to it (its background loops),
        over ``seconds`` after ``SETTLE_S``; call it before the first flow. None without a server."""
        if not self.api or seconds <= 0:
            return None
        sleep(self.SETTLE_S)
        before = self.cpu_seconds()
        sleep(seconds)
        self.idle_cpu_per_s = max(0.0, (self.cpu_seconds() - before) / seconds)
        return self.idle_cpu_per_s

    def start(self, timeout: float = 120) -> PrefectServer:
        exe = shutil.which("prefect")
        if not exe:
            self.why_not = "the `prefect` command is not on PATH"
            return self
        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(parents=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "PREFECT_HOME": str(self.home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
               "PREFECT_SERVER_UI_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}
        env.pop("PREFECT_API_URL", None)
        self.log = (self.home / "server.log").open("wb")
        self.proc = subprocess.Popen([exe, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui",
                                      "--analytics-off"], env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as resp:
                    if resp.status == 200:
                        self.api = f"http://127.0.0.1:{port}/api"
                        return self
            except OSError:
                time.sleep(0.5)
        self.why_not = "the Prefect server did not answer"
        self.stop()
        return self

    def cpu_seconds(self) -> float:
        try:
            import psutil
        except ImportError:
            return 0.0
        try:
            root = psutil.Process(self.proc.pid)  # type: ignore[union-attr]
            total = 0.0
            for p in [root, *root.children(recursive=True)]:
                t = p.cpu_times()
                total += t.user + t.system
            return total
        except psutil.Error:
            return 0.0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self.proc = None


def run_child(stage: str, size: int, work: Path, corpus: Path, opts: dict[str, Any], env: dict[str, str],
              timeout: float, rss_limit_mb: float = 8192, nice: int = 0) -> Measurement:
    result_file = work / f"{stage}.result.json"
    result_file.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", stage, "--work", str(work),
           "--corpus", str(corpus), "--opts", json.dumps(opts)]
    spy_raw = None
    if opts.get("profile_to") and shutil.which("py-spy"):
        # py-spy samples every thread and subprocess (Prefect runs tasks in worker threads, Dask in
        # worker processes); cProfile would see the main thread only.
        spy_raw = Path(opts["profile_to"]).with_suffix(".raw")
        cmd = [str(shutil.which("py-spy")), "record", "-r", "50", "--format", "raw", "--subprocesses",
               "-o", str(spy_raw), "--", *cmd[:-1], json.dumps({**opts, "profile_to": None})]
    if nice and shutil.which("nice"):  # `nice` execs the command: the process waited for is still the child
        cmd = [str(shutil.which("nice")), "-n", str(nice), *cmd]
    load_before = os.getloadavg()[0]
    log = (work / f"{stage}.log").open("wb")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO),
                            start_new_session=True)
    deadline = time.monotonic() + timeout
    status, usage, killed, tick = None, None, None, 0
    try:
        while status is None:
            pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status, usage = st, ru
                break
            tick += 1
            if time.monotonic() > deadline:
                killed = "timed out"
            elif tick % 10 == 0 and _tree_rss_mb(proc.pid) > rss_limit_mb:  # the machine is shared: never swap it out
                killed = f"killed at {rss_limit_mb:,.0f} MB RSS"
            if killed:
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.1)
    except BaseException:  # the suite was stopped (SIGTERM, Ctrl-C): the child runs in its own session
        with contextlib.suppress(ProcessLookupError):  # and a Prefect flow outlives a SIGTERM: kill it
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.wait4(proc.pid, 0)
        log.close()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    log.close()
    try:  # a child's own children (Dask workers, the Prefect server) may outlive it: end them
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    tree_rss = usage.ru_maxrss / 1024 if usage else 0.0
    cpu = (usage.ru_utime + usage.ru_stime) if usage else 0.0
    if proc.returncode != 0 or not result_file.is_file():
        tail = (work / f"{stage}.log").read_text(errors="replace")[-1500:]
        why = killed or f"exit {proc.returncode}"
        partial = work / f"{stage}.partial.json"
        if stage == "query" and partial.is_file():  # which query never came back
            done = json.loads(partial.read_text())
            why += f" in {done['running']}"
            return Measurement(stage, size, None, 0.0, wall, 0.0, tree_rss, cpu, load_before,
                               {"per_query": done["per_query"], "log_tail": tail}, error=why)
        return Measurement(stage, size, None, 0.0, wall, 0.0, tree_rss, cpu, load_before, {"log_tail": tail},
                           error=why)
    if spy_raw is not None and spy_raw.is_file():
        Path(opts["profile_to"]).write_text(summarize_spy(spy_raw), encoding="utf-8")
    res = json.loads(result_file.read_text())
    return Measurement(stage, size, res.get("articles"), float(res["seconds"]), wall,
                       float(res.get("rss_self_mb", 0.0)), tree_rss, cpu, load_before,
                       {**res.get("detail", {}), **({"queries": res["queries"]} if "queries" in res else {})})


def summarize_spy(raw: Path, top: int = 45) -> str:
    """py-spy's collapsed stacks -> the functions that hold the time (inclusive), and the leaves.

    Samples are wall-clock over all threads, idle ones included (waits show up as such)."""
    import re
    from collections import Counter

    incl: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")[1:]]
        if not frames:
            continue
        total += n
        leaf[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    out = [f"py-spy, {total} samples at 50 Hz over all threads and subprocesses", "", "inclusive:"]
    out += [f"{100 * v / total:5.1f}%  {k}" for k, v in incl.most_common(top)]
    out += ["", "leaf (self):"]
    out += [f"{100 * v / total:5.1f}%  {k}" for k, v in leaf.most_common(top // 2)]
    return "\n".join(out) + "\n"


class schedule:
    """Runs the measurements, ``slots`` at a time, each as soon as what it needs at its size is done.

    One slot: in the planned order (size by size, stage by stage). Two: the chain that leads to the
    largest flow first (parse, extract, link-cold of every size), then the flows, then the rest;
    flows never run beside each other (each has its size's Prefect server to itself, whose CPU time
    is counted as the flow's). The two sides of the target ratio - the spaCy floor and the ingest
    flow (``ALONE``) - run with nothing beside them: a neighbour on the other core slowed the flow's
    CPU an article by up to 20% (2026-11-28: 16.0 art/CPU-s beside the 10k extraction, 19.8 alone,
    the floor unchanged), so a ratio of a disturbed flow to a quiet floor measured the schedule.
    While one of them waits for the machine to empty, nothing new starts beside the chain's end.
    A stage measured in parts (``SPLIT``) is one job a part: the parts run side by side when both
    cores are free, and what needs the stage waits for all of them.
    Every figure is the measured child's own (the JSON records who ran beside whom)."""

    FIRST = ("parse", "extract", "link-cold")
    #: Measured with nothing beside them when two run at a time: the floor and the flow of the ratio.
    ALONE = ("spacy", "e2e", "e2e-capped")

    def __init__(self, jobs: list[tuple[str, int]], slots: int,
                 measure: Any, *, deps: bool = True) -> None:
        self.slots = max(1, slots)
        self.measure = measure
        # a stage measured in parts needs every part of what it needs
        self.needs = {j: [p for d in NEEDS.get(base_stage(j[0]), []) for p in jobs
                          if p[1] == j[1] and base_stage(p[0]) == d] if deps else []
                      for j in jobs}
        if self.slots > 1:
            order = {j: i for i, j in enumerate(jobs)}
            first = {j: base_stage(j[0]) in self.FIRST for j in jobs}
            jobs = sorted(jobs, key=lambda j: (0 if first[j] else 1 if j[0].startswith("e2e") else 2,
                                               order[j] if not first[j] else (j[1], order[j])))
        self.largest = max((n for _, n in jobs), default=0)
        self.remaining = list(jobs)
        self.running: set[tuple[str, int]] = set()
        self.done: set[tuple[str, int]] = set()
        self.failed: BaseException | None = None
        self._cv = threading.Condition()

    def critical(self, stage: str, n: int) -> bool:
        """On the chain to the largest size's flow (the suite's critical path)?"""
        return n == self.largest and (base_stage(stage) in self.FIRST or stage == "e2e")

    def _needs_met(self, job: tuple[str, int]) -> bool:
        return all(d in self.done for d in self.needs[job])

    def _ready(self, job: tuple[str, int]) -> bool:
        if job[0].startswith("e2e") and any(r[0].startswith("e2e") for r in self.running):
            return False
        if not self._needs_met(job) or any(r[0] in self.ALONE for r in self.running):
            return False
        if self.slots < 2:
            return True
        if job[0] in self.ALONE:
            return not self.running
        # a measurement that must run alone is waiting for the machine: start nothing new beside it -
        # but the chain to the largest flow goes on (it is the suite's critical path), and while it
        # runs the other core takes what else is ready
        if self.critical(*job):
            return True
        waiting = any(j[0] in self.ALONE and self._needs_met(j) for j in self.remaining)
        return not waiting or any(self.critical(*r) for r in self.running)

    def _run_one(self, job: tuple[str, int], beside: list[str]) -> None:
        try:
            self.measure(job[0], job[1], beside)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            with self._cv:
                self.failed = self.failed or exc
        finally:
            with self._cv:
                self.running.discard(job)
                self.done.add(job)
                self._cv.notify_all()

    def run(self) -> None:
        threads: list[threading.Thread] = []
        with self._cv:
            while (self.remaining or self.running) and self.failed is None:
                job = next((j for j in self.remaining if self._ready(j)), None) \
                    if len(self.running) < self.slots else None
                if job is None:
                    if not self.running and self.remaining:  # nothing can start: a need was not planned
                        job = self.remaining[0]
                    else:
                        self._cv.wait(timeout=1.0)
                        continue
                self.remaining.remove(job)
                beside = [f"{s} {n:,}" for s, n in sorted(self.running)]
                self.running.add(job)
                t = threading.Thread(target=self._run_one, args=(job, beside), name=f"{job[0]}-{job[1]}", daemon=True)
                threads.append(t)
                t.start()
        for t in threads:
            t.join()
        if self.failed is not None:
            raise self.failed


def plan(only: list[str] | None, skip: list[str], deps: bool = True) -> list[str]:
    if not only:
        return [s for s in DEFAULT_STAGES if s not in skip]
    if not deps:
        return [s for s in STAGES if s in only]
    wanted: list[str] = []

    def add(stage: str) -> None:
        for dep in NEEDS.get(stage, []):
            add(dep)
        if stage not in wanted:
            wanted.append(stage)

    for s in only:
        add(s)
    return [s for s in STAGES if s in wanted and (s in only or s not in skip)]


# ---- report --------------------------------------------------------------------------------
def _fmt(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def targets(ms: list[Measurement], sizes: list[int], suite_s: float, run_all: bool) -> list[dict[str, Any]]:
    by = {(m.stage, m.size): m for m in ms}
    out: list[dict[str, Any]] = []
    for n in sizes:
        e2e, floor = by.get(("e2e", n)), by.get(("spacy", n))
        if e2e and floor and e2e.rate and floor.rate:
            r = e2e.rate / floor.rate
            rc = e2e.rate_cpu / floor.rate_cpu if e2e.rate_cpu and floor.rate_cpu else None
            busy = e2e.rate_cpu_busy
            # judged with all of the server's CPU (conservative); without its idle loops, for the reader
            aside = f" ({busy / floor.rate_cpu:.1%} without the Prefect server's idle loops)" \
                if rc and busy and floor.rate_cpu else ""
            out.append({"target": f"ingest >= {E2E_VS_SPACY:.0%} of bare spaCy ({n:,})",
                        # one decimal: 59.5% must not read as the 60% it misses
                        "value": f"{r:.1%} wall" + (f", {rc:.1%} per CPU second{aside}" if rc else ""),
                        "ok": r >= E2E_VS_SPACY and (rc is None or rc >= E2E_VS_SPACY)})
    e2es = sorted((m for m in ms if m.stage == "e2e" and m.rate), key=lambda m: m.size)
    if len(e2es) >= 2:
        lo, hi = e2es[0], e2es[-1]
        factor = hi.seconds / lo.seconds
        allowed = GROWTH_100X * (hi.size / lo.size) / 100  # 110x per 100x, pro rata
        out.append({"target": f"time grows linearly: {hi.size:,} / {lo.size:,} <= {allowed:g}x",
                    "value": f"{factor:.1f}x", "ok": factor <= allowed})
        rss = hi.rss_peak_mb / lo.rss_peak_mb if lo.rss_peak_mb else None
        out.append({"target": f"memory flat: peak RSS {hi.size:,} / {lo.size:,} <= {RSS_FLAT}",
                    "value": f"{lo.rss_peak_mb:,.0f} -> {hi.rss_peak_mb:,.0f} MB ({rss:.2f}x)" if rss else "-",
                    "ok": bool(rss and rss <= RSS_FLAT)})
        a, b = hi.detail.get("rss_peak_first_half_mb"), hi.detail.get("rss_peak_second_half_mb")
        if a and b:  # a plateau (caches filled) passes this one, per-article state fails it too
            out.append({"target": f"memory flat within the {hi.size:,} run: peak RSS 2nd half / 1st half <= {RSS_HALVES}",
                        "value": f"{a:,.0f} -> {b:,.0f} MB ({b / a:.2f}x)", "ok": b / a <= RSS_HALVES})
    if e2es:
        big = max(e2es, key=lambda m: m.size)
        if big.size >= 100_000:
            secs, how = big.seconds * 100_000 / big.size, "measured"
        else:
            secs, how = big.seconds * 100_000 / big.size, f"projected linearly from {big.size:,}"
        out.append({"target": "100k articles end to end < 2 h", "value": f"{secs / 60:,.0f} min ({how})",
                    "ok": secs < E2E_100K_SECONDS})
    if run_all and sorted(sizes) == [1000, 10000]:
        out.append({"target": "suite at 1k + 10k < 20 min", "value": f"{suite_s / 60:.1f} min",
                    "ok": suite_s < SUITE_SECONDS})
    return out


def table(ms: list[Measurement], sizes: list[int]) -> str:
    by = {(m.stage, m.size): m for m in ms}
    head = ["stage"] + [f"{n:,} art/s" for n in sizes] + [f"{n:,} art/CPU-s" for n in sizes] + \
           [f"{n:,} s" for n in sizes] + [f"{n:,} RSS MB" for n in sizes] + ["vs floor (wall / CPU)"]
    rows = [head]
    floors = {"extract": "spacy", "e2e": "spacy", "e2e-capped": "spacy", "e2e-dask": "spacy", "load": "bulk"}
    for stage in STAGES:
        if not any((stage, n) in by for n in sizes):
            continue
        rates, cpus, secs, rss, ratios = [], [], [], [], []
        for n in sizes:
            m = by.get((stage, n))
            if m is None:
                rates.append("")
                cpus.append("")
                secs.append("")
                rss.append("")
                continue
            if m.error:
                rates.append(f"FAILED ({m.error})")
                cpus.append("-")
                secs.append("-")
                rss.append("-")
                continue
            rates.append(_fmt(m.rate) + (" q/s" if stage == "query" else ""))
            cpus.append(_fmt(m.rate_cpu))
            secs.append(_fmt(m.seconds))
            rss.append(_fmt(m.rss_peak_mb, 0) + (f" ({m.rss_tree_mb:,.0f})" if m.rss_tree_mb > m.rss_peak_mb * 1.05 else ""))
            f = by.get((floors.get(stage, ""), n))
            if f and f.rate and m.rate:
                cpu_ratio = f"{m.rate_cpu / f.rate_cpu:.0%}" if m.rate_cpu and f.rate_cpu else "-"
                ratios.append(f"{m.rate / f.rate:.0%} / {cpu_ratio}")
        label = STAGE_LABEL[stage]
        if stage.startswith("link") and any(m.detail.get("linking") is False for m in ms if m.stage == stage):
            label += " [LINK OFF]"
        rows.append([label] + rates + cpus + secs + rss + ["; ".join(ratios) or ""])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def plot(ms: list[Measurement], path: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install -e '.[bench]'): no plot"
    fig, ax = plt.subplots(figsize=(8, 5))
    for stage in STAGES:
        pts = sorted((m.size, m.rate) for m in ms if m.stage == stage and m.rate and stage != "query")
        if pts:
            style = "--" if stage in ("spacy", "bulk") else "-"
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o", label=STAGE_LABEL[stage])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("corpus size (articles)")
    ax.set_ylabel("throughput (articles/s)")
    ax.set_title("newsgraph: throughput against corpus size (dashed: floors)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return None


def rerender(files: list[Path], out: Path) -> int:
    """Table, targets and plot from earlier runs' JSON (e.g. the suite plus a separate 10k e2e run)."""
    merged: dict[tuple[str, int], Measurement] = {}
    notes = []
    for f in files:
        doc = json.loads(f.read_text())
        notes.append(f"{f.name}: load {doc.get('machine', {}).get('load_avg')} -> "
                     f"{doc.get('machine', {}).get('load_avg_end')}, linking {doc.get('linking')}; "
                     f"{machine_speed(doc.get('machine', {}))}")
        for raw in doc["measurements"]:
            raw = {k: v for k, v in raw.items() if k not in ("rate", "rate_cpu")}
            m = Measurement(**raw)
            merged[(m.stage, m.size)] = m
    ms = join_parts(list(merged.values()))  # a suite's partial.json holds a split stage's parts
    sizes = sorted({m.size for m in ms})
    checks = targets(ms, sizes, 0.0, False)
    lines = [table(ms, sizes), ""]
    lines += [f"{'PASS' if c['ok'] else 'MISS'}  {c['target']}: {c['value']}" for c in checks]
    lines += ["", *notes]
    report = "\n".join(lines)
    print(report)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"merged-{stamp}.md").write_text(report + "\n", encoding="utf-8")
    (out / f"merged-{stamp}.json").write_text(json.dumps(
        {"from": [str(f) for f in files], "targets": checks,
         "measurements": [{**m.__dict__, "rate": m.rate} for m in ms]}, indent=1, default=str), encoding="utf-8")
    why = plot(ms, out / f"throughput-merged-{stamp}.png")
    print(why or f"wrote {out / f'merged-{stamp}.md'} and throughput-merged-{stamp}.png")
    return 0


def cpu_model(cpuinfo: str) -> dict[str, Any]:
    """The processor's name and clock as ``/proc/cpuinfo`` gives them (its first processor)."""
    out: dict[str, Any] = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "model name" and "cpu_model" not in out:
            out["cpu_model"] = value
        elif key == "cpu MHz" and "cpu_mhz" not in out:
            with contextlib.suppress(ValueError):
                out["cpu_mhz"] = round(float(value))
    return out


def _calibration_work() -> int:
    return sum(i * i for i in range(2_000_000))


def calibrate(rounds: int = 3, clock: Any = time.process_time, work: Any = _calibration_work) -> float:
    """CPU seconds of a fixed pure-Python loop, the best of ``rounds``: the machine's speed, in one figure.

    The targets' ratios compare figures of one run; the absolute ones (the suite in 20 minutes, 100k in
    2 hours) and comparisons across runs depend on the machine, whose speed has been seen to differ
    2.4x between sessions (benchmarks/README.md). Lower is faster; CPU time, so a busy neighbour
    changes it less than the wall clock, and the best round, so a preempted one does not count."""
    best = float("inf")
    for _ in range(max(1, rounds)):
        t = clock()
        work()
        best = min(best, clock() - t)
    return round(best, 3)


def machine_speed(info: dict[str, Any]) -> str:
    """One line on the machine's speed, for the table's header and notes."""
    cal = info.get("calibration_s")
    cpu = info.get("cpu_model", "CPU unknown") + (f" @ {info['cpu_mhz']} MHz" if info.get("cpu_mhz") else "")
    if cal is None:
        return f"{cpu}, not calibrated"
    end = f" -> {info['calibration_end_s']}" if info.get("calibration_end_s") is not None else ""
    return f"{cpu}, calibration {cal}{end} CPU-s (a fixed Python loop; lower is faster)"


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                            "load_avg": [round(x, 2) for x in os.getloadavg()], "calibration_s": calibrate()}
    with contextlib.suppress(OSError):
        info.update(cpu_model(Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")))
    try:
        import pyoxigraph
        import spacy

        info.update(spacy=spacy.about.__version__, pyoxigraph=pyoxigraph.__version__)
        import prefect

        info["prefect"] = prefect.__version__
    except ImportError:
        pass
    try:
        info["git"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, cwd=REPO,
                                     capture_output=True,
                                     text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="corpus sizes, in articles")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", nargs="+", choices=STAGES, help="these stages (and what they need)")
    ap.add_argument("--no-deps", action="store_true",
                    help="with --only: reuse what earlier runs left in OUT/work instead of re-running the needs")
    ap.add_argument("--report", type=Path, nargs="+",
                    help="re-render the table, targets and plot from result JSON files (merged; later wins)")
    ap.add_argument("--skip", nargs="+", choices=STAGES, default=[])
    ap.add_argument("--floor-sample", type=int, default=0,
                    help="spaCy floor on an even sample of this many of the texts (0: all of them)")
    ap.add_argument("--dask-max", type=int, default=0,
                    help="run the Dask flow only at sizes up to this (0: every size)")
    ap.add_argument("--no-link", action="store_true", help="linking off, even when oxigraph is available")
    ap.add_argument("--e2e-threads", type=int, default=0,
                    help="cap Prefect's thread pool for the e2e flow (0: Prefect's default, unbounded)")
    ap.add_argument("--e2e-batch", type=int, default=0,
                    help="articles per task in the flows (0: the ingest flow's default, as deployed)")
    ap.add_argument("--e2e-in-flight", type=int, default=0,
                    help="batches in flight in the flows (0: the ingest flow's default, as deployed)")
    ap.add_argument("--profile", nargs="+", choices=STAGES, default=[],
                    help="profile these stages (py-spy over all threads if installed, else cProfile); "
                         "profiled figures carry the sampler's overhead")
    ap.add_argument("--jobs", type=int, default=1, choices=[1, 2],
                    help="measurements at a time: 2 runs the stages two at a time, one on each core, the "
                         "chain to the largest flow first; the spaCy floor and the flows run alone")
    ap.add_argument("--server-idle", type=float, default=0.0, metavar="S",
                    help="before a size's first flow, measure its Prefect server's CPU while idle for S seconds "
                         "(its background loops); the ratio per CPU second is then also shown without them")
    ap.add_argument("--timeout", type=float, default=4 * 3600, help="per measurement, seconds")
    ap.add_argument("--query-timeout", type=float, default=600, help="for the whole query stage, seconds")
    ap.add_argument("--rss-limit-mb", type=float, default=8192,
                    help="kill a measurement whose process tree grows past this (the machine is shared)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--corpus-dir", type=Path, default=None, help="where corpora are kept (default: OUT/corpus)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--opts", default="{}", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child_main(args.child, args.work, args.corpus, json.loads(args.opts))
        return 0
    if args.report:
        return rerender(args.report, args.out)

    started = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    corpora = args.corpus_dir or out / "corpus"
    stages = plan(args.only, args.skip, deps=not args.no_deps)
    sizes = sorted(set(args.sizes))
    info = machine()
    print(f"newsgraph benchmarks {stamp}: sizes {sizes}, stages {stages}; load average {info['load_avg']}, "
          f"{info['cpus']} CPUs; {machine_speed(info)}", flush=True)

    server = WikidataServer(SHARED_SUBSET, out / "work")
    link_note = "off (--no-link)"
    if not args.no_link and any(s.startswith(("link", "e2e")) for s in stages):
        (out / "work").mkdir(parents=True, exist_ok=True)
        server.start()
        link_note = f"on: local oxigraph over {SHARED_SUBSET.name} at {server.url}" if server.url \
            else f"OFF: {server.why_not}"
    print(f"linking {link_note}", flush=True)

    def stop(*_: object) -> None:
        server.stop()
        raise SystemExit(130)

    signal.signal(signal.SIGTERM, stop)
    measurements: list[Measurement] = []
    corpus_info: dict[int, Any] = {}
    envs: dict[int, dict[str, str]] = {}
    for n in sizes:
        corpus, gen_s = ensure_corpus(n, args.seed, corpora)
        corpus_info[n] = {**json.loads((corpus / "corpus.json").read_text()), "generated_s": round(gen_s, 2),
                          "path": str(corpus)}
        (out / "work" / f"n{n}").mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PREFECT_HOME": str(out / "work" / f"n{n}" / "prefect-home"),
               "PREFECT_LOGGING_LEVEL": "WARNING", "NEWSGRAPH_WIKIDATA_API": "",
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        if server.url:
            env["NEWSGRAPH_WIKIDATA_SPARQL"] = server.url
        env.pop("NEWSGRAPH_TASK_RUNNER", None)
        envs[n] = env
    jobs = [(stage, n) for n in sizes for stage in stages
            if not (stage == "e2e-dask" and args.dask_max and n > args.dask_max)]
    if args.jobs > 1:  # the longest measurements at the largest size: in parts, one core each
        jobs = split_jobs(jobs, sizes[-1])
    parts_done: dict[tuple[str, int], set[int]] = {}
    servers: dict[int, PrefectServer] = {}
    lock = threading.Lock()

    def measure(stage: str, n: int, beside: list[str]) -> Measurement:
        """One measurement (run in a scheduler thread). Flows run one at a time (``schedule``), so the
        Prefect server of their size serves that flow alone and its CPU time is the flow's."""
        work = out / "work" / f"n{n}"
        corpus = Path(corpus_info[n]["path"])
        prefect = servers.get(n)
        if stage.startswith("e2e") and prefect is None:
            prefect = servers[n] = PrefectServer(work / "prefect-server").start()
            idle = prefect.measure_idle(args.server_idle)
            print(f"  [{n:,}] Prefect server: {prefect.api or prefect.why_not}"
                  + (f"; idle, it uses {idle:.1%} of a core" if idle is not None else ""), flush=True)
        opts: dict[str, Any] = {"sparql": server.url, "floor_sample": args.floor_sample,
                                "e2e_batch": args.e2e_batch, "e2e_in_flight": args.e2e_in_flight}
        if base_stage(stage) in args.profile:
            opts["profile_to"] = str(out / f"profile-{stage}-n{n}-{stamp}.txt")
        stage_env = dict(envs[n])
        if stage.startswith("e2e"):
            shutil.rmtree(work / "prefect-home", ignore_errors=True)  # no cached results between runs
        if stage == "e2e-dask":
            stage_env.update(NEWSGRAPH_TASK_RUNNER="dask", NEWSGRAPH_DASK_WORKERS="2")
        if stage == "e2e" and args.e2e_threads:
            stage_env["PREFECT_TASK_RUNNER_THREAD_POOL_MAX_WORKERS"] = str(args.e2e_threads)
        if stage == "e2e-capped":
            stage_env["PREFECT_TASK_RUNNER_THREAD_POOL_MAX_WORKERS"] = str(args.e2e_threads or 2)
        server_cpu, server_idle = 0.0, None
        if stage.startswith("e2e") and prefect is not None and prefect.api:
            stage_env["PREFECT_API_URL"] = prefect.api
            server_idle = prefect.idle_cpu_per_s
            server_cpu = prefect.cpu_seconds()
        (work / f"{stage}.partial.json").unlink(missing_ok=True)
        limit = args.query_timeout if stage == "query" else args.timeout
        # two at a time: the chain to the largest flow keeps its priority, the rest yields to it (nice 5);
        # the floor and the flows run alone (schedule.ALONE), at normal priority
        nice = 0 if args.jobs < 2 or stage in schedule.ALONE or pending.critical(stage, n) else 5
        m = run_child(stage, n, work, corpus, opts, stage_env, limit, args.rss_limit_mb, nice=nice)
        base, part = split_stage(stage)
        if part and not m.error:
            with lock:
                done = parts_done.setdefault((base, n), set())
                done.add(part[0])
                last = len(done) == part[1]
            if last:  # the stage's output, whole, for the stages that need it (before they may start)
                join_part_files(work, base, part[1])
        m.detail["jobs"] = args.jobs
        m.detail["nice"] = nice
        m.detail["beside"] = beside  # measurements running at the same time when this one started
        if stage.startswith("e2e"):
            m.detail["prefect_api"] = stage_env.get("PREFECT_API_URL", "ephemeral")
            m.detail["thread_pool_max_workers"] = stage_env.get("PREFECT_TASK_RUNNER_THREAD_POOL_MAX_WORKERS",
                                                                "Prefect default (unbounded)")
            if prefect is not None and prefect.api:
                m.detail["prefect_server_cpu_s"] = round(prefect.cpu_seconds() - server_cpu, 1)
                if server_idle is not None:  # what its background loops cost over as long, flow or not
                    m.detail["prefect_server_idle_cpu_per_s"] = round(server_idle, 4)
                    m.detail["prefect_server_idle_cpu_s"] = round(server_idle * m.wall_s, 1)
        state = f"FAILED ({m.error}): {m.detail.get('log_tail', '')[-600:]}" if m.error else \
            f"{_fmt(m.rate)} {'queries' if stage == 'query' else 'articles'}/s, {m.seconds:.1f} s, " \
            f"RSS {m.rss_peak_mb:,.0f} MB, CPU {m.cpu_s:.0f} s"
        with lock:
            measurements.append(m)
            print(f"  [{n:,}] {stage_label(stage):<26} {state}  (load before {m.load_before:.2f}"
                  + (f"; beside {', '.join(beside)}" if beside else "") + ")", flush=True)
            (out / "partial.json").write_text(json.dumps(
                {"stamp": stamp, "measurements": [{**x.__dict__, "rate": x.rate} for x in measurements]},
                indent=1, default=str), encoding="utf-8")
        if stage.startswith("e2e") and not any(s.startswith("e2e") and k == n for s, k in pending.remaining):
            servers.pop(n).stop()  # the last flow of this size: its server goes
        return m

    pending = schedule(jobs, args.jobs, measure, deps=not args.no_deps)
    try:
        pending.run()
    finally:
        server.stop()
        for prefect in servers.values():
            prefect.stop()

    suite_s = time.perf_counter() - started
    split = sorted({split_stage(m.stage)[0] for m in measurements if split_stage(m.stage)[1]})
    measurements = join_parts(measurements)
    run_all = set(DEFAULT_STAGES) <= set(stages)
    checks = targets(measurements, sizes, suite_s, run_all)
    text = table(measurements, sizes)
    lines = [text, ""]
    for c in checks:
        lines.append(f"{'PASS' if c['ok'] else 'MISS'}  {c['target']}: {c['value']}")
    if args.jobs > 1:
        lines.append(f"\n{args.jobs} measurements at a time (--jobs {args.jobs}): the art/CPU-s columns are the "
                     "measure; art/s and seconds are wall clock beside another measurement")
    if split:
        lines.append(f"{' and '.join(split)} at {sizes[-1]:,}: measured in {SPLIT_PARTS} parts side by side (a "
                     "process each, contiguous shares of the input); their seconds and CPU added up, so the "
                     "rates are one process's")
    info["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    info["calibration_end_s"] = calibrate()
    lines.append(f"\nlinking {link_note}; suite wall time {suite_s / 60:.1f} min; load average at the end "
                 f"{info['load_avg_end']}; {machine_speed(info)}")
    report = "\n".join(lines)
    print("\n" + report)
    doc = {"stamp": stamp, "machine": info, "sizes": sizes, "stages": stages, "linking": link_note, "jobs": args.jobs,
           "suite_seconds": round(suite_s, 1), "corpora": corpus_info, "targets": checks,
           "measurements": [{**m.__dict__, "rate": m.rate, "rate_cpu": m.rate_cpu} for m in measurements]}
    (out / f"bench-{stamp}.json").write_text(json.dumps(doc, indent=1, default=str), encoding="utf-8")
    (out / "latest.json").write_text(json.dumps(doc, indent=1, default=str), encoding="utf-8")
    (out / f"bench-{stamp}.md").write_text(report + "\n", encoding="utf-8")
    why = plot(measurements, out / f"throughput-{stamp}.png")
    print(f"\nwrote {out / f'bench-{stamp}.json'}" + (f"; {why}" if why else f", {out / f'throughput-{stamp}.png'}"))
    return 1 if any(m.error for m in measurements) else 0


if __name__ == "__main__":
    sys.exit(main())
