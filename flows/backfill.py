"""The ``backfill`` flow: a folder or archive of pages, read in batches.

Each batch is one ``ingest`` run: either a subflow here (one machine), or — with ``deployment`` set —
a run of that deployment, so every worker pulling from the pool takes batches (scale-out). Either
way an article is loaded by exactly one run, and a batch that is retried replaces its own graphs.
Here, batches that extract in processes of their own (``NEWSGRAPH_EXTRACT_IN``; ``auto``: batches of
at least ``batch_size`` pages) share one set of them, started once: a 1k backfill in two batches took
96-104 s against 105-114 s when each batch started its own.
"""
from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from flows.ingest import ingest
from flows.tasks import extract_in_process, extraction_processes
from newsgraph.pipeline import extraction_process
from newsgraph.runs import backfill_batches, fan_out, since_filter
from newsgraph.settings import Settings, load_settings


@task(name="list-batches", cache_policy=NO_CACHE)
def list_batches_task(settings: Settings, path: str, batch_size: int, since: date | None) -> list[list[str]]:
    """The page files of the folder or archive, in batches."""
    return since_filter(backfill_batches(settings, path, batch_size), since, batch_size)


@flow(name="backfill", log_prints=True)
def backfill(
    path: str,
    pages_per_batch: Annotated[int, Field(ge=1, le=10000)] = 50,
    since: date | None = None,
    deployment: str | None = None,
    linking: bool = True,
    data_dir: str | None = None,
    store: str | None = None,
    timeout_minutes: Annotated[float, Field(gt=0)] = 360,
) -> dict[str, Any]:
    """Read a folder or archive of pages into the knowledge graph, in batches.

    Args:
        path: A folder of pages, or a .zip / .tar.gz archive of them, readable by the workers.
        pages_per_batch: Pages per ingest run.
        since: Only files modified on or after this date.
        deployment: Run each batch as a run of this deployment (e.g. 'ingest/manual') so that every
            worker of the pool takes a share; empty: run the batches here, one after another.
        linking: Link entities to Wikidata now.
        data_dir: newsgraph's data folder on the worker; empty: the worker's.
        store: Where the graph lives ('embedded' or a SPARQL server's base URL); empty: the worker's.
        timeout_minutes: Give up waiting for the batch runs after this long.
    """
    started = time.monotonic()
    settings = load_settings(data_dir=data_dir or None)
    batches = list_batches_task(settings, path, pages_per_batch, since)
    print(f"{sum(map(len, batches))} pages in {len(batches)} batches")
    # count_store off: each batch counting the whole store at its end would cost the backfill time
    # quadratic in its size (a full scan each; at 100k articles ~14 s, ~1,000 batches of 50 pages)
    params: dict[str, Any] = {"linking": linking, "count_store": False, **({"data_dir": data_dir} if data_dir else {}),
                              **({"store": store} if store else {})}
    if deployment:
        runs = fan_out(deployment, [{"sources": b, **params} for b in batches], timeout=timeout_minutes * 60)
    else:
        # one set of extraction processes for all the batches, when each batch would start its own
        # (a batch of at least batch_size pages, under auto): not a model load per batch and process
        separate = extract_in_process(settings, pages=max(map(len, batches), default=0),
                                      batch_size=settings.batch_size)
        with extraction_process(settings, enabled=separate, processes=extraction_processes(settings)):
            runs = [{"batch": i, "state": "COMPLETED", "summary": ingest(sources=b, **params)}
                    for i, b in enumerate(batches)]
    failed = [r for r in runs if r["state"] != "COMPLETED"]
    result = {"pages": sum(map(len, batches)), "batches": len(batches), "runs": runs, "failed": len(failed),
              "seconds": round(time.monotonic() - started, 2)}
    create_markdown_artifact(key="backfill-report", markdown=(
        f"# backfill of `{path}`\n\n{result['pages']} pages in {len(batches)} batches; "
        f"{len(failed)} batch runs did not complete; {result['seconds']} s.\n\n"
        "| batch | run | state |\n|---|---|---|\n"
        + "".join(f"| {r['batch']} | {r.get('name', '-')} | {r['state']} |\n" for r in runs)))
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(batches)} batch runs did not complete: "
                           + ", ".join(str(r.get("name", r["batch"])) for r in failed[:10]))
    return result
