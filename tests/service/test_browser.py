"""A person's manual run, in a real browser: open the Prefect UI, find the `ingest` deployment, start a
custom run whose source is a page this test serves on loopback, watch it complete, then ask the
read-only SPARQL endpoint for that page's articles.

Playwright drives Debian's chromium (installed by scripts/setup.sh); nothing is downloaded. Every
request that is not to loopback is blocked. Screenshots go to tests/artifacts/ (git-ignored).
"""
from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from newsgraph.service import ServicePlan

from .conftest import dev_pages, select_landed, service_diagnosis

pytestmark = [pytest.mark.slow, pytest.mark.server]

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RUN_TIMEOUT_S = 300  # bound on waiting for the run; not an assertion about speed


@pytest.fixture
def browser_page(artifacts_dir: Path) -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run ./scripts/setup.sh")
    profile = tempfile.mkdtemp(prefix="newsgraph-chromium-")
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS, viewport={"width": 1400, "height": 900})
        blocked: list[str] = []

        def loopback_only(route: object) -> None:
            url = route.request.url  # type: ignore[attr-defined]
            if url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:")):
                route.continue_()  # type: ignore[attr-defined]
            else:
                blocked.append(url)
                route.abort()  # type: ignore[attr-defined]

        ctx.route("**/*", loopback_only)
        page = ctx.new_page()
        page.set_default_timeout(30_000)
        try:
            yield page
        finally:
            try:
                page.screenshot(path=str(artifacts_dir / "ui-last.png"), full_page=True)
            except Exception as exc:  # noqa: BLE001 - the last picture is best effort
                print(f"no last screenshot: {exc}")
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)


def test_a_custom_run_from_the_ui_lands_the_page_in_the_graph(service: ServicePlan, news_site: str,
                                                              browser_page: object, artifacts_dir: Path) -> None:
    page = browser_page
    name = dev_pages(suffix=".html")[0].name
    url = f"{news_site}/news/{name}"

    page.goto(f"{service.ui_url}/deployments")  # type: ignore[attr-defined]
    # the `manual` deployment of the `ingest` flow
    row_link = page.get_by_role("link", name="manual", exact=True).first  # type: ignore[attr-defined]
    row_link.wait_for()
    page.screenshot(path=str(artifacts_dir / "ui-1-deployments.png"))  # type: ignore[attr-defined]
    row_link.click()
    page.get_by_role("link", name="ingest").first.wait_for()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Run", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_text("Custom run").click()  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r"/run\b"))  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # the form is built from the deployment's parameter schema
    page.get_by_text("What to read").first.wait_for()  # type: ignore[attr-defined]  # the description shows
    page.get_by_role("button", name="Add item").click()  # type: ignore[attr-defined]
    page.locator("textarea").first.fill(url)  # type: ignore[attr-defined]
    page.screenshot(path=str(artifacts_dir / "ui-2-custom-run.png"), full_page=True)  # type: ignore[attr-defined]
    run_name = page.locator("input[type=text]").first.input_value()  # type: ignore[attr-defined]
    assert run_name, "the custom run form has no run name"
    clicked = time.monotonic()
    page.get_by_role("button", name="Submit").click()  # type: ignore[attr-defined]
    # back on the deployment: the new run is listed (and a toast says it was created)
    run_link = page.get_by_role("link", name=run_name).first  # type: ignore[attr-defined]
    run_link.wait_for(timeout=120_000)  # a bound: a busy server can be slow to validate and create the run
    page.screenshot(path=str(artifacts_dir / "ui-3-submitted.png"))  # type: ignore[attr-defined]
    run_link.click()
    page.wait_for_url(re.compile(r"/runs/flow-run/"))  # type: ignore[attr-defined]
    run_id = re.search(r"/runs/flow-run/([0-9a-f-]{36})", page.url).group(1)  # type: ignore[attr-defined, union-attr]

    # the run page updates itself; look for the state badge, reloading only now and then
    final = None
    badge = page.get_by_text(re.compile(r"^\s*(Completed|Failed|Crashed|Cancelled)\s*$")).first  # type: ignore[attr-defined]
    deadline = time.monotonic() + RUN_TIMEOUT_S
    last_reload = time.monotonic()
    while time.monotonic() < deadline:
        if badge.is_visible():
            final = badge.inner_text().strip()
            break
        page.wait_for_timeout(1000)  # type: ignore[attr-defined]
        if time.monotonic() - last_reload > 30:
            page.reload(wait_until="networkidle")  # type: ignore[attr-defined]
            last_reload = time.monotonic()
    elapsed = time.monotonic() - clicked
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    page.screenshot(path=str(artifacts_dir / "ui-4-run-finished.png"), full_page=True)  # type: ignore[attr-defined]
    assert final == "Completed", f"the run ended {final or 'not within the bound'}; see tests/artifacts/"
    # what a person looks at instead of the logs: the run's summary table and report
    summary_card = page.get_by_text("ingest-summary").first  # type: ignore[attr-defined]
    for _ in range(5):  # the tab lists what existed when it loaded: reload until the artifacts show
        page.get_by_role("tab", name="Artifacts").or_(page.get_by_text("Artifacts", exact=True)).first.click()  # type: ignore[attr-defined]
        try:
            summary_card.wait_for(timeout=10_000)
            break
        except Exception:  # noqa: BLE001 - playwright's TimeoutError
            page.reload(wait_until="networkidle")  # type: ignore[attr-defined]
    summary_card.wait_for(timeout=10_000)
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    page.screenshot(path=str(artifacts_dir / "ui-5-artifacts.png"), full_page=True)  # type: ignore[attr-defined]
    summary_card.click()
    page.get_by_text("link rate").first.wait_for()  # type: ignore[attr-defined]  # the summary table's rows
    page.screenshot(path=str(artifacts_dir / "ui-6-summary-table.png"), full_page=True)  # type: ignore[attr-defined]

    rows = select_landed(service, f"""PREFIX ng: <https://w3id.org/newsgraph/ontology#>
PREFIX schema: <https://schema.org/>
SELECT ?headline WHERE {{ ?a a schema:NewsArticle ; schema:headline ?headline ; ng:page ?p .
                         ?p ng:source "{url}" }}""")
    got = [r["headline"] for r in rows]
    assert got, f"no article of {url} in the graph\n{service_diagnosis(service)}"
    run = requests.get(f"{service.api_url}/flow_runs/{run_id}", timeout=30).json()
    (artifacts_dir / "ui-timing.txt").write_text(
        f"click to completed run seen in the UI: {elapsed:.1f} s; run created {run['created']}, started "
        f"{run['start_time']}, ended {run['end_time']}; {len(got)} article(s) of {url} queryable\n")
