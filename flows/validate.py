"""The ``validate`` flow: a SHACL report over what the store holds now (every article graph read back
and checked against ``ontology/shapes.ttl``), published as a Prefect artifact."""
from __future__ import annotations

from typing import Annotated, Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from newsgraph.pipeline import batched
from newsgraph.runs import GraphCheck, article_graph_iris, validate_graphs, validation_markdown
from newsgraph.settings import Settings, load_settings


@task(name="list-graphs", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[5, 30])
def list_graphs_task(settings: Settings) -> list[tuple[str, str]]:
    """Every article's named graph in the store."""
    return article_graph_iris(settings)


@task(name="shacl", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[5, 30])
def validate_task(settings: Settings, graphs: list[tuple[str, str]]) -> list[GraphCheck]:
    """Validate a batch of article graphs read back from the store."""
    return validate_graphs(settings, graphs)


@flow(name="validate", log_prints=True)
def validate_store(
    batch_size: Annotated[int, Field(ge=1, le=10000)] = 200,
    data_dir: str | None = None,
    store: str | None = None,
) -> dict[str, Any]:
    """Check every article graph in the store against the SHACL shapes; report what does not conform.

    Args:
        batch_size: Article graphs per task.
        data_dir: newsgraph's data folder on the worker; empty: the worker's.
        store: Where the graph lives: 'embedded' or a SPARQL 1.1 server's base URL; empty: the
            worker's NEWSGRAPH_STORE.
    """
    settings = load_settings(data_dir=data_dir or None, store=store or None)
    graphs = list_graphs_task(settings)
    checks: list[GraphCheck] = []
    for batch in batched(graphs, batch_size):
        checks += validate_task(settings, batch)
    bad = [c for c in checks if not c.conforms]
    create_table_artifact(key="validate-summary", table=[
        {"metric": "article graphs", "value": len(checks)},
        {"metric": "conform", "value": len(checks) - len(bad)},
        {"metric": "do not conform", "value": len(bad)},
        {"metric": "warnings", "value": sum(c.warnings for c in checks)},
    ], description="SHACL over the store")
    create_markdown_artifact(key="validate-report", markdown=validation_markdown(checks, endpoint=settings.endpoint_url))
    print(f"{len(checks)} article graphs, {len(bad)} do not conform")
    return {"graphs": len(checks), "conform": len(checks) - len(bad), "violating": [c.graph for c in bad]}
