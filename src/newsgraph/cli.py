"""``newsgraph``: one command line, shaped like datasette / sqlite-utils.

Every command is a thin wrapper over the library; library errors become one readable line
(``click.ClickException``), never a traceback.
"""
from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import _progress
from .errors import NewsgraphError
from .settings import Settings, load_settings

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


def data_dir_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Data folder (default: $NEWSGRAPH_DATA_DIR or the per-user data folder).")(fn)


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
    except NewsgraphError as exc:
        raise click.ClickException(str(exc)) from exc


def _quads_in_store(summary: dict[str, Any]) -> int | str:
    from .runs import quads_in_store

    return quads_in_store(summary)


def _echo_set_aside(items: list[Any]) -> None:
    for item in items:
        source = item["source"] if isinstance(item, dict) else item.source
        reason = item["reason"] if isinstance(item, dict) else item.reason
        click.secho(f"set aside: {source}: {reason}", fg="yellow", err=True)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="newsgraph")
def cli() -> None:
    """newsgraph: a knowledge graph of who met whom, who attacked where and who signed what,
    built from the news and linked to Wikidata."""


# ---- run ----------------------------------------------------------------------------------
@cli.command()
@click.argument("sources", nargs=-1, required=True)
@data_dir_option
@click.option("--batch-size", default=256, show_default=True, help="Articles per task (and per store transaction).")
@click.option("--no-link", is_flag=True, help="Do not ask Wikidata now (entities are left for `relink`).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def run(sources: tuple[str, ...], data_dir: Path | None, batch_size: int, no_link: bool, as_json: bool) -> None:
    """Read SOURCES (files, folders, URLs, RSS/Atom feeds) into the graph: the Prefect flow `ingest`.

    Runs without a Prefect server (a temporary one is started); with PREFECT_API_URL set, the run
    shows in the Prefect UI.

    \b
    Example:
        newsgraph run ../shared/eval/corpus/dev
        newsgraph run https://example.org/feed.xml --data-dir ./data
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    settings = _settings(data_dir=data_dir)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry from an offline run
    from flows.ingest import ingest

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True, disable=not sys.stderr.isatty(), console=None) as bar:
        task_id = bar.add_task("reading sources", total=None)

        def report(stage: str, n: int, total: int | None) -> None:
            if total is not None:
                bar.update(task_id, description=stage, total=total)
            bar.advance(task_id, n)

        _progress.set_reporter(report)
        try:
            summary = ingest(sources=list(sources), data_dir=str(settings.data_dir), batch_size=batch_size,
                             linking=settings.linking and not no_link)
        except NewsgraphError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            _progress.set_reporter(None)
    _echo_set_aside(summary["set_aside"])
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        ev = summary["events_by_type"]
        click.echo(
            f"pages: {summary['pages']}  articles: {summary['articles']}  entities: {summary['entities']} "
            f"({summary['linked_entities']} linked)  events: {summary['events']} "
            f"(meeting {ev.get('meeting', 0)}, attack {ev.get('attack', 0)}, agreement {ev.get('agreement', 0)})  "
            f"triples written: {summary['quads_written']}  store: {_quads_in_store(summary)}  "
            f"set aside: {len(summary['set_aside'])}  ({summary['seconds']:.1f} s)")
        click.echo(f"store: {settings.store_dir if settings.store == 'embedded' else settings.store}")
    if summary["articles"] == 0:
        click.secho("nothing could be read from the sources given", fg="red", err=True)
        raise SystemExit(1)
    if summary.get("not_loaded"):
        click.secho(f"{len(summary['not_loaded'])} article(s) were not loaded into the store (listed above); "
                    "run the same sources again to load them", fg="red", err=True)
        raise SystemExit(1)


# ---- extract ------------------------------------------------------------------------------
@cli.command()
@click.argument("pages_dir", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write one <page>.json per page into.")
@data_dir_option
@click.option("--no-link", is_flag=True, help="Skip Wikidata linking (every `wikidata` is null).")
def extract(pages_dir: Path, out_dir: Path, data_dir: Path | None, no_link: bool) -> None:
    """Write the evaluation JSON (../shared/eval/FORMAT.md) for every page in PAGES_DIR.

    Parses, extracts and links, but loads nothing into the store.

    \b
    Example:
        newsgraph extract ../shared/eval/corpus/dev --out /tmp/pred
    """
    from .evaljson import page_record
    from .pipeline import extract_articles, fetch_pages, link_articles, parse_pages

    settings = _settings(data_dir=data_dir)
    if no_link:
        settings = settings.with_(linking=False)
    try:
        fetched = fetch_pages(settings, [str(pages_dir)])
        _echo_set_aside(fetched.set_aside)
        out_dir.mkdir(parents=True, exist_ok=True)
        by_page: dict[str, list[Any]] = {p.name: [] for p in fetched.pages}
        parsed = parse_pages(settings, fetched.pages)
        _echo_set_aside(parsed.set_aside)
        articles = extract_articles(settings, parsed.articles)
        articles = link_articles(settings, articles)
        for a in articles:
            by_page.setdefault(a.page_name, []).append(a)
        for name, arts in by_page.items():
            arts.sort(key=lambda a: a.index)
            (out_dir / (Path(name).stem + ".json")).write_text(
                json.dumps(page_record(name, arts), ensure_ascii=False, indent=1), encoding="utf-8")
    except NewsgraphError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {len(by_page)} page file(s) to {out_dir}", err=True)


# ---- relink / validate --------------------------------------------------------------------
def _run_flow(fn: Callable[..., Any], **params: Any) -> Any:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    try:
        return fn(**params)
    except NewsgraphError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command()
@data_dir_option
@click.option("--max-pages", default=1000, show_default=True, help="Re-read at most this many pages.")
@click.option("--batch-size", default=64, show_default=True, help="Articles per task.")
def relink(data_dir: Path | None, max_pages: int, batch_size: int) -> None:
    """Link again the entities left unlinked (Wikidata was unreachable, or linking was off):
    the Prefect flow `relink`. Their articles' graphs are replaced, nothing is duplicated.

    \b
    Example:
        newsgraph relink
    """
    from flows.relink import relink as relink_flow

    settings = _settings(data_dir=data_dir)
    summary = _run_flow(relink_flow, max_pages=max_pages, batch_size=batch_size, data_dir=str(settings.data_dir))
    _echo_set_aside(summary["set_aside"])
    click.echo(f"pages re-read: {summary['pages']}  articles: {summary['articles']}  entities: "
               f"{summary['entities']} ({summary['linked_entities']} linked)  store: {_quads_in_store(summary)}")


@cli.command()
@data_dir_option
def validate(data_dir: Path | None) -> None:
    """Check every article graph in the store against the SHACL shapes: the Prefect flow `validate`.

    Exits non-zero when a graph does not conform.

    \b
    Example:
        newsgraph validate
    """
    from flows.validate import validate_store

    settings = _settings(data_dir=data_dir)
    result = _run_flow(validate_store, data_dir=str(settings.data_dir))
    for graph in result["violating"]:
        click.secho(f"does not conform: {graph}", fg="red", err=True)
    click.echo(f"article graphs: {result['graphs']}  conform: {result['conform']}")
    if result["violating"]:
        raise SystemExit(1)


# ---- query --------------------------------------------------------------------------------
@cli.command()
@click.argument("sparql")
@data_dir_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "ttl"]), default="table",
              show_default=True)
def query(sparql: str, data_dir: Path | None, fmt: str) -> None:
    """Run a SPARQL query (or a path to a .rq file) against the store, read-only.

    Common prefixes (schema:, ng:, rdf:, rdfs:, owl:, xsd:, prov:, sem:, skos:, wd:) need no
    declaration.

    \b
    Example:
        newsgraph query 'SELECT ?headline WHERE { ?a a schema:NewsArticle ; schema:headline ?headline }'
        newsgraph query queries/who-met-whom.rq --format csv
    """
    from .store import format_result, open_store

    settings = _settings(data_dir=data_dir)
    if sparql.endswith(".rq") and Path(sparql).is_file():
        sparql = Path(sparql).read_text(encoding="utf-8")
    try:
        store = open_store(settings, read_only=True)
        try:
            click.echo(format_result(store.query(sparql), fmt))
        finally:
            store.close()
    except NewsgraphError as exc:
        raise click.ClickException(str(exc)) from exc


# ---- summary (the summary graph: src/newsgraph/summary.py, docs/store.md) ------------------
@cli.command()
@data_dir_option
@click.option("--check", is_flag=True, help="Only compare the stored rows with a rebuild; exit 1 if they differ.")
def summary(data_dir: Path | None, check: bool) -> None:
    """Rebuild the summary graph (the rankings' pre-aggregated rows) from every article graph.

    Every load keeps it up to date; rebuild after a bulk load, or to repair. --check compares.
    """
    from . import summary as summary_graph
    from .store import open_store

    settings = _settings(data_dir=data_dir)
    try:
        store = open_store(settings, read_only=check and settings.store == "embedded")
        try:
            if check:
                extra, missing = summary_graph.check(store)
                click.echo(f"summary rows: {len(extra)} stored but not rebuilt, {len(missing)} rebuilt but not stored")
                if extra or missing:
                    raise SystemExit(1)
            else:
                store.rebuild_summary()
                click.echo(f"summary graph rebuilt: {len(summary_graph.stored_rows(store.query))} triples")
        finally:
            store.close()
    except NewsgraphError as exc:
        raise click.ClickException(str(exc)) from exc


# ---- serve --------------------------------------------------------------------------------
@cli.command()
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default).")
@click.option("--port", default=7878, show_default=True)
def serve(data_dir: Path | None, host: str, port: int) -> None:
    """Serve the store as a read-only SPARQL 1.1 endpoint (query UI at /, queries at /query).

    \b
    Example:
        newsgraph serve --port 7878
    """
    from .serve import serve as serve_store

    settings = _settings(data_dir=data_dir)
    try:
        serve_store(settings, host=host, port=port)
    except NewsgraphError as exc:
        raise click.ClickException(str(exc)) from exc


# ---- deploy (the service: docs/deploy.md; logic in newsgraph.service) ----------------------
@cli.group()
def deploy() -> None:
    """Run newsgraph as a service on this machine, all on loopback: PostgreSQL for Prefect, the
    Prefect server and UI, the deployments of deploy/prefect.yaml, workers, the store server and
    the read-only SPARQL endpoint."""


@deploy.command("up")
@click.option("--workers", default=1, show_default=True, help="Process workers on the `process` pool.")
@click.option("--worker-limit", type=int, default=None, help="Flow runs one worker runs at once (default: no limit).")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the service keeps its database, logs and pids (default: <data dir>/service).")
def deploy_up(workers: int, worker_limit: int | None, state_dir: Path | None) -> None:
    """Start everything; ports from NEWSGRAPH_{POSTGRES,PREFECT,STORE,ENDPOINT}_PORT.

    \b
    Example:
        newsgraph deploy up --workers 2
    """
    from .service import ServicePlan, up

    try:
        info = up(ServicePlan.from_env(state_dir), workers=workers, worker_limit=worker_limit,
                  echo=lambda m: click.echo(m, err=True))
    except NewsgraphError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Prefect UI:      {info['ui']}\nSPARQL endpoint: {info['endpoint']}\nlogs:            {info['logs']}")


@deploy.command("down")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
def deploy_down(state_dir: Path | None) -> None:
    """Stop everything `deploy up` started (safe to run twice).

    \b
    Example:
        newsgraph deploy down
    """
    from .service import ServicePlan, down

    down(ServicePlan.from_env(state_dir), echo=click.echo)


@deploy.command("status")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
def deploy_status(state_dir: Path | None) -> None:
    """Show what is running.

    \b
    Example:
        newsgraph deploy status
    """
    from .service import ServicePlan, status

    click.echo(json.dumps(status(ServicePlan.from_env(state_dir)), indent=2))


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        cli(prog_name="newsgraph")
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        raise SystemExit(130)


if __name__ == "__main__":
    main()
