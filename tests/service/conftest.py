"""Fixtures for the service tests: Prefect's test harness, a loopback news site, the Wikidata subset
served locally, and one deployed service (PostgreSQL, Prefect server, store, endpoint, two workers)
shared by the server tests of the session."""
from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from newsgraph.service import ServicePlan, _alive, down, free_port, status

REPO = Path(__file__).resolve().parents[2]
SHARED = (REPO / ".." / "shared").resolve()
DEV_CORPUS = SHARED / "eval" / "corpus" / "dev"
WIKIDATA_SUBSET = SHARED / "wikidata" / "wikidata-subset.nt"
ARTIFACTS = REPO / "tests" / "artifacts"


@pytest.fixture(autouse=True, scope="session")
def prefect_harness() -> Iterator[None]:
    """Prefect's test harness (a temporary SQLite-backed API) for every test here (Prefect's testing guide)."""
    import os

    from prefect.testing.utilities import prefect_test_harness

    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"  # offline: no telemetry attempts
    with prefect_test_harness(server_startup_timeout=120):
        yield


def dev_pages(n: int | None = None, suffix: str | None = None) -> list[Path]:
    if not DEV_CORPUS.is_dir():
        pytest.skip(f"the dev corpus is not at {DEV_CORPUS} (shared/ must sit beside the repo)")
    pages = sorted(p for p in DEV_CORPUS.iterdir() if p.suffix in (".txt", ".html"))
    if suffix:
        pages = [p for p in pages if p.suffix == suffix]
    return pages[:n] if n else pages


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data folder (embedded store), linking off unless a test turns it on."""
    d = tmp_path / "data"
    monkeypatch.setenv("NEWSGRAPH_DATA_DIR", str(d))
    monkeypatch.setenv("NEWSGRAPH_LINKING", "off")
    monkeypatch.setenv("NEWSGRAPH_STORE", "embedded")
    return d


# ---- a news site on loopback ---------------------------------------------------------------------
class _Site(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, tuple[bytes, str]]] = {}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body, ctype = self.pages.get(self.path.split("?")[0], (b"no such page", "text/plain"))
        status = 200 if self.path.split("?")[0] in self.pages else 404
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="session")
def news_site() -> Iterator[str]:
    """http://127.0.0.1:PORT serving every dev-corpus page as /news/<name> and a feed of them at /feed.xml."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    for p in dev_pages():
        ctype = "text/html; charset=utf-8" if p.suffix == ".html" else "text/plain; charset=utf-8"
        _Site.pages[f"/news/{p.name}"] = (p.read_bytes(), ctype)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def set_feed(base: str, names: list[str]) -> str:
    """Publish an RSS feed of the named pages at /feed.xml; returns its URL."""
    items = "".join(f"<item><title>{n}</title><link>{base}/news/{n}</link></item>" for n in names)
    _Site.pages["/feed.xml"] = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}'
                                f"</channel></rss>".encode(), "application/rss+xml")
    return f"{base}/feed.xml"


# ---- Wikidata, offline ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def wikidata_sparql(wikidata_sparql_url: str) -> str:
    """The shared Wikidata subset behind `oxigraph serve-read-only` on loopback (tests/conftest.py)."""
    return wikidata_sparql_url


