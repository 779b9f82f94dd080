"""Article records -> RDF, through the declarative JSON-LD mapping in ``mappings/``; SHACL gate.

    article_graph(article, *, extracted_at) -> ArticleGraph     map one article (pure, deterministic)
    validate(graph) -> ValidationReport                         SHACL gate (rudof; pySHACL fallback); raises ValidationError

An :class:`ArticleGraph` holds two sets of quads: ``quads`` for the article's own named graph
(the article, its mentions, link decisions, events, evidence and provenance) and ``entity_quads``
for the one shared entities graph (each entity's types, label and ``owl:sameAs``, and the
extractor's description), so shared facts are stored once instead of once per article (Oxigraph's
union default graph does not de-duplicate: copies multiply the rows of naive queries).

pyoxigraph writes every term (JSON-LD parsing here, the store later); rdflib only reads, for the
pySHACL fallback. Never mix the two as writers of the same terms: rdflib rewrites ``…Z`` date-times.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .._models import Article
from ..errors import MappingError
from . import _namespaces as namespaces
from ._mapping import documents
from ._namespaces import (
    ENTITIES_GRAPH,
    ID,
    NG,
    PREFIXES,
    VOCABULARY_GRAPH,
    article_iri,
    entity_iri,
    event_iri,
    graph_iri,
)
from ._validate import ValidationReport, validate

__all__ = [
    "ENTITIES_GRAPH",
    "NG",
    "PREFIXES",
    "VOCABULARY_GRAPH",
    "ArticleGraph",
    "ValidationReport",
    "article_graph",
    "article_iri",
    "entity_iri",
    "event_iri",
    "graph_iri",
    "namespaces",
    "quads_from_jsonld",
    "to_jsonld",
    "validate",
    "vocabulary_quads",
]


@dataclass
class ArticleGraph:
    """One article mapped to RDF: its named graph's quads plus its facts for the shared entities graph."""

    iri: str  # the article's named graph
    article_id: str
    article_iri: str
    quads: list[ox.Quad]
    entity_quads: list[ox.Quad]
    report: ValidationReport | None = None
    report_quads: list[ox.Quad] = field(default_factory=list)  # the SHACL outcome, as provenance

    def graph_quads(self) -> list[ox.Quad]:
        """Everything published into the article's named graph (mapping output + validation record)."""
        return [*self.quads, *self.report_quads]

    def __len__(self) -> int:
        return len(self.quads) + len(self.report_quads) + len(self.entity_quads)

    def to_nquads(self) -> str:
        """All quads as N-Quads (article graph, then entities graph), e.g. for archiving or diffing."""
        data = ox.serialize([*self.graph_quads(), *self.entity_quads], format=ox.RdfFormat.N_QUADS)
        assert data is not None
        return data.decode("utf-8")


def quads_from_jsonld(doc: Mapping[str, object], *, article_id: str | None = None) -> list[ox.Quad]:
    """Parse one JSON-LD document (context inline) with pyoxigraph's JSON-LD 1.1 parser."""
    try:
        return list(ox.parse(json.dumps(doc, ensure_ascii=False).encode("utf-8"), format=ox.RdfFormat.JSON_LD))
    except (SyntaxError, ValueError, OSError) as exc:
        raise MappingError(f"JSON-LD mapping failed: {exc}", article_id=article_id) from exc


def to_jsonld(article: Article, *, extracted_at: str) -> tuple[dict[str, object], dict[str, object]]:
    """The JSON-LD documents (article graph, entities graph) that :func:`article_graph` parses."""
    return documents(article, extracted_at=extracted_at)


def article_graph(article: Article, *, extracted_at: str) -> ArticleGraph:
    """Map one article to RDF.

    Args:
        article: an Article with entities, links and events filled (any of them may be empty).
        extracted_at: ISO 8601 date-time of the extraction run, recorded as provenance.

    Returns:
        ArticleGraph with ``iri`` (the named graph), ``quads`` (article graph) and ``entity_quads``.

    Raises:
        MappingError: a field cannot be expressed (e.g. a date-time that is not ISO 8601).
    """
    doc, entities = documents(article, extracted_at=extracted_at)
    # one parse for both named graphs: the parser processes the context once (~0.16 ms a parse)
    both = {"@context": doc["@context"],
            "@graph": [{k: v for k, v in d.items() if k != "@context"} for d in (doc, entities)]}
    quads: list[ox.Quad] = []
    entity_quads: list[ox.Quad] = []
    shared = ox.NamedNode(ENTITIES_GRAPH)
    for q in quads_from_jsonld(both, article_id=article.id):
        (entity_quads if q.graph_name == shared else quads).append(q)
    return ArticleGraph(
        iri=graph_iri(article.id),
        article_id=article.id,
        article_iri=article_iri(article.id),
        quads=quads,
        entity_quads=entity_quads,
    )


#: Part of the vocabulary's digest: a change in how the files become quads gives stores a new
#: version to load, as a change in the files does.
_VOCABULARY_FORMAT = b"newsgraph vocabulary graph; blank nodes skolemised\n"


def vocabulary_quads() -> tuple[list[ox.Quad], str]:
    """The ontology and the SKOS crosswalk as quads of the vocabulary graph, and their digest.

    The store keeps them in their own named graph so researchers can use the crosswalk (and the
    class labels) in queries; the digest (``dct:hasVersion`` of the graph) tells when to reload.

    The files' blank nodes (``owl:unionOf`` lists, anonymous restrictions) come out skolemised:
    ``<id/vocabulary/{digest}/{n}>``, numbered in the order the files mention them, so every load
    of the same files writes the very same quads. Two runs that find the vocabulary missing at
    once through a store server both replace it, each in a transaction that cannot see the
    other's insert: with blank nodes the graph would keep both copies of every list.
    """
    import hashlib

    files = [namespaces.ontology_dir() / "newsgraph.ttl", namespaces.ontology_dir() / "crosswalk.ttl"]
    raws = [path.read_bytes() for path in files]
    hexdigest = hashlib.sha256(b"".join([_VOCABULARY_FORMAT, *raws])).hexdigest()
    graph = ox.NamedNode(VOCABULARY_GRAPH)
    skolem: dict[ox.BlankNode, ox.NamedNode] = {}

    def named(term: Any) -> Any:
        if isinstance(term, ox.BlankNode):
            if term not in skolem:
                skolem[term] = ox.NamedNode(f"{ID}vocabulary/{hexdigest[:16]}/{len(skolem)}")
            return skolem[term]
        return term

    quads: list[ox.Quad] = []
    for path, raw in zip(files, raws):
        try:
            for q in ox.parse(raw, format=ox.RdfFormat.TURTLE, base_iri=NG):
                quads.append(ox.Quad(named(q.subject), q.predicate, named(q.object), graph))
        except SyntaxError as exc:
            raise MappingError(f"{path} is not valid Turtle: {exc}") from exc
    quads.append(ox.Quad(graph, ox.NamedNode("http://purl.org/dc/terms/hasVersion"), ox.Literal(hexdigest), graph))
    return quads, hexdigest
