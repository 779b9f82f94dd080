"""Real local servers for the linker's tests: oxigraph serving the Wikidata subset over SPARQL,
and ``wikidata_api.WikidataAPI`` answering the MediaWiki API calls (and forwarding SPARQL, with
faults on demand). Nothing is mocked: the linker's own HTTP client talks to both.
"""
from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from newsgraph._models import Article, Entity, Mention
from newsgraph.link import Linker, make_linker
from newsgraph.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SUBSET = (REPO / ".." / "shared" / "wikidata" / "wikidata-subset.nt").resolve()

_spec = importlib.util.spec_from_file_location("newsgraph_tests_link_wikidata_api", Path(__file__).with_name("wikidata_api.py"))
assert _spec and _spec.loader
wikidata_api = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = wikidata_api
_spec.loader.exec_module(wikidata_api)
WikidataAPI = wikidata_api.WikidataAPI


@pytest.fixture(scope="session")
def subset_path() -> Path:
    if not SUBSET.is_file():
        pytest.skip(f"the Wikidata subset is not at {SUBSET} (shared/ must sit beside the repo)")
    return SUBSET


@pytest.fixture(scope="session")
def sparql_url(subset_path: Path, wikidata_sparql_url: str) -> str:
    """`oxigraph serve-read-only` on a free loopback port, loaded with the subset (tests/conftest.py)."""
    return wikidata_sparql_url


@pytest.fixture(scope="session")
def wikidata_server(subset_path: Path, sparql_url: str) -> Iterator[Any]:
    server = WikidataAPI.start(subset_path, sparql_upstream=sparql_url)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def wikidata(wikidata_server: Any) -> Iterator[Any]:
    """The local API server with an empty fault queue and request log."""
    wikidata_server.reset()
    yield wikidata_server
    wikidata_server.reset()


LinkerFactory = Callable[..., Linker]


@pytest.fixture
def make(tmp_path: Path) -> Iterator[LinkerFactory]:
    """Build linkers with a cache in tmp_path and a fast, test-sized client; closes them after."""
    made: list[Linker] = []

    def factory(*, sparql: str = "", api: str = "", cache: Path | None = None, ttl_days: float = 30.0,
                attempts: int = 3, timeout: float = 1.0, max_retry_after: float = 5.0) -> Linker:
        settings = Settings(data_dir=tmp_path / "data", wikidata_sparql=sparql, wikidata_api=api,
                            link_cache_ttl_days=ttl_days, link_requests_per_second=200.0)
        linker = make_linker(settings, timeout=timeout, attempts=attempts, backoff=0.01,
                             max_retry_after=max_retry_after,
                             cache_path=str(cache) if cache else None)
        made.append(linker)
        return linker

    yield factory
    for linker in made:
        linker.close()


def entity(kind: str, *mentions: str, roles: list[str] | None = None, role_of: str | None = None) -> Entity:
    return Entity(kind=kind, name=max(mentions, key=len), mentions=[Mention(m, 0, 0) for m in mentions],  # type: ignore[arg-type]
                  roles=list(roles or []), role_of=role_of)


def article(*entities: Entity, id: str = "a1") -> Article:
    return Article(id=id, headline="Test", body=["Body."], entities=list(entities))


@pytest.fixture
def ent() -> Callable[..., Entity]:
    """``ent("person", "Recep Tayyip Erdogan", "Erdogan", roles=[...], role_of=...)``"""
    return entity


@pytest.fixture
def art() -> Callable[..., Article]:
    """``art(entity, entity, ...)``: an article holding those entities."""
    return article
