"""The SHACL validation gate, whose outcome is kept as provenance in the article graph.

Two engines check the same ``ontology/shapes.ttl`` and give the same verdicts (tests/rdf/test_shapes.py
runs every conforming and violating fixture through both); they are registered under versioned names:

    newsgraph.RudofShacl.v1   pyrudof (Rust): ~3 ms an article            the default when installed
    newsgraph.PyShacl.v1      pySHACL over an rdflib copy: ~25 ms          the fallback

``NEWSGRAPH_SHACL_ENGINE`` picks one by name. When rudof cannot read or check a graph (an error,
not a verdict), that graph is checked with pySHACL instead. benchmarks/README.md has the figures.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Protocol

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH

from ..errors import ValidationError
from . import _namespaces as ns

if TYPE_CHECKING:
    from . import ArticleGraph

log = logging.getLogger("newsgraph")

SHAPES_NS = "https://w3id.org/newsgraph/shapes#"
_SH = "http://www.w3.org/ns/shacl#"
_RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass
class ValidationReport:
    """What the SHACL gate said about one article graph."""

    article_id: str
    conforms: bool
    violations: int
    warnings: int
    text: str
    shapes_digest: str
    validated_at: str
    engine: str = ""

    def __bool__(self) -> bool:
        return self.conforms


@dataclass(frozen=True)
class ShaclResult:
    """One validation result, engine-neutral.

    ``shape`` is the node shape the result belongs to: its source shape, or, for a property shape,
    the node shape that holds it (a blank node in shapes.ttl).
    """

    severity: str  # "Violation", "Warning" or "Info"
    shape: str  # node shape IRI (or the engine's label for an unowned blank-node shape)
    focus: str
    path: str | None = None
    message: str | None = None
    component: str | None = None


@dataclass
class ShaclOutcome:
    """All results of one check, with the counts the gate decides on and a readable report."""

    engine: str
    results: list[ShaclResult] = field(default_factory=list)

    @property
    def violations(self) -> int:
        return sum(1 for r in self.results if r.severity == "Violation")

    @property
    def warnings(self) -> int:
        return len(self.results) - self.violations

    @property
    def conforms(self) -> bool:
        return self.violations == 0

    def violated_shapes(self) -> set[str]:
        return {r.shape for r in self.results if r.severity == "Violation"}

    @property
    def text(self) -> str:
        """One line per result (severity, component, node shape, focus node, path, message)."""
        head = f"SHACL ({self.engine}): conforms {self.conforms}; {self.violations} violation(s), " \
               f"{self.warnings} warning(s)"
        return "\n".join([head, *sorted(_line(r) for r in self.results)])


def _short(iri: str) -> str:
    for p, base in (("ngsh", SHAPES_NS), *ns.PREFIXES.items()):
        if iri.startswith(base) and iri[len(base):] and "/" not in iri[len(base):]:
            return f"{p}:{iri[len(base):]}"
    return iri


def _line(r: ShaclResult) -> str:
    # "Constraint Violation" per violation, as in pySHACL's text (newsgraph.runs counts them)
    sev = "Constraint Violation" if r.severity == "Violation" else r.severity
    comp = f" ({_short(r.component)})" if r.component else ""
    return (f"{sev}{comp}: {_short(r.shape)} on <{r.focus}>" + (f" {_short(r.path)}" if r.path else "")
            + (f": {r.message}" if r.message else ""))


# ---- shapes, parsed once per process ------------------------------------------------------
@lru_cache(maxsize=1)
def _shapes_source() -> tuple[bytes, str, list[ox.Triple]]:
    """(shapes.ttl bytes, their sha256, the ontology's rdfs:subClassOf triples).

    The class hierarchy goes into every data graph: sh:class follows rdfs:subClassOf there."""
    raw = (ns.ontology_dir() / "shapes.ttl").read_bytes()
    onto = (ns.ontology_dir() / "newsgraph.ttl").read_bytes()
    hierarchy = [ox.Triple(q.subject, q.predicate, q.object)
                 for q in ox.parse(onto, format=ox.RdfFormat.TURTLE, base_iri=ns.NG)
                 if q.predicate.value == _RDFS_SUBCLASS]
    return raw, hashlib.sha256(raw).hexdigest(), hierarchy


def shapes_digest() -> str:
    """sha256 of ``ontology/shapes.ttl``: recorded with every report."""
    return _shapes_source()[1]


@lru_cache(maxsize=1)
def _shapes() -> tuple[rdflib.Graph, rdflib.Graph, str]:
    """The shapes and the class hierarchy as rdflib graphs (pySHACL's input), and the shapes' digest."""
    raw, digest, hierarchy = _shapes_source()
    shapes = rdflib.Graph().parse(data=raw, format="turtle")
    return shapes, _to_rdflib(hierarchy), digest


# ---- engines ------------------------------------------------------------------------------
class ShaclEngine(Protocol):
    """Checks a data graph (triples; quads are read as triples) against the shapes."""

    name: str

    def __call__(self, triples: Sequence[ox.Triple | ox.Quad]) -> ShaclOutcome: ...


def _to_rdflib(quads: Sequence[ox.Triple | ox.Quad]) -> rdflib.Graph:
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


class PyShaclEngine:
    """pySHACL over an rdflib copy of the graph (no inference, no advanced features, shapes parsed
    once per process)."""

    name = "newsgraph.PyShacl.v1"

    def __call__(self, triples: Sequence[ox.Triple | ox.Quad]) -> ShaclOutcome:
        import pyshacl

        shapes, hierarchy, _ = _shapes()
        data = _to_rdflib(triples)
        data += hierarchy
        _conforms, results, _text = pyshacl.validate(
            data, shacl_graph=shapes, inference="none", allow_warnings=True, inplace=True, advanced=False
        )
        assert isinstance(results, rdflib.Graph)
        out = ShaclOutcome(self.name)
        for r in results.subjects(rdflib.RDF.type, SH.ValidationResult):
            src = results.value(r, SH.sourceShape)
            owner = next(iter(shapes.subjects(SH.property, src)), src)
            path = results.value(r, SH.resultPath)
            msg = results.value(r, SH.resultMessage)
            comp = results.value(r, SH.sourceConstraintComponent)
            out.results.append(ShaclResult(
                severity=str(results.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
                shape=str(owner) if isinstance(owner, rdflib.URIRef) else f"_:{owner}",
                focus=str(results.value(r, SH.focusNode)),
                path=str(path) if isinstance(path, rdflib.URIRef) else None,
                message=str(msg) if msg is not None else None,
                component=str(comp) if comp is not None else None))
        return out


@lru_cache(maxsize=1)
def _rudof_shapes() -> tuple[str, dict[str, str]]:
    """shapes.ttl for rudof as N-Triples, with every property shape (``sh:property [ … ]``) given an
    IRI under its node shape (``ngsh:EvidenceShape/property/4``), so that a result's source shape
    names its node shape. Renaming a blank-node shape changes no verdict."""
    raw = _shapes_source()[0]
    triples = [ox.Triple(q.subject, q.predicate, q.object)
               for q in ox.parse(raw, format=ox.RdfFormat.TURTLE, base_iri=SHAPES_NS)]
    named: dict[str, ox.NamedNode] = {}
    owner: dict[str, str] = {}
    counts: dict[str, int] = {}
    for t in triples:
        if t.predicate.value == _SH + "property" and isinstance(t.subject, ox.NamedNode) \
                and isinstance(t.object, ox.BlankNode):
            k = counts[t.subject.value] = counts.get(t.subject.value, 0) + 1
            iri = f"{t.subject.value}/property/{k}"
            named[t.object.value] = ox.NamedNode(iri)
            owner[iri] = t.subject.value

    def rename(term: Any) -> Any:
        return named.get(term.value, term) if isinstance(term, ox.BlankNode) else term

    out = [ox.Triple(rename(t.subject), t.predicate, rename(t.object)) for t in triples]
    data = ox.serialize(out, format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    return data.decode("utf-8"), owner


class RudofEngine:
    """pyrudof's native SHACL engine. The shapes and the class hierarchy are read once per thread
    (a rudof session is not shared between threads); each graph is staged on top of them, checked
    and rolled back."""

    name = "newsgraph.RudofShacl.v1"

    def __init__(self) -> None:
        self._local = threading.local()

    def _session(self) -> Any:
        rudof = getattr(self._local, "rudof", None)
        if rudof is None:
            import pyrudof

            shapes, _ = _rudof_shapes()
            rudof = pyrudof.Rudof(pyrudof.RudofConfig())
            rudof.read_shacl(shapes, format=pyrudof.ShaclFormat.NTriples)
            hierarchy = ox.serialize(_shapes_source()[2], format=ox.RdfFormat.N_TRIPLES)
            assert hierarchy is not None
            rudof.read_data(hierarchy.decode("utf-8"), format=pyrudof.RDFFormat.NTriples)
            self._local.rudof = rudof
        return rudof

    def __call__(self, triples: Sequence[ox.Triple | ox.Quad]) -> ShaclOutcome:
        import pyrudof

        rudof = self._session()
        _, owner = _rudof_shapes()
        # as N-Triples (the graph names dropped here, not by rudof): reading them costs rudof ~20%
        # less than the same data as N-Quads, more than building a Triple a quad costs
        data = ox.serialize([t.triple if isinstance(t, ox.Quad) else t for t in triples],
                            format=ox.RdfFormat.N_TRIPLES)
        out = ShaclOutcome(self.name)
        rudof.begin_staging()
        try:
            if data:
                # merge=True: a plain read_data() also sets up an HTTP client (~40 ms) each time
                rudof.read_data(data.decode("utf-8"), format=pyrudof.RDFFormat.NTriples, merge=True,
                                reader_mode=pyrudof.ReaderMode.Strict)
            report = rudof.validate_shacl()
            for e in report:
                src = str(e.source_shape)
                msg = e.message
                out.results.append(ShaclResult(
                    severity=str(e.severity), shape=owner.get(src, src), focus=str(e.focus_node),
                    path=str(e.path) if e.path else None,
                    message=msg[1:-1] if msg and msg.startswith('"') and msg.endswith('"') else msg,
                    component=str(e.constraint_component) if e.constraint_component else None))
        except BaseException:
            self._local.rudof = None  # a session that failed mid-check is not reused
            raise
        else:
            rudof.rollback_staging()
        return out


def _rudof_available() -> bool:
    try:
        import pyrudof  # noqa: F401
    except ImportError:
        return False
    return True


#: Registered SHACL engines, by versioned name (STYLE.md §3): change behaviour with a .v2.
ENGINES: dict[str, Callable[[], ShaclEngine]] = {
    RudofEngine.name: RudofEngine,
    PyShaclEngine.name: PyShaclEngine,
}
DEFAULT_ENGINE = RudofEngine.name
FALLBACK_ENGINE = PyShaclEngine.name


@cache
def get_engine(name: str | None = None) -> ShaclEngine:
    """The engine registered as ``name`` (default: ``NEWSGRAPH_SHACL_ENGINE``, else rudof when
    installed, else pySHACL), one instance per process."""
    name = name or os.environ.get("NEWSGRAPH_SHACL_ENGINE") or (
        DEFAULT_ENGINE if _rudof_available() else FALLBACK_ENGINE)
    try:
        return ENGINES[name]()
    except KeyError:
        raise ValueError(f"unknown SHACL engine {name!r}; registered: {', '.join(ENGINES)}") from None


def check(triples: Sequence[ox.Triple | ox.Quad], *, engine: str | None = None) -> ShaclOutcome:
    """Check a data graph against ``ontology/shapes.ttl`` (no gate, no side effects).

    An engine error (not a verdict) on the default engine falls back to pySHACL for this graph."""
    gate = get_engine(engine)
    try:
        return gate(triples)
    except Exception as exc:
        if gate.name == FALLBACK_ENGINE or engine is not None:
            raise
        log.warning("SHACL engine %s failed (%s); checking this graph with %s", gate.name, exc, FALLBACK_ENGINE)
        return get_engine(FALLBACK_ENGINE)(triples)


def run_shacl(quads: Sequence[ox.Triple | ox.Quad], *, engine: str | None = None) -> tuple[int, int, str, ShaclOutcome]:
    """(violations, warnings, report text, outcome) for the quads' triples."""
    out = check(quads, engine=engine)
    return out.violations, out.warnings, out.text, out


def validate(graph: ArticleGraph, *, engine: str | None = None) -> ValidationReport:
    """Validate an article graph (with its entity facts) against ``ontology/shapes.ttl``.

    Warnings (``sh:Warning``, ``sh:Info``) pass the gate; violations do not. On success the outcome
    is recorded in the article graph (``graph.report_quads``) so the store keeps it as provenance.

    Raises:
        ValidationError: with ``article_id`` and the report text, on any violation.
    """
    out = check([*graph.quads, *graph.entity_quads], engine=engine)
    report = ValidationReport(
        article_id=graph.article_id, conforms=out.conforms, violations=out.violations, warnings=out.warnings,
        text=out.text, shapes_digest=shapes_digest(), engine=out.engine,
        validated_at=datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    )
    if out.violations:
        raise ValidationError(
            f"{out.violations} SHACL violation(s) in the article graph {graph.iri}", report=out.text,
            article_id=graph.article_id,
        )
    graph.report = report
    graph.report_quads = _report_quads(graph, report)
    return report


_REPORT_TERMS = frozenset({"conforms", "violation_count", "warning_count", "shapes_digest", "generated_at",
                           "report_text", "validation"})


def _report_quads(graph: ArticleGraph, report: ValidationReport) -> list[ox.Quad]:
    from . import quads_from_jsonld
    from ._mapping import context_for

    node: dict[str, Any] = {
        "id": f"{ns.ID}validation/{graph.article_id}", "type": ["ng:ValidationResult"],
        "conforms": report.conforms, "violation_count": report.violations,
        "warning_count": report.warnings, "shapes_digest": report.shapes_digest,
        "generated_at": report.validated_at,
    }
    if report.warnings:
        node["report_text"] = report.text
    doc = {"@context": context_for(_REPORT_TERMS), "@id": graph.iri,
           "@graph": [node, {"id": graph.iri, "validation": node["id"]}]}
    return quads_from_jsonld(doc, article_id=graph.article_id)
