"""What the Prefect flows need besides the stages: plain functions, testable without Prefect.

    expand_sources(settings, sources)        -> list[str]   ``@feeds.txt`` entries read one source a line
    backfill_batches(settings, path, size)   -> list[list[str]]  a folder or .zip/.tar(.gz) archive, in batches
    extract_cache_key(context, parameters)   -> str         the raw pages' content hashes + extractor digest
    stale_pages(settings)                    -> list[RawPage]  pages whose entities are left unlinked
    article_graph_iris(settings)             -> list[str]   every article's named graph in the store
    validate_graphs(settings, iris)          -> list[GraphCheck]  SHACL over graphs read back from the store
    summary_rows(summary) / report_markdown(...)           the run's artifacts (a table and a report)
    task_runner_from_env()                   -> TaskRunner | None   NEWSGRAPH_TASK_RUNNER=dask[:address]

The flows in ``flows/`` only call these and the stage functions in :mod:`newsgraph.pipeline`.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from ._models import Article, RawPage
from .archive import RawArchive
from .errors import ConfigError, InputError
from .fetch import FEED_SUFFIXES, PAGE_SUFFIXES, is_url
from .settings import Settings

__all__ = [
    "EXAMPLE_QUERIES",
    "GraphCheck",
    "article_graph_iris",
    "backfill_batches",
    "expand_sources",
    "extract_cache_key",
    "extractor_digest",
    "fan_out",
    "quads_in_store",
    "report_markdown",
    "since_filter",
    "stale_pages",
    "summary_rows",
    "task_runner_from_env",
    "validate_graphs",
    "validation_markdown",
]


# ---- sources --------------------------------------------------------------------------------
def expand_sources(settings: Settings, sources: Iterable[str]) -> list[str]:
    """Replace every ``@list.txt`` entry by the sources it lists (one a line, ``#`` comments).

    A relative list path is taken from the data folder, so a deployment can say ``@feeds.txt``.
    A missing list is not an error: it stays as a source and is set aside by fetch with its reason.
    """
    out: list[str] = []
    for source in sources:
        source = str(source).strip()
        if not source:
            continue
        if source.startswith("@"):
            path = Path(source[1:]).expanduser()
            if not path.is_absolute():
                path = settings.data_dir / path
            if path.is_file():
                for line in path.read_text(encoding="utf-8").splitlines():
                    line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("http") else line.strip()
                    if line and not line.startswith("#"):
                        out.append(line)
                continue
            out.append(str(path))
            continue
        out.append(source)
    return list(dict.fromkeys(out))


def _is_page_file(p: Path) -> bool:
    return p.is_file() and not p.name.startswith(".") and (
        p.suffix.lower() in PAGE_SUFFIXES or p.suffix.lower() in FEED_SUFFIXES)


def _unpack(settings: Settings, archive: Path) -> Path:
    """Unpack a .zip/.tar(.gz|.bz2|.xz) once, into ``<data>/backfill/<sha>/`` (safe paths only)."""
    h = hashlib.sha256()
    with open(archive, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    target = settings.data_dir / "backfill" / h.hexdigest()[:16]
    done = target / ".unpacked"
    if done.exists():
        return target
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    dest = (tmp / info.filename).resolve()
                    if not str(dest).startswith(str(tmp.resolve()) + os.sep) or info.is_dir():
                        continue
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as src, open(dest, "wb") as out:
                        shutil.copyfileobj(src, out)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                tf.extractall(tmp, filter="data")
        else:
            raise InputError("not a folder, a .zip or a .tar archive", source=str(archive))
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(f"cannot unpack the archive: {exc}", source=str(archive)) from exc
    (tmp / ".unpacked").write_text(str(archive) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def backfill_batches(settings: Settings, path: str | Path, batch_size: int) -> list[list[str]]:
    """The page files of a folder or archive, sorted, in batches of ``batch_size`` files.

    Raises:
        InputError: the path does not exist or is neither a folder nor a readable archive.
    """
    root = Path(path).expanduser()
    if not root.exists():
        raise InputError("no such file or folder", source=str(root))
    if root.is_file():
        if _is_page_file(root):
            return [[str(root.resolve())]]
        root = _unpack(settings, root)
    files = sorted(str(p.resolve()) for p in root.rglob("*") if _is_page_file(p))
    size = max(1, int(batch_size))
    return [files[i:i + size] for i in range(0, len(files), size)]


# ---- caching --------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def extractor_digest() -> str:
    """A digest of the extraction code and its data files: a new extractor misses every old cache entry."""
    from . import __version__

    h = hashlib.sha256(__version__.encode())
    root = Path(__file__).resolve().parent / "extract"
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix in (".py", ".json", ".txt", ".tsv", ".csv", ".jsonl"):
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def extract_cache_key(context: Any, parameters: Mapping[str, Any]) -> str | None:
    """Cache key of an extraction batch: which raw pages (by content hash) and which articles of them,
    the spaCy model and the extractor's code. The same bytes read again are not extracted again,
    whatever URL or time they were fetched from."""
    articles: Sequence[Article] = parameters.get("articles") or []
    settings = parameters.get("settings")
    if not articles:
        return None
    h = hashlib.sha256()
    h.update(extractor_digest().encode())
    h.update(str(getattr(settings, "spacy_model", "")).encode())
    for a in articles:
        h.update(f"\x1f{a.page_sha256}\x1e{a.id}\x1e{a.index}\x1e{a.source}".encode())
    return "extract-" + h.hexdigest()


# ---- relink ---------------------------------------------------------------------------------
STALE_PAGES = """
SELECT DISTINCT ?sha ?source WHERE {
  GRAPH ?g {
    ?a ng:page ?p . ?p ng:sha256 ?sha . OPTIONAL { ?p ng:source ?source }
    { ?d ng:inArticle ?a ; ng:needsRelink true }
    UNION
    { ?m ng:inArticle ?a ; ng:mentionOf ?e . FILTER NOT EXISTS { ?d2 ng:inArticle ?a ; ng:linkOf ?e } }
  }
} ORDER BY ?sha
"""


def _query(settings: Settings, sparql: str) -> Any:
    from .store import open_store

    store = open_store(settings, read_only=True)
    try:
        return store.query(sparql)
    finally:
        store.close()


OLD_PAGES = """
SELECT DISTINCT ?sha ?source WHERE {
  GRAPH ?g {
    ?gn a ng:ArticleGraph ; ng:describes ?a ; prov:generatedAtTime ?t .
    ?a ng:page ?p . ?p ng:sha256 ?sha . OPTIONAL { ?p ng:source ?source }
    FILTER(?t < "%s"^^xsd:dateTime)
  }
} ORDER BY ?sha
"""


def stale_pages(settings: Settings, *, limit: int | None = None,
                older_than_days: float | None = None) -> list[RawPage]:
    """Raw pages (from the raw archive) with an entity whose link is missing or marked for relink, and,
    with ``older_than_days``, pages whose article graphs were made longer ago than that (their links
    are decided again; the link cache's TTL decides whether Wikidata is asked again)."""
    rows = _query(settings, STALE_PAGES).rows()
    if older_than_days is not None:
        from datetime import datetime, timedelta

        cutoff = datetime.now(UTC) - timedelta(days=float(older_than_days))
        rows += _query(settings, OLD_PAGES % cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")).rows()
    archive = RawArchive(settings.raw_dir)
    pages: dict[str, RawPage] = {}
    for row in rows:
        sha, source = row["sha"], row.get("source") or ""
        if not sha or sha in pages or not archive.has(sha):
            continue
        meta: dict[str, Any] = {}
        meta_path = archive.path(sha).with_name(sha + ".json")
        if meta_path.exists():
            try:
                doc = json.loads(meta_path.read_text(encoding="utf-8"))
                fetches = doc.get("fetches") if isinstance(doc, dict) else doc
                if isinstance(fetches, list) and fetches:
                    meta = fetches[-1]
                elif isinstance(doc, dict):
                    meta = doc
            except (OSError, ValueError):
                meta = {}
        name = str(meta.get("name") or Path(source).name or sha[:16])
        media = str(meta.get("media_type") or ("text/html" if name.endswith((".html", ".htm")) or is_url(source)
                                                else "text/plain"))
        pages[sha] = RawPage(source=source or str(meta.get("source", "")), name=name, content=archive.read(sha),
                             media_type=media, fetched_at=str(meta.get("fetched_at") or ""), sha256=sha)
        if limit and len(pages) >= limit:
            break
    return list(pages.values())


# ---- validate -------------------------------------------------------------------------------
ARTICLE_GRAPHS = """
SELECT DISTINCT ?g ?id WHERE { GRAPH ?g { ?a a ng:Article ; schema:identifier ?id } } ORDER BY ?g
"""


@dataclass
class GraphCheck:
    graph: str
    article_id: str
    conforms: bool
    violations: int
    warnings: int
    text: str = ""


def article_graph_iris(settings: Settings) -> list[tuple[str, str]]:
    """(named graph, article id) of every article in the store."""
    return [(r["g"] or "", r["id"] or "") for r in _query(settings, ARTICLE_GRAPHS).rows()]


def validate_graphs(settings: Settings, graphs: Sequence[tuple[str, str]]) -> list[GraphCheck]:
    """Read each article graph (and its entities' shared facts) back from the store and SHACL-validate it."""
    import pyoxigraph as ox

    from .errors import ValidationError
    from .rdf import ENTITIES_GRAPH, ArticleGraph, article_iri, validate
    from .store import open_store

    out: list[GraphCheck] = []
    store = open_store(settings, read_only=True)
    try:
        for iri, aid in graphs:
            body = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")
            ents = store.query(
                f"CONSTRUCT {{ ?e ?p ?o }} WHERE {{ GRAPH <{iri}> {{ ?a schema:mentions ?e }} "
                f"GRAPH <{ENTITIES_GRAPH}> {{ ?e ?p ?o }} }}")
            g = ox.NamedNode(iri)
            quads = [ox.Quad(t.subject, t.predicate, t.object, g)
                     for t in ox.parse(body.ntriples.encode(), format=ox.RdfFormat.N_TRIPLES)]
            eg = ox.NamedNode(ENTITIES_GRAPH)
            equads = [ox.Quad(t.subject, t.predicate, t.object, eg)
                      for t in ox.parse(ents.ntriples.encode(), format=ox.RdfFormat.N_TRIPLES)]
            graph = ArticleGraph(iri=iri, article_id=aid, article_iri=article_iri(aid), quads=quads,
                                 entity_quads=equads)
            try:
                rep = validate(graph)
                out.append(GraphCheck(iri, aid, True, 0, rep.warnings, ""))
            except ValidationError as exc:
                text = str(getattr(exc, "report", "") or getattr(exc, "message", exc))
                out.append(GraphCheck(iri, aid, False, max(1, text.count("Constraint Violation")), 0, text[:4000]))
    finally:
        store.close()
    return out


def validation_markdown(checks: Sequence[GraphCheck], *, endpoint: str) -> str:
    bad = [c for c in checks if not c.conforms]
    lines = ["# SHACL report over the store", "",
             (f"**{len(checks)}** article graphs checked: **{len(checks) - len(bad)}** conform, "
              f"**{len(bad)}** do not; {sum(c.warnings for c in checks)} warnings."), "",
             f"SPARQL endpoint: [{endpoint}]({endpoint})", ""]
    if bad:
        lines += ["| graph | violations | first lines of the report |", "|---|---|---|"]
        for c in bad[:100]:
            first = " ".join(c.text.split())[:300].replace("|", "\\|")
            lines.append(f"| `{c.graph}` | {c.violations} | {first} |")
    return "\n".join(lines) + "\n"


# ---- artifacts ------------------------------------------------------------------------------
EXAMPLE_QUERIES = {
    "Articles and headlines": """SELECT ?article ?headline WHERE {
  ?article a schema:NewsArticle ; schema:headline ?headline .
} LIMIT 20""",
    "Who met whom": """SELECT ?event ?name WHERE {
  ?event a ng:Meeting ; ?role ?who . ?who rdfs:label ?name .
} LIMIT 50""",
    "Events by type": """SELECT ?type (COUNT(DISTINCT ?e) AS ?n) WHERE {
  ?e a ng:Event ; a ?type . FILTER(?type != ng:Event && ?type != schema:Event)
} GROUP BY ?type""",
    "Entities linked to Wikidata": """SELECT ?entity ?item WHERE { ?entity owl:sameAs ?item } LIMIT 50""",
}


def quads_in_store(summary: Mapping[str, Any]) -> int | str:
    """A run summary's quad count of the store, or "not counted" (a run with ``count_store`` off)."""
    quads = summary.get("store_quads", 0)
    return "not counted" if quads is None else int(quads)


def summary_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The run summary as table rows (metric, value) for a Prefect table artifact."""
    entities = int(summary.get("entities", 0))
    linked = int(summary.get("linked_entities", 0))
    rows: list[dict[str, Any]] = [
        {"metric": "pages", "value": summary.get("pages", 0)},
        {"metric": "articles", "value": summary.get("articles", 0)},
        {"metric": "entities", "value": entities},
        {"metric": "link rate", "value": f"{linked / entities:.0%} ({linked}/{entities})" if entities else "n/a"},
        {"metric": "events", "value": summary.get("events", 0)},
    ]
    for etype, n in sorted(dict(summary.get("events_by_type") or {}).items()):
        rows.append({"metric": f"events: {etype}", "value": n})
    rows += [
        {"metric": "non-events (planned, denied, ...)", "value": summary.get("non_events", 0)},
        {"metric": "quads written", "value": summary.get("quads_written", 0)},
        {"metric": "quads in store", "value": quads_in_store(summary)},
        {"metric": "pages set aside", "value": len(summary.get("set_aside") or [])},
        {"metric": "duration (s)", "value": summary.get("seconds", 0)},
    ]
    for item in (summary.get("set_aside") or [])[:50]:
        rows.append({"metric": f"set aside ({item['stage']})", "value": f"{item['source']}: {item['reason']}"})
    return rows


def report_markdown(summary: Mapping[str, Any], *, flow: str, endpoint: str, sources: Sequence[str] = ()) -> str:
    """A short report a person reads instead of the logs: what came in, what was set aside, how to query it."""
    ev = dict(summary.get("events_by_type") or {})
    entities = int(summary.get("entities", 0))
    linked = int(summary.get("linked_entities", 0))
    quads = quads_in_store(summary)
    lines = [
        f"# newsgraph `{flow}` run", "",
        f"- **{summary.get('pages', 0)}** pages, **{summary.get('articles', 0)}** articles, "
        f"**{entities}** entities ({linked} linked to Wikidata"
        + (f", {linked / entities:.0%}" if entities else "") + ")",
        f"- **{summary.get('events', 0)}** events: "
        + (", ".join(f"{k} {v}" for k, v in sorted(ev.items())) or "none"),
        f"- {summary.get('quads_written', 0)} quads written; "
        + (f"the store holds {quads}" if isinstance(quads, int) else "the store's quads not counted (count_store off)"),
        f"- {len(summary.get('set_aside') or [])} pages set aside; {summary.get('seconds', 0)} s", "",
    ]
    if sources:
        shown = list(sources)[:10]
        lines += ["Sources: " + ", ".join(f"`{s}`" for s in shown) + (" …" if len(sources) > 10 else ""), ""]
    set_aside = summary.get("set_aside") or []
    if set_aside:
        lines += ["## Set aside", "", "| source | stage | reason |", "|---|---|---|"]
        for item in set_aside[:50]:
            lines.append(f"| `{item['source']}` | {item['stage']} | {str(item['reason']).replace('|', '/')} |")
        lines.append("")
    lines += ["## Query it", "", f"SPARQL endpoint (read-only): [{endpoint}]({endpoint})", "",
              ("Common prefixes (`schema:`, `ng:`, `rdfs:`, `owl:`, …) are declared by `newsgraph query`; "
               "on the endpoint declare them or use full IRIs."), ""]
    for title, q in EXAMPLE_QUERIES.items():
        lines += [f"**{title}**", "", "```sparql", q, "```", ""]
    lines += [("From a shell: `newsgraph query 'SELECT ...'` or "
               f"`curl -G {endpoint} --data-urlencode 'query=SELECT * WHERE {{ ?s ?p ?o }} LIMIT 5'`"), ""]
    return "\n".join(lines)


# ---- task runner ------------------------------------------------------------------------------
def task_runner_from_env(env: Mapping[str, str] | None = None) -> Any:
    """``NEWSGRAPH_TASK_RUNNER``: unset/``threads`` -> Prefect's default; ``dask`` -> a local Dask cluster
    (worker processes, one thread each); ``dask:tcp://host:8786`` -> an existing Dask scheduler."""
    env = os.environ if env is None else env
    spec = (env.get("NEWSGRAPH_TASK_RUNNER") or "").strip()
    if not spec or spec == "threads":
        return None
    if not spec.startswith("dask"):
        raise ConfigError(f"NEWSGRAPH_TASK_RUNNER={spec!r}: use 'threads', 'dask' or 'dask:tcp://host:port'")
    from prefect_dask.task_runners import DaskTaskRunner

    address = spec.partition(":")[2]
    if address:
        return DaskTaskRunner(address=address)
    workers = int(env.get("NEWSGRAPH_DASK_WORKERS") or 2)
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                          "dashboard_address": ":0"})


def since_filter(batches: list[list[str]], since: Any, batch_size: int) -> list[list[str]]:
    """Keep only files modified on or after ``since`` (a date), re-batched."""
    if since is None:
        return batches
    from datetime import datetime

    cutoff = datetime(since.year, since.month, since.day, tzinfo=UTC).timestamp()
    files = [f for b in batches for f in b if Path(f).stat().st_mtime >= cutoff]
    size = max(1, int(batch_size))
    return [files[i:i + size] for i in range(0, len(files), size)]


# ---- fan-out ----------------------------------------------------------------------------------
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def fan_out(deployment: str, parameter_sets: Sequence[Mapping[str, Any]], *, timeout: float,
            poll: float = 2.0) -> list[dict[str, Any]]:
    """Create one run of ``deployment`` per parameter set (any worker of its pool may take each),
    then wait for all of them. Returns ``{"batch", "id", "name", "state"}`` per run, in order."""
    import time
    from uuid import UUID

    from prefect import get_client
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    created: list[dict[str, Any]] = []
    ids: list[UUID] = []
    for i, params in enumerate(parameter_sets):
        fr = cast("FlowRun", run_deployment(deployment, parameters=dict(params), timeout=0, as_subflow=True))
        ids.append(fr.id)
        created.append({"batch": i, "id": str(fr.id), "name": fr.name, "state": "SCHEDULED"})
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            for run, run_id in zip(created, ids):
                if run["state"] in FINAL_STATES:
                    continue
                state = client.read_flow_run(run_id).state
                run["state"] = state.type.value if state else "SCHEDULED"
            if all(r["state"] in FINAL_STATES for r in created):
                break
            time.sleep(poll)
    return created
