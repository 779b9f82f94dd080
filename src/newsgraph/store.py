"""The graph store: an embedded on-disk Oxigraph store, or any SPARQL 1.1 server.

    open_store(settings, *, read_only=False) -> GraphStore
        settings.store == "embedded"      EmbeddedStore at settings.store_dir (pyoxigraph, RocksDB)
        settings.store == "http(s)://…"   RemoteStore: SPARQL 1.1 Query + Update (+ Graph Store Protocol)

    store.publish([ArticleGraph, …]) -> int     quads written; one named graph per article
    store.query(sparql) -> QueryResult           over the union of all graphs; standard prefixes implied
    store.count() -> int                         quads in the store
    format_result(result, fmt)                   table | csv | tsv | json | ttl, for the CLI

Writing. Each article is one named graph; re-publishing an article replaces that graph, and each
batch of articles is written atomically, so a crash leaves every article either in its old
or in its new state, never half-written. Entity facts go to the one shared entities graph
(insert-only; RDF set semantics make re-publishing a no-op there). Embedded: a batch of articles
whose graphs are new goes in as one atomic, durable ingestion of SST files (Oxigraph's bulk loader;
``EmbeddedStore._write_new``, ``Store.extend``'s transaction for batches of 1M quads or more); batches
that replace existing graphs use one SPARQL Update (``DROP SILENT GRAPH …; INSERT DATA {…}``), which
Oxigraph applies as one transaction. Remote: one SPARQL Update request per batch, the same way
(Oxigraph and Fuseki apply a request atomically), or a Graph Store Protocol PUT per graph. Writers
of one store server take turns per batch (``WriterLock``): the summary rows are read, recomputed
and written back, which two writers at once would get wrong.

Every graph is validated (SHACL) before it is written, unless the caller validated it already.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol, Self

import pyoxigraph as ox

from . import summary
from .errors import LoadError, NewsgraphError, StoreLocked
from .rdf import ENTITIES_GRAPH, NG, PREFIXES, VOCABULARY_GRAPH, ArticleGraph, validate, vocabulary_quads
from .settings import Settings

__all__ = [
    "FORMATS",
    "EmbeddedStore",
    "GraphStore",
    "QueryResult",
    "RemoteStore",
    "WriterLock",
    "format_result",
    "open_store",
    "with_prefixes",
]

FORMATS = ("table", "csv", "tsv", "json", "ttl")
DEFAULT_BATCH = 100

_DECLARED = re.compile(r"(?i)\bPREFIX\s+([A-Za-z][\w.-]*)?\s*:")


#: A standard prefix used as one (not inside a longer name or an IRI): one pass over the text, longest
#: first (the summary's updates name hundreds of IRIs; a search per prefix scanned them 14 times).
_USED = re.compile(r"(?<![\w.:-])(" + "|".join(re.escape(p) for p in sorted(PREFIXES, key=len, reverse=True)) + "):")


def with_prefixes(sparql: str) -> str:
    """Prepend PREFIX lines for the standard prefixes a query uses without declaring them."""
    declared = {m.group(1) or "" for m in _DECLARED.finditer(sparql)}
    used = set(_USED.findall(sparql))
    missing = [f"PREFIX {p}: <{iri}>" for p, iri in PREFIXES.items() if p in used and p not in declared]
    return "\n".join([*missing, sparql]) if missing else sparql


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------

Term = dict[str, str]  # a SPARQL 1.1 JSON results term: {"type", "value", "datatype"?, "xml:lang"?}


@dataclass
class QueryResult:
    """A SPARQL result, the same whichever store answered.

    ``kind`` is "bindings" (SELECT: ``variables`` + ``bindings`` in SPARQL JSON term form),
    "boolean" (ASK: ``boolean``) or "graph" (CONSTRUCT/DESCRIBE: ``ntriples``).
    """

    kind: Literal["bindings", "boolean", "graph"]
    variables: list[str] = field(default_factory=list)
    bindings: list[dict[str, Term]] = field(default_factory=list)
    boolean: bool | None = None
    ntriples: str = ""

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> QueryResult:
        if "boolean" in doc:
            return cls(kind="boolean", boolean=bool(doc["boolean"]))
        return cls(kind="bindings", variables=list(doc["head"].get("vars", [])),
                   bindings=list(doc["results"]["bindings"]))

    def rows(self) -> list[dict[str, str | None]]:
        """Plain values per row (IRIs, literal lexical forms), ``None`` when unbound."""
        return [{v: (b[v]["value"] if v in b else None) for v in self.variables} for b in self.bindings]

    def values(self, var: str) -> list[str | None]:
        return [r[var] for r in self.rows()]

    def __iter__(self) -> Iterator[dict[str, str | None]]:
        return iter(self.rows())

    def __len__(self) -> int:
        if self.kind == "bindings":
            return len(self.bindings)
        if self.kind == "graph":
            return sum(1 for line in self.ntriples.splitlines() if line.strip())
        return 1

    def to_json(self) -> dict[str, Any]:
        if self.kind == "boolean":
            return {"head": {}, "boolean": self.boolean}
        if self.kind == "graph":
            raise ValueError("a CONSTRUCT/DESCRIBE result has no SPARQL JSON form; use fmt='ttl'")
        return {"head": {"vars": self.variables}, "results": {"bindings": self.bindings}}


def _compact(term: Term | None) -> str:
    if term is None:
        return ""
    value = term["value"]
    if term["type"] == "uri":
        for p, iri in PREFIXES.items():
            if value.startswith(iri) and re.fullmatch(r"[\w.-]*", value[len(iri):]):
                return f"{p}:{value[len(iri):]}"
        return f"<{value}>"
    return value


def _nt_term(term: Term | None) -> str:
    if term is None:
        return ""
    if term["type"] == "uri":
        return str(ox.NamedNode(term["value"]))
    if term["type"] == "bnode":
        return f"_:{term['value']}"
    if "xml:lang" in term:
        return str(ox.Literal(term["value"], language=term["xml:lang"]))
    if "datatype" in term:
        return str(ox.Literal(term["value"], datatype=ox.NamedNode(term["datatype"])))
    return str(ox.Literal(term["value"]))


def _graph_as_bindings(result: QueryResult) -> QueryResult:
    """A CONSTRUCT/DESCRIBE result as ?subject ?predicate ?object rows (for csv, tsv and json)."""
    def term(t: Any) -> Term:
        if isinstance(t, ox.NamedNode):
            return {"type": "uri", "value": t.value}
        if isinstance(t, ox.BlankNode):
            return {"type": "bnode", "value": t.value}
        out: Term = {"type": "literal", "value": t.value}
        if t.language:
            out["xml:lang"] = t.language
        elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = t.datatype.value
        return out

    rows = [{"subject": term(t.subject), "predicate": term(t.predicate), "object": term(t.object)}
            for t in ox.parse(result.ntriples.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)]
    return QueryResult(kind="bindings", variables=["subject", "predicate", "object"], bindings=rows)


def format_result(result: QueryResult, fmt: str = "table") -> str:
    """Render a result for the terminal or a file: table, csv, tsv, json, or ttl (graph results).

    CONSTRUCT/DESCRIBE results print as Turtle for ``table`` and ``ttl``, and as subject /
    predicate / object rows for csv, tsv and json. Asking ``ttl`` of a SELECT or ASK is an error.
    """
    if fmt not in FORMATS:
        raise NewsgraphError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if result.kind == "graph":
        if fmt in ("ttl", "table"):
            import rdflib  # rdflib only serialises here; it never writes the store

            g = rdflib.Graph()
            for p, iri in PREFIXES.items():
                g.bind(p, iri, override=True)
            g.parse(data=result.ntriples, format="nt")
            return g.serialize(format="turtle")
        result = _graph_as_bindings(result)
    if fmt == "ttl":
        raise NewsgraphError("--format ttl is for CONSTRUCT and DESCRIBE queries; use table, csv, tsv or json")
    if result.kind == "boolean":
        if fmt == "json":
            return json.dumps(result.to_json())
        return ("true" if result.boolean else "false") + "\n"
    if fmt == "json":
        return json.dumps(result.to_json(), ensure_ascii=False, indent=1)
    if fmt == "csv":  # SPARQL 1.1 CSV: plain values
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(result.variables)
        for b in result.bindings:
            w.writerow([b[v]["value"] if v in b else "" for v in result.variables])
        return out.getvalue()
    if fmt == "tsv":  # SPARQL 1.1 TSV: terms in Turtle/N-Triples form
        lines = ["\t".join(f"?{v}" for v in result.variables)]
        lines += ["\t".join(_nt_term(b.get(v)) for v in result.variables) for b in result.bindings]
        return "\n".join(lines) + "\n"
    # table
    cells = [[_compact(b.get(v)) for v in result.variables] for b in result.bindings]
    cap = 10_000 if len(result.variables) == 1 else 100  # a lone column is never cut
    widths = [min(cap, max([len(v)] + [len(r[i]) for r in cells])) for i, v in enumerate(result.variables)]

    def cut(s: str, w: int) -> str:
        s = s.replace("\n", " ")
        return s if len(s) <= w else s[: w - 1] + "…"

    sep = "-+-".join("-" * w for w in widths)
    lines = [" | ".join(v.ljust(w) for v, w in zip(result.variables, widths)), sep]
    lines += [" | ".join(cut(c, w).ljust(w) for c, w in zip(r, widths)) for r in cells]
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Stores
# --------------------------------------------------------------------------------------------


class GraphStore(Protocol):
    """What the pipeline and the CLI use, whichever store is behind it."""

    read_only: bool

    def publish(self, graphs: Sequence[ArticleGraph], *, batch_size: int = DEFAULT_BATCH,
                validate: bool = True) -> int: ...

    def query(self, sparql: str) -> QueryResult: ...

    def count(self) -> int: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


def _gate(graphs: Sequence[ArticleGraph], enabled: bool = True) -> None:
    if not enabled:  # benchmarks, or re-publishing graphs validated in an earlier run
        return
    for g in graphs:
        if g.report is None:
            validate(g)  # raises ValidationError naming the article


def _batches(graphs: Sequence[ArticleGraph], size: int) -> Iterator[Sequence[ArticleGraph]]:
    # the same article twice in one call: the last one wins (and is written once)
    latest = list({g.iri: g for g in graphs}.values())
    for i in range(0, len(latest), max(1, size)):
        yield latest[i: i + size]


def _ntriples(triples: Iterable[ox.Triple]) -> str:
    data = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES)
    assert data is not None  # serialize() without an output returns the bytes
    return data.decode("utf-8")


def _insert_data(batch: Iterable[ArticleGraph]) -> str:
    """``DROP SILENT GRAPH …; INSERT DATA { GRAPH … { … } }`` for one batch, as N-Triples text."""
    drops: list[str] = []
    blocks: list[str] = []
    entity_triples: list[ox.Triple] = []
    for g in batch:
        drops.append(f"DROP SILENT GRAPH <{g.iri}>")
        nt = _ntriples(q.triple for q in g.graph_quads())
        blocks.append(f"GRAPH <{g.iri}> {{\n{nt}}}")
        entity_triples += [q.triple for q in g.entity_quads]
    if entity_triples:
        nt = _ntriples(entity_triples)
        blocks.append(f"GRAPH <{ENTITIES_GRAPH}> {{\n{nt}}}")
    return " ;\n".join(drops) + " ;\nINSERT DATA {\n" + "\n".join(blocks) + "\n}"


def _vocabulary_update() -> tuple[str, str]:
    """(ASK query: is this vocabulary version loaded?, update replacing the vocabulary graph)."""
    quads, digest = vocabulary_quads()
    ask = f'ASK {{ GRAPH <{VOCABULARY_GRAPH}> {{ <{VOCABULARY_GRAPH}> <http://purl.org/dc/terms/hasVersion> "{digest}" }} }}'
    nt = _ntriples(q.triple for q in quads)
    return ask, f"DROP SILENT GRAPH <{VOCABULARY_GRAPH}> ;\nINSERT DATA {{ GRAPH <{VOCABULARY_GRAPH}> {{\n{nt}}} }}"


#: Oxigraph's bulk loader ingests this many quads at a time (DEFAULT_BULK_LOAD_BATCH_SIZE): a batch
#: below it is one atomic ingestion (see EmbeddedStore._write_new).
BULK_INGEST_MAX = 1_000_000

_SUMMARY = ox.NamedNode(summary.SUMMARY_GRAPH)
_PENDING = ox.NamedNode(NG + "pendingGraph")


def _unmark(graphs: Iterable[ArticleGraph] | Iterable[str]) -> str:
    """Update removing the summary graph's ``ng:pendingGraph`` markers of these article graphs."""
    iris = " ".join(str(ox.NamedNode(g if isinstance(g, str) else g.iri)) for g in graphs)
    return (f"DELETE {{ GRAPH {_SUMMARY} {{ {_SUMMARY} {_PENDING} ?g }} }} "
            f"WHERE {{ VALUES ?g {{ {iris} }} GRAPH {_SUMMARY} {{ {_SUMMARY} {_PENDING} ?g }} }}")


