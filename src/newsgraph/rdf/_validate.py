"""The SHACL validation gate (pySHACL), whose outcome is kept as provenance in the article graph."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH

from ..errors import ValidationError
from . import _namespaces as ns

if TYPE_CHECKING:
    from . import ArticleGraph


@dataclass
class ValidationReport:
    """What pySHACL said about one article graph."""

    article_id: str
    conforms: bool
    violations: int
    warnings: int
    text: str
    shapes_digest: str
    validated_at: str

    def __bool__(self) -> bool:
        return self.conforms


@lru_cache(maxsize=1)
def _shapes() -> tuple[rdflib.Graph, rdflib.Graph, str]:
    shapes_path = ns.ontology_dir() / "shapes.ttl"
    onto_path = ns.ontology_dir() / "newsgraph.ttl"
    raw = shapes_path.read_bytes()
    shapes = rdflib.Graph().parse(data=raw, format="turtle")
    onto = rdflib.Graph().parse(onto_path, format="turtle")
    # only the class hierarchy is needed (sh:class follows rdfs:subClassOf in the data graph)
    hierarchy = rdflib.Graph()
    for t in onto.triples((None, rdflib.RDFS.subClassOf, None)):
        hierarchy.add(t)
    return shapes, hierarchy, hashlib.sha256(raw).hexdigest()


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _to_rdflib(quads: list[ox.Quad]) -> rdflib.Graph:
    """The quads' triples as an rdflib Graph, for pySHACL to read (term by term: a third of the
    time an N-Triples round trip takes)."""
    uris: dict[str, rdflib.URIRef] = {}

    def uri(value: str) -> rdflib.URIRef:
        hit = uris.get(value)
        if hit is None:
            hit = uris[value] = rdflib.URIRef(value)
        return hit

    def term(t: object) -> rdflib.term.Node:
        if isinstance(t, ox.NamedNode):
            return uri(t.value)
        if isinstance(t, ox.BlankNode):
            return rdflib.BNode(t.value)
        assert isinstance(t, ox.Literal)
        if t.language:
            return rdflib.Literal(t.value, lang=t.language)
        dt = t.datatype.value
        return rdflib.Literal(t.value) if dt == _XSD_STRING else rdflib.Literal(t.value, datatype=uri(dt))

    g = rdflib.Graph()
    add = g.add
    for q in quads:
        add((term(q.subject), uri(q.predicate.value), term(q.object)))
    return g


def _severity_counts(results: rdflib.Graph) -> tuple[int, int]:
    violations = warnings = 0
    for sev in results.objects(None, SH.resultSeverity):
        if sev == SH.Violation:
            violations += 1
        else:
            warnings += 1
    return violations, warnings


def run_shacl(quads: list[ox.Quad]) -> tuple[int, int, str, rdflib.Graph]:
    """pySHACL over the quads' triples: (violations, warnings, report text, results graph)."""
    import pyshacl

    shapes, hierarchy, _ = _shapes()
    data = _to_rdflib(quads)
    data += hierarchy
    _conforms, results, text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True, inplace=True, advanced=False
    )
    assert isinstance(results, rdflib.Graph)
    violations, warnings = _severity_counts(results)
    summary = _summary(results, shapes)
    return violations, warnings, (summary + "\n\n" + str(text)) if summary else str(text), results


def _summary(results: rdflib.Graph, shapes: rdflib.Graph) -> str:
    """One line per result: severity, node shape, focus node, path, message (the report is long)."""
    lines = []
    for r in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        if results.value(r, SH.sourceShape) is None:
            continue
        src = results.value(r, SH.sourceShape)
        owner = next(iter(shapes.subjects(SH.property, src)), src)
        name = owner.n3(shapes.namespace_manager) if isinstance(owner, rdflib.URIRef) else "shape"
        sev = str(results.value(r, SH.resultSeverity)).rsplit("#", 1)[-1]
        path = results.value(r, SH.resultPath)
        msg = results.value(r, SH.resultMessage)
        lines.append(f"{sev}: {name} on <{results.value(r, SH.focusNode)}>"
                     + (f" {path.n3(shapes.namespace_manager)}" if isinstance(path, rdflib.URIRef) else "")
                     + (f": {msg}" if msg else ""))
    return "\n".join(sorted(lines))


def validate(graph: ArticleGraph) -> ValidationReport:
    """Validate an article graph (with its entity facts) against ``ontology/shapes.ttl``.

    Warnings (``sh:Warning``, ``sh:Info``) pass the gate; violations do not. On success the outcome
    is recorded in the article graph (``graph.report_quads``) so the store keeps it as provenance.

    Raises:
        ValidationError: with ``article_id`` and the pySHACL report text, on any violation.
    """
    violations, warnings, text, _ = run_shacl([*graph.quads, *graph.entity_quads])
    digest = _shapes()[2]
    report = ValidationReport(
        article_id=graph.article_id, conforms=violations == 0, violations=violations, warnings=warnings,
        text=str(text), shapes_digest=digest,
        validated_at=datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    )
    if violations:
        raise ValidationError(
            f"{violations} SHACL violation(s) in the article graph {graph.iri}", report=str(text),
            article_id=graph.article_id,
        )
    graph.report = report
    graph.report_quads = _report_quads(graph, report)
    return report


def _report_quads(graph: ArticleGraph, report: ValidationReport) -> list[ox.Quad]:
    from . import quads_from_jsonld
    from ._mapping import context

    node: dict[str, Any] = {
        "id": f"{ns.ID}validation/{graph.article_id}", "type": ["ng:ValidationResult"],
        "conforms": report.conforms, "violation_count": report.violations,
        "warning_count": report.warnings, "shapes_digest": report.shapes_digest,
        "generated_at": report.validated_at,
    }
    if report.warnings:
        node["report_text"] = report.text
    doc = {"@context": context(), "@id": graph.iri,
           "@graph": [node, {"id": graph.iri, "validation": node["id"]}]}
    return quads_from_jsonld(doc, article_id=graph.article_id)