# ---- the deployed service ------------------------------------------------------------------------
@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory, wikidata_sparql: str) -> Iterator[ServicePlan]:
    """The README's command, `deploy/up.sh --workers 2`, on free loopback ports; `deploy/down.sh` at the end
    must leave nothing running."""
    import os

    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.fail("PostgreSQL is not installed: run ./scripts/setup.sh")
    root = tmp_path_factory.mktemp("service")
    root.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSGRAPH_"))}
    env.update({
        "NEWSGRAPH_DATA_DIR": str(root / "data"), "NEWSGRAPH_SERVICE_DIR": str(root / "state"),
        "NEWSGRAPH_POSTGRES_PORT": str(free_port()), "NEWSGRAPH_PREFECT_PORT": str(free_port()),
        "NEWSGRAPH_STORE_PORT": str(free_port()), "NEWSGRAPH_ENDPOINT_PORT": str(free_port()),
        # what the workers' flow runs need here: the test's news site is on loopback, Wikidata is offline
        "NEWSGRAPH_ALLOW_PRIVATE_URLS": "1", "NEWSGRAPH_WIKIDATA_SPARQL": wikidata_sparql,
        "NEWSGRAPH_WIKIDATA_API": "",
        # short loops so a test does not wait for the defaults (60 s scheduler, 10 s worker polls)
        "PREFECT_WORKER_QUERY_SECONDS": "2", "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "INFO",
    })
    plan = ServicePlan.from_env(env=env)
    try:
        res = subprocess.run([str(REPO / "deploy" / "up.sh"), "--workers", "2", "--worker-limit", "2"], env=env,
                             capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, check=False)
        assert res.returncode == 0, f"deploy/up.sh failed:\n{res.stdout}\n{res.stderr}"
        assert plan.ui_url in res.stdout and plan.endpoint_url in res.stdout, res.stdout
        yield plan
    finally:
        pids = {name: part["pid"] for name, part in status(plan)["parts"].items() if "pid" in part}
        res = subprocess.run([str(REPO / "deploy" / "down.sh")], env=env, capture_output=True, text=True,
                             timeout=300, stdin=subprocess.DEVNULL, check=False)
        left = {name: pid for name, pid in pids.items() if _alive(pid)}
        if status(plan)["parts"]["postgres"]["running"]:
            left["postgres"] = -1
        down(plan, echo=lambda m: None)  # whatever down.sh missed, so nothing outlives the session
        plan.postgres().destroy()
        assert res.returncode == 0 and not left, f"deploy/down.sh left {left} running:\n{res.stdout}{res.stderr}"


def select_landed(plan: ServicePlan, sparql: str, enough: Callable[[list[dict[str, str]]], bool] = bool,
                  bound_s: float = 120.0) -> list[dict[str, str]]:
    """Rows of ``sparql`` from the public endpoint once they are ``enough`` (any, by default): the
    endpoint answers from a read replica that follows the store server's writes with a lag (docs/store.md; every answer carries
    ``Newsgraph-Data-As-Of``), so a run that has just completed may take a refresh or two to show.
    ``bound_s`` bounds that wait; it is not an assertion about speed. The last answer if not enough
    showed in time."""
    import time

    import requests

    deadline = time.monotonic() + bound_s
    while True:
        resp = requests.get(plan.endpoint_url, params={"query": sparql}, timeout=30,
                            headers={"Accept": "application/sparql-results+json"})
        assert resp.status_code == 200, resp.text
        rows = [{k: v["value"] for k, v in b.items()} for b in resp.json()["results"]["bindings"]]
        if enough(rows) or time.monotonic() > deadline:
            return rows
        time.sleep(1.0)


def service_diagnosis(plan: ServicePlan, lines: int = 25) -> str:
    """What to read when a run's articles do not show: the replica's status and the tails of the
    endpoint's and the workers' logs."""
    import requests

    try:
        replica = requests.get(plan.endpoint_url.rsplit("/", 1)[0] + "/replica", timeout=10).text
    except requests.RequestException as exc:
        replica = f"(no answer: {exc})"
    parts = [f"endpoint /replica: {replica.strip()}"]
    for log in sorted(plan.logs.glob("endpoint.log")) + sorted(plan.logs.glob("worker-*.log")):
        # the endpoint's own lines (refreshes, errors), not the access log of the test's own polling
        kept = [ln for ln in log.read_text(errors="replace").splitlines() if '"GET /query?' not in ln]
        tail = kept[-lines:]
        parts.append(f"--- {log.name} (last {len(tail)} lines)\n" + "\n".join(tail))
    return "\n".join(parts)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
