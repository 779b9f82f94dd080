"""Namespaces and deterministic IRIs.

Every IRI newsgraph mints is a pure function of record fields, so the same article, entity or event
gets the same IRI on every run (and no blank nodes: see rdflib/compare.py on why they hurt):

    article     {ID}article/<Article.id>
    page        {ID}page/<sha256 of the raw page>
    graph       {GRAPH}article/<Article.id>          one named graph per article
    entities    {GRAPH}entities                       the one shared entities graph
    entity      {ID}<kind>/<stable_id(kind, casefolded name)>
    event       {ID}event/<Article.id>/<type>-<n>     n = position among the article's events of that type
    statement   {ID}statement/<Article.id>/<n>        non-events (planned, denied, hypothetical, negated)

Entity IRIs come from kind + name, not from the Wikidata QID. A QID is a *decision* of the linker:
it is absent when Wikidata was unreachable (``needs_relink``), NIL for unknown people, and may change
when the linker improves. Minting from the QID would rename a node whenever a link changes and
would leave two IRIs for one entity across runs. The name is what the extractor read, so the IRI
stays put; the QID is attached as ``owl:sameAs wd:Q…`` (researchers group by the QID).
"""
from __future__ import annotations

import re
import sys
import sysconfig
import unicodedata
from pathlib import Path

from .._models import stable_id

NG = "https://w3id.org/newsgraph/ontology#"
ID = "https://w3id.org/newsgraph/id/"
GRAPH = "https://w3id.org/newsgraph/graph/"
ENTITIES_GRAPH = GRAPH + "entities"
VOCABULARY_GRAPH = GRAPH + "vocabulary"  # the ontology and the SKOS crosswalk, queryable with the data
WD = "http://www.wikidata.org/entity/"

#: The prefixes researchers may use in queries without declaring them.
PREFIXES: dict[str, str] = {
    "ng": NG,
    "schema": "https://schema.org/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "prov": "http://www.w3.org/ns/prov#",
    "sem": "http://semanticweb.cs.vu.nl/2009/11/sem/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "wd": WD,
    "dct": "http://purl.org/dc/terms/",
    "sh": "http://www.w3.org/ns/shacl#",
    "ngid": ID,
    "ngg": GRAPH,
}

_SAFE = re.compile(r"[^A-Za-z0-9._~-]")


def _seg(value: str) -> str:
    """An IRI path segment: ids are hex already; anything else is percent-free by hashing."""
    return value if not _SAFE.search(value) else stable_id(value)


def article_iri(article_id: str) -> str:
    return f"{ID}article/{_seg(article_id)}"


def graph_iri(article_id: str) -> str:
    return f"{GRAPH}article/{_seg(article_id)}"


def page_iri(sha256: str) -> str:
    return f"{ID}page/{_seg(sha256)}"


def clean_name(name: str) -> str:
    """A name as a label: NFC, no invisible format characters (zero-width, bidi marks), single spaces."""
    nfc = unicodedata.normalize("NFC", name)
    return " ".join("".join(ch for ch in nfc if unicodedata.category(ch) != "Cf").split())


def entity_iri(kind: str, name: str) -> str:
    return f"{ID}{kind}/{stable_id(kind, clean_name(name).casefold())}"


def event_iri(article_id: str, event_type: str, n: int) -> str:
    return f"{ID}event/{_seg(article_id)}/{event_type}-{n}"


def statement_iri(article_id: str, n: int) -> str:
    return f"{ID}statement/{_seg(article_id)}/{n}"


def software_iri(name: str) -> str:
    return f"{ID}software/{stable_id(name)}"


def wikidata_iri(qid: str) -> str:
    return WD + qid


def repo_root() -> Path:
    """Where ``ontology/`` and ``mappings/`` are: the checkout in an editable install, else the
    ``share/newsgraph`` folder that ``pip install .`` writes them to (pyproject.toml data-files)."""
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "ontology" / "newsgraph.ttl").is_file():
        return checkout
    for prefix in (sys.prefix, sys.base_prefix, sysconfig.get_path("data")):
        shared = Path(prefix) / "share" / "newsgraph"
        if (shared / "ontology" / "newsgraph.ttl").is_file():
            return shared
    return checkout


def ontology_dir() -> Path:
    return repo_root() / "ontology"


def mappings_dir() -> Path:
    return repo_root() / "mappings"