def _count_query() -> str:
    return "SELECT (COUNT(*) AS ?n) WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }"


_LOCK_HINTS = ("lock", "resource temporarily unavailable", "already in use", "held by")


class EmbeddedStore:
    """An on-disk pyoxigraph Store; ``read_only=True`` opens it with ``Store.read_only``.

    RocksDB allows one writer process. A read-only open beside a live writer is undefined behaviour
    in Oxigraph, so for queries during ingests put a store server in between (see docs/deploy.md).
    """

    def __init__(self, path: Path | None, *, read_only: bool = False, summary_enabled: bool = True) -> None:
        self.path = path
        self.read_only = read_only
        self.summary = summary_enabled
        self._vocabulary_checked = False
        self._summary_checked = not summary_enabled
        try:
            if path is None:
                self._store = ox.Store()
            elif read_only:
                if not (path / "CURRENT").exists():
                    raise LoadError(f"no store at {path}; load some articles first", source=str(path))
                self._store = ox.Store.read_only(str(path))
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
        except OSError as exc:
            msg = str(exc)
            if any(h in msg.lower() for h in _LOCK_HINTS):
                raise StoreLocked(f"the store is open in another process ({msg}); stop it or query through "
                                  "`newsgraph serve`", source=str(path)) from exc
            raise LoadError(f"cannot open the store: {msg}", source=str(path)) from exc

    # -- writing ------------------------------------------------------------------------------
    def publish(self, graphs: Sequence[ArticleGraph], *, batch_size: int = DEFAULT_BATCH,
                validate: bool = True) -> int:
        """Write article graphs (replacing earlier versions), one transaction per batch.

        Graphs not yet validated go through the SHACL gate first (``validate=False`` skips it:
        for benchmarks and trusted re-loads only). Returns the number of quads written.
        """
        if self.read_only:
            raise LoadError("the store is open read-only", source=str(self.path))
        _gate(graphs, validate)
        if not self._vocabulary_checked:  # once per open store, not per batch (it parses two Turtle files)
            self.ensure_vocabulary()
        if not self._summary_checked:
            self._finish_pending_summary()
        written = 0
        for batch in _batches(graphs, batch_size):
            try:
                # contains_named_graph is a key look-up (~2 us); one VALUES query for the batch costs ~70x more
                replacing = [g for g in batch if self._store.contains_named_graph(ox.NamedNode(g.iri))]
                if self.summary:  # read before the write, applied with it
                    refresh = summary.batch_update(self, batch, [g.iri for g in replacing])
                if replacing:
                    # the articles and the summary rows they change: one update, one transaction
                    self._store.update(_insert_data(batch) + (" ;\n" + refresh if self.summary else ""))
                else:
                    quads: list[ox.Quad] = []
                    for g in batch:
                        quads += g.graph_quads()
                        quads += g.entity_quads
                    if self.summary:  # markers, removed by the refresh: a crash in between is mended on open
                        quads += [ox.Quad(_SUMMARY, _PENDING, ox.NamedNode(g.iri), _SUMMARY) for g in batch]
                    self._write_new(quads)
                    if self.summary:
                        self._store.update(refresh + " ;\n" + _unmark(batch))
            except (OSError, SyntaxError, ValueError) as exc:
                raise LoadError(f"writing {len(batch)} article graph(s) failed: {exc}",
                                source=str(self.path), article_id=batch[0].article_id) from exc
            written += sum(len(g) for g in batch)
        return written

    def _write_new(self, quads: list[ox.Quad]) -> None:
        """Write a batch of quads of graphs new to the store, all or nothing.

        On disk, up to ``BULK_INGEST_MAX`` quads go in as Oxigraph's bulk loader writes them: sorted
        into one SST file an index, and the files ingested into RocksDB in one call, which RocksDB
        records in its manifest atomically (all the indexes or none, also across a crash: the kill
        test in tests/pipeline/test_load.py goes through this path). That costs
        half what a transaction costs (``Store.extend``: 3.3 against 5.9 ms an article at 1,000
        articles, 3.7 against 7.3 at 10,000, with ~35% less memory; benchmarks/README.md). Larger
        batches, which the loader would ingest in several steps, and the in-memory store take the
        transaction."""
        if self.path is not None and len(quads) < BULK_INGEST_MAX:
            self._store.bulk_extend(quads)
        else:
            self._store.extend(quads)  # (~5x the rate of an INSERT DATA of the same quads)

    def ensure_vocabulary(self) -> None:
        """Load (or refresh) the ontology and crosswalk in the vocabulary graph."""
        ask, update = _vocabulary_update()
        try:
            if not bool(self._store.query(ask)):
                self._store.update(update)
        except (OSError, SyntaxError) as exc:
            raise LoadError(f"loading the vocabulary failed: {exc}", source=str(self.path)) from exc
        self._vocabulary_checked = True

    def _finish_pending_summary(self) -> None:
        """A crash between a new batch's write and its summary update left its markers: rebuild the
        summary (rare, and a rebuild is right whatever the batch changed)."""
        if self.query(f"ASK {{ GRAPH {_SUMMARY} {{ {_SUMMARY} {_PENDING} ?g }} }}").boolean:
            self.rebuild_summary()
        self._summary_checked = True

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update (one transaction). Maintenance only: articles go in with ``publish``."""
        if self.read_only:
            raise LoadError("the store is open read-only", source=str(self.path))
        try:
            self._store.update(with_prefixes(sparql))
        except (OSError, SyntaxError, ValueError) as exc:
            raise LoadError(f"the update failed: {exc}", source=str(self.path)) from exc

    def rebuild_summary(self) -> None:
        """Recompute the summary graph from every article graph (after ``bulk_load``, or to repair)."""
        summary.rebuild(self)

    def bulk_load(self, graphs: Sequence[ArticleGraph]) -> int:
        """Non-transactional fast path for an empty store (first import of a large corpus).
        It does not maintain the summary graph: call ``rebuild_summary()`` when done."""
        quads = [q for g in graphs for q in (*g.graph_quads(), *g.entity_quads)]
        try:
            self._store.bulk_extend(quads)
        except OSError as exc:
            raise LoadError(f"bulk load failed: {exc}", source=str(self.path)) from exc
        return len(quads)

    def flush(self) -> None:
        """Write the in-memory tables to disk. A store held open for a whole run (pipeline.StoreWriter)
        flushes by a budget (``StoreWriter.flush_budget``, at most ``store_flush_quads`` quads): what goes
        through transactions (replaced articles, summary rows; new articles only in batches of 1M
        quads or more) would otherwise pile up in RocksDB's memtables. Not needed for durability
        (commits go through the write-ahead log; ingested files are in RocksDB's manifest when the call returns)."""
        try:
            self._store.flush()
        except OSError as exc:
            raise LoadError(f"flushing the store failed: {exc}", source=str(self.path)) from exc

    def clear(self) -> None:
        self._store.clear()

    # -- reading ------------------------------------------------------------------------------
    def query(self, sparql: str) -> QueryResult:
        try:
            res = self._store.query(with_prefixes(sparql), use_default_graph_as_union=True)
            if isinstance(res, ox.QuerySolutions):
                raw = res.serialize(format=ox.QueryResultsFormat.JSON)
                assert raw is not None
                doc = json.loads(raw)
                return QueryResult.from_json(doc)
            if isinstance(res, ox.QueryBoolean):
                return QueryResult(kind="boolean", boolean=bool(res))
            return QueryResult(kind="graph", ntriples=_ntriples(res))
        except SyntaxError as exc:
            raise LoadError(f"the query is not valid SPARQL: {exc}") from exc
        except OSError as exc:
            raise LoadError(f"the query failed: {exc}", source=str(self.path)) from exc

    def count(self) -> int:
        return len(self._store)

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    @property
    def pyoxigraph(self) -> ox.Store:
        """The underlying pyoxigraph Store (for benchmarks and maintenance)."""
        return self._store

    def close(self) -> None:
        store = getattr(self, "_store", None)
        if store is not None:
            if not self.read_only:
                try:
                    store.flush()
                except OSError:
                    pass
            del self._store

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: The named graph where writers of a store server announce themselves (``WriterLock``); empty
#: whenever no batch is being written.
WRITERS_GRAPH = "https://w3id.org/newsgraph/graph/writers"
_WRITING_SINCE = NG + "writingSince"
_XSD_DATETIME = summary.XSD_DATETIME.value
_PROCESS = f"urn:newsgraph:writer:{uuid.uuid4().hex}:"  # this process's tokens start so
_ours: set[str] = set()  # this process's tokens in use (announcing or holding), under _ours_lock
_ours_lock = threading.Lock()


class WriterLock:
    """Turns among the processes writing one store server, wherever they run (one batch a turn).

    ``publish`` reads the summary rows a batch changes, adds the batch's counts and writes them
    back. A SPARQL server offers no lock, and Oxigraph's isolation is repeatable read, so two
    writers doing that at once both read the old count and one's addition is lost (seen in
    tests/faults/test_kill_and_concurrency.py: a meeting counted once, not twice).

    A writer announces itself with a token in ``WRITERS_GRAPH``, then reads every token: alone,
    it holds the lock; otherwise it withdraws its token and tries again after a random pause,
    growing to ``max_pause_s``. Of two writers that announce at once, the one that reads second
    sees the other's token, so two never hold the lock together (at worst both withdraw and
    retry). The holder re-stamps its token every ``lease_s / 3`` seconds; a token not re-stamped
    for ``lease_s`` (the writers' clocks agreeing to a few seconds) is a writer that died holding
    the lock, or whose server restarted under it: it is removed. A token of this process that no
    lock of it is using is left from a write that failed: removed at once.

    Raises:
        LoadError: another writer still held the lock after ``wait_s`` seconds.
    """

    def __init__(self, store: RemoteStore, *, lease_s: float = 30.0, wait_s: float = 900.0,
                 max_pause_s: float = 2.0) -> None:
        self.store, self.lease_s, self.wait_s, self.max_pause_s = store, lease_s, wait_s, max_pause_s
        self.token = _PROCESS + uuid.uuid4().hex
        self.waits = 0  # times this writer found another one writing
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self._http: Any = None  # the renewing thread's own session

    def _update(self, sparql: str) -> None:
        self.store._request("POST", f"{self.store.base}/update", data=sparql.encode("utf-8"), http=self._http,
                            headers={"Content-Type": "application/sparql-update"})

    def _stamp(self) -> None:
        """Put this writer's token in, or move its time to now."""
        now = datetime.now(UTC).isoformat()
        self._update(f"DELETE WHERE {{ GRAPH <{WRITERS_GRAPH}> {{ <{self.token}> ?p ?o }} }} ;\n"
                     f'INSERT DATA {{ GRAPH <{WRITERS_GRAPH}> {{ <{self.token}> <{_WRITING_SINCE}> '
                     f'"{now}"^^<{_XSD_DATETIME}> }} }}')

    def _withdraw(self, token: str) -> None:
        self._update(f"DELETE WHERE {{ GRAPH <{WRITERS_GRAPH}> {{ <{token}> ?p ?o }} }}")

    def _others(self) -> list[tuple[str, datetime]]:
        """The live tokens of other writers; dead ones and this process's leftovers are removed."""
        rows = self.store._select(f"SELECT ?w ?since WHERE {{ GRAPH <{WRITERS_GRAPH}> "
                                  f"{{ ?w <{_WRITING_SINCE}> ?since }} }}", union=False).json()
        now = datetime.now(UTC)
        live: list[tuple[str, datetime]] = []
        for b in rows["results"]["bindings"]:
            who = b["w"]["value"]
            if who == self.token:
                continue
            try:
                since = datetime.fromisoformat(b["since"]["value"])
            except ValueError:
                since = now  # not ours to judge: treated as live
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            with _ours_lock:
                leftover = who.startswith(_PROCESS) and who not in _ours
            if leftover or (now - since).total_seconds() > self.lease_s:
                self._withdraw(who)
            else:
                live.append((who, since))
        return live

    def __enter__(self) -> Self:
        deadline = time.monotonic() + self.wait_s
        pause = 0.05
        with _ours_lock:
            _ours.add(self.token)
        try:
            while True:
                self._stamp()
                others = self._others()
                if not others:
                    break
                self._withdraw(self.token)
                self.waits += 1
                if time.monotonic() > deadline:
                    last = max(since for _, since in others)
                    raise LoadError(f"another newsgraph writer still holds its turn on the store server (renewed "
                                    f"{last.isoformat()}); waited {self.wait_s:g} s (a writer that stops "
                                    f"renewing its turn is passed over after {self.lease_s:g} s)",
                                    source=self.store.base)
                time.sleep(random.uniform(pause / 2, pause))
                pause = min(pause * 2, self.max_pause_s)
        except BaseException:
            with _ours_lock:
                _ours.discard(self.token)
            raise
        self._renewer = threading.Thread(target=self._renew, name="newsgraph-writer-lease", daemon=True)
        self._renewer.start()
        return self

    def _renew(self) -> None:
        import requests

        with requests.Session() as self._http:
            while not self._stop.wait(self.lease_s / 3):
                try:
                    self._stamp()
                except LoadError:
                    pass  # the server is away: the write fails too, and says so
        self._http = None

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        try:
            self._withdraw(self.token)
        except LoadError:
            pass  # the server is away: the token stays until its lease ends (this process removes it at once)
        finally:
            with _ours_lock:
                _ours.discard(self.token)


class RemoteStore:
    """A SPARQL 1.1 server: queries at ``<base>/query``, updates at ``<base>/update``.

    Oxigraph's layout (``oxigraph serve``) is the default; for Fuseki give the dataset URL
    (``http://host:3030/ds``), whose endpoints have the same names. ``method="gsp"`` writes with a
    Graph Store Protocol PUT per article graph (``<base>/store``, Fuseki: ``/data``) instead of one
    SPARQL Update per batch.
    """

    def __init__(self, base: str, *, read_only: bool = False, method: str = "update",
                 gsp_path: str = "store", timeout: float = 60.0, session: Any = None,
                 summary_enabled: bool = True) -> None:
        import requests

        self.base = base.rstrip("/")
        for suffix in ("/query", "/sparql", "/update"):
            self.base = self.base.removesuffix(suffix)
        self.read_only = read_only
        self.method = method
        self.summary = summary_enabled
        self.gsp_url = f"{self.base}/{gsp_path}"
        self.timeout = timeout
        self._http = session or requests.Session()
        self._vocabulary_checked = False

    def _request(self, method: str, url: str, *, http: Any = None, **kw: Any) -> Any:
        """``http``: a session of the caller's own (requests' sessions are not shared across threads)."""
        import requests

        try:
            resp = (http or self._http).request(method, url, timeout=self.timeout, **kw)
        except requests.RequestException as exc:
            raise LoadError(f"the SPARQL server did not answer: {exc}", source=url) from exc
        if resp.status_code >= 400:
            raise LoadError(f"the SPARQL server answered {resp.status_code}: {resp.text[:300]}", source=url)
        return resp

    def publish(self, graphs: Sequence[ArticleGraph], *, batch_size: int = DEFAULT_BATCH,
                validate: bool = True) -> int:
        """Write article graphs through the server, one SPARQL Update request (or GSP PUTs) per batch."""
        if self.read_only:
            raise LoadError("the store is open read-only", source=self.base)
        _gate(graphs, validate)
        if not self._vocabulary_checked:
            self.ensure_vocabulary()
        written = 0
        for batch in _batches(graphs, batch_size):
            # the summary is read, recomputed and written back: one writer of the server at a time
            with WriterLock(self) if self.summary else contextlib.nullcontext():
                self._publish_batch(batch)
            written += sum(len(g) for g in batch)
        return written

    def _publish_batch(self, batch: Sequence[ArticleGraph]) -> None:
        refresh = ""
        if self.summary:  # graphs not in the store yet contribute nothing as old versions
            refresh = summary.batch_update(self, batch, [g.iri for g in batch])
        if self.method == "gsp":
            entity_quads = []
            for g in batch:
                nt = ox.serialize([q.triple for q in g.graph_quads()], format=ox.RdfFormat.N_TRIPLES)
                self._request("PUT", self.gsp_url, params={"graph": g.iri}, data=nt,
                              headers={"Content-Type": "application/n-triples"})
                entity_quads += g.entity_quads
            if entity_quads:
                nt = ox.serialize([q.triple for q in entity_quads], format=ox.RdfFormat.N_TRIPLES)
                self._request("POST", self.gsp_url, params={"graph": ENTITIES_GRAPH}, data=nt,
                              headers={"Content-Type": "application/n-triples"})
            if refresh:  # GSP has no transaction across requests
                self.update(refresh)
        else:  # the articles and the summary rows they change: one request, one transaction
            text = _insert_data(batch) + (" ;\n" + refresh if refresh else "")
            self._request("POST", f"{self.base}/update", data=text.encode("utf-8"),
                          headers={"Content-Type": "application/sparql-update"})

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update (one request). Maintenance only: articles go in with ``publish``."""
        if self.read_only:
            raise LoadError("the store is open read-only", source=self.base)
        self._request("POST", f"{self.base}/update", data=with_prefixes(sparql).encode("utf-8"),
                      headers={"Content-Type": "application/sparql-update"})

    def rebuild_summary(self) -> None:
        """Recompute the summary graph from every article graph (a batch written meanwhile by another
        writer would be lost from it: writers take turns)."""
        with WriterLock(self):
            summary.rebuild(self)

    def ensure_vocabulary(self) -> None:
        """Load (or refresh) the ontology and crosswalk in the vocabulary graph."""
        ask, update = _vocabulary_update()
        if not self._select(ask, union=False).json().get("boolean"):
            self._request("POST", f"{self.base}/update", data=update.encode("utf-8"),
                          headers={"Content-Type": "application/sparql-update"})
        self._vocabulary_checked = True

    def _select(self, sparql: str, *, union: bool) -> Any:
        params = {"union-default-graph": ""} if union else {}
        return self._request("POST", f"{self.base}/query", params=params, data=sparql.encode("utf-8"), headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+json, application/n-triples;q=0.9",
        })

    def query(self, sparql: str) -> QueryResult:
        resp = self._select(with_prefixes(sparql), union=True)
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip()
        if ctype in ("application/sparql-results+json", "application/json"):
            return QueryResult.from_json(resp.json())
        if ctype in ("application/n-triples", "text/plain"):
            return QueryResult(kind="graph", ntriples=resp.text)
        # some servers ignore the n-triples preference for graphs: normalise through pyoxigraph
        try:
            fmt = ox.RdfFormat.from_media_type(ctype)
            if fmt is None:
                raise ValueError(ctype)
            triples = [q.triple for q in ox.parse(resp.content, format=fmt)]
        except (SyntaxError, ValueError) as exc:
            raise LoadError(f"unexpected answer of type {ctype!r}", source=self.base) from exc
        return QueryResult(kind="graph", ntriples=_ntriples(triples))

    def count(self) -> int:
        resp = self._select(_count_query(), union=False)
        return int(resp.json()["results"]["bindings"][0]["n"]["value"])

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(settings: Settings, *, read_only: bool = False) -> EmbeddedStore | RemoteStore:
    """The store the settings name: embedded at ``settings.store_dir``, or a SPARQL server URL."""
    target = (settings.store or "embedded").strip()
    if target.startswith(("http://", "https://")):
        return RemoteStore(target, read_only=read_only)
    if target in ("embedded", ""):
        return EmbeddedStore(Path(settings.store_dir), read_only=read_only)
    if target == "memory":
        return EmbeddedStore(None, read_only=False)
    raise LoadError(f"unknown store {target!r}: use 'embedded' or the base URL of a SPARQL 1.1 server")
