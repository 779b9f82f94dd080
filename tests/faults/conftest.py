"""Fixtures for the fault tests: Prefect's test harness (its API also serves child `newsgraph run`
processes), the local Wikidata stand-ins of tests/link (imported, not copied), and pages to read."""
from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("ngtest_faults_support", Path(__file__).with_name("_support.py"))
assert _spec and _spec.loader
support = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = support
_spec.loader.exec_module(support)

# The local Wikidata of tests/link: oxigraph serving the shared subset, and the MediaWiki-API
# stand-in that forwards SPARQL and plays faults on demand (429 + Retry-After, 5xx, hang, drop).
_link = support.load_module("link/conftest.py", "ngtest_link_conftest")
subset_path = _link.subset_path
sparql_url = _link.sparql_url
wikidata_server = _link.wikidata_server
wikidata = _link.wikidata

LINK_PAGE = """Egypt and Jordan Hold Talks in Cairo

The foreign ministers of Egypt and Jordan met in Cairo on Friday to discuss regional security and trade.

Egyptian Foreign Minister Sameh Shoukry received his Jordanian counterpart Ayman Safadi at the ministry, officials said.

The talks were also attended by Harold Quimbleworth, an adviser to the Arab League, who told reporters the meeting went well.
"""


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """Prefect's test harness (a temporary API, SQLite) for the session; yields its URL so child
    processes (`newsgraph run`) use it too instead of starting a server each."""
    import os

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


@pytest.fixture
def fresh_linkers() -> Iterator[None]:
    """Each run builds its linker afresh (as each flow run does in its own worker process)."""
    from newsgraph import pipeline

    pipeline._linkers.clear()
    yield
    for linker in pipeline._linkers.values():
        linker.close()
    pipeline._linkers.clear()


@pytest.fixture(scope="session")
def dev_pages() -> list[Path]:
    """A few pages of the shared dev corpus (text pages with several articles each)."""
    if not support.DEV_CORPUS.is_dir():
        pytest.skip(f"the dev corpus is not at {support.DEV_CORPUS}")
    return sorted(support.DEV_CORPUS.glob("*.txt"))[:4]
