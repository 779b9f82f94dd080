"""The deployed service (``newsgraph deploy up`` with two workers): a scheduled run lands triples
with nobody touching anything, and two workers share one pool without loading an article twice."""
from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from newsgraph.service import REPO, ServicePlan, prefect_cli

from .conftest import dev_pages, select_landed, service_diagnosis, set_feed

pytestmark = [pytest.mark.slow, pytest.mark.server]
WAIT_S = 300  # bound on every wait; never an assertion about speed


@contextmanager
def api(plan: ServicePlan) -> Iterator[Any]:
    """A Prefect client of the service's server (not the test harness's)."""
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: plan.api_url}), get_client(sync_client=True) as client:
        yield client


def articles_from(plan: ServicePlan, source_prefix: str, at_least: int = 1) -> list[str]:
    """The articles the public endpoint has from sources under ``source_prefix``, once it has
    ``at_least`` of them (waiting out the replica's lag, within a bound)."""
    rows = select_landed(plan, f"""PREFIX ng: <https://w3id.org/newsgraph/ontology#>
PREFIX schema: <https://schema.org/>
SELECT ?a ?g WHERE {{ GRAPH ?g {{ ?a a schema:NewsArticle ; ng:page ?p . ?p ng:source ?src }}
  FILTER(STRSTARTS(?src, "{source_prefix}")) }}""", enough=lambda rows: len(rows) >= at_least)
    return [r["a"] for r in rows]


def test_the_deployment_file_names_real_flows_and_valid_parameters() -> None:
    """Every entrypoint of deploy/prefect.yaml loads, and its parameters validate against the flow."""
    from prefect.flows import load_flow_from_entrypoint

    doc = yaml.safe_load((REPO / "deploy" / "prefect.yaml").read_text())
    names = set()
    for dep in doc["deployments"]:
        flow = load_flow_from_entrypoint(str(REPO / dep["entrypoint"]))
        names.add(f"{flow.name}/{dep['name']}")
        params = dict(dep.get("parameters") or {})
        if flow.name == "ingest":
            params.setdefault("sources", ["x"])
        if flow.name == "backfill":
            params.setdefault("path", "x")
        flow.validate_parameters(params)
        assert dep["work_pool"]["name"] == "process"
        for sched in dep.get("schedules") or []:
            assert "cron" in sched and sched.get("timezone") == "UTC"
    assert {"ingest/feeds", "ingest/manual", "backfill/archive", "relink/nightly", "validate/nightly"} <= names
    crons = {f"{d['entrypoint']}:{d['name']}": d["schedules"][0]["cron"] for d in doc["deployments"] if d.get("schedules")}
    assert crons["flows/ingest.py:ingest:feeds"] == "*/30 * * * *"


def test_a_scheduled_run_lands_triples_without_anyone_touching_it(service: ServicePlan, news_site: str,
                                                                 tmp_path: Path) -> None:
    names = [p.name for p in dev_pages()[-2:]]
    feed = set_feed(news_site, names)
    (service.data_dir / "feeds.txt").write_text(f"# feeds read by ingest/feeds\n{feed}\n", encoding="utf-8")
    # the real `feeds` deployment, with a 10-second schedule instead of every 30 minutes
    doc = yaml.safe_load((REPO / "deploy" / "prefect.yaml").read_text())
    feeds = next(d for d in doc["deployments"] if d["name"] == "feeds")
    feeds["name"] = "feeds-every-10s"
    feeds["schedules"] = [{"interval": 10, "active": True}]
    doc["deployments"] = [feeds]
    prefect_file = tmp_path / "prefect.yaml"
    prefect_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    prefect_cli(service, "deploy", "--name", "feeds-every-10s", "--prefect-file", str(prefect_file))

    with api(service) as client:
        from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

        deployment = client.read_deployment_by_name("ingest/feeds-every-10s")
        try:
            done = None
            deadline = time.monotonic() + WAIT_S
            while done is None and time.monotonic() < deadline:
                runs = client.read_flow_runs(deployment_filter=DeploymentFilter(
                    name=DeploymentFilterName(any_=["feeds-every-10s"])))
                done = next((r for r in runs if r.state and r.state.is_completed()), None)
                failed = [r for r in runs if r.state and r.state.type.value in ("FAILED", "CRASHED")]
                assert not failed, f"a scheduled run failed: {failed[0].state}"
                if done is None:
                    time.sleep(2)
        finally:
            client.delete_deployment(deployment.id)  # stop scheduling for the rest of the session
    assert done is not None, "no scheduled run completed within the bound"
    assert done.auto_scheduled, "the run was not created by the scheduler"
    got = {a for name in names for a in articles_from(service, f"{news_site}/news/{name}")}
    assert got, f"the scheduled run wrote none of the feed's articles\n{service_diagnosis(service)}"


def _worker_of_runs(plan: ServicePlan) -> dict[str, list[str]]:
    """flow run id -> the workers that ran it: their log says they submitted it, and not that the
    server then refused them ("Aborted submission": both workers may pick up the same scheduled run,
    and Prefect lets only the first move it to PENDING)."""
    taken: dict[str, list[str]] = {}
    for log in plan.logs.glob("worker-*.log"):
        text = log.read_text(errors="replace")
        aborted = set(re.findall(r"Aborted submission of flow run '([0-9a-f-]{36})'", text))
        for run_id in re.findall(r"submitting flow run '([0-9a-f-]{36})'", text):
            if run_id not in aborted:
                taken.setdefault(run_id, []).append(log.stem)
    return taken


def test_two_workers_share_a_pool_without_loading_an_article_twice(service: ServicePlan) -> None:
    folder = service.data_dir.parent / "backfill-pages"
    folder.mkdir(exist_ok=True)
    pages = dev_pages(6)
    for p in pages:
        shutil.copy(p, folder / p.name)

    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
    )
    from prefect.deployments import run_deployment

    with api(service) as client:
        parent = run_deployment("backfill/archive", parameters={"path": str(folder), "pages_per_batch": 1},
                                timeout=WAIT_S)
        assert parent.state is not None and parent.state.is_completed(), parent.state
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent.id])))
        assert len(children) == len(pages), "one ingest run per batch of one page"
        assert all(c.state and c.state.is_completed() for c in children)
        loaded = 0
        for child in children:
            arts = client.read_artifacts(artifact_filter=ArtifactFilter(
                key={"any_": ["ingest-summary"]}, flow_run_id=ArtifactFilterFlowRunId(any_=[child.id])))
            rows = arts[0].data if isinstance(arts[0].data, list) else json.loads(arts[0].data)
            loaded += int(next(r["value"] for r in rows if r["metric"] == "articles"))

    taken = _worker_of_runs(service)
    owners = [taken.get(str(c.id), []) for c in children]
    assert all(len(o) == 1 for o in owners), f"a batch run was taken by no worker or by two: {owners}"
    assert {o[0] for o in owners} | set(taken.get(str(parent.id), [])) == {"worker-1", "worker-2"}, \
        f"both workers should have taken runs: {owners}"
    in_store = articles_from(service, str(folder), at_least=loaded)
    assert len(in_store) == len(set(in_store)) == loaded, \
        f"{len(in_store)} articles in the graph, {loaded} loaded: an article was loaded by more than one run " \
        f"or did not land\n{service_diagnosis(service)}"
