"""SHACL shapes: every shape has a conforming and a violating fixture (pySHACL test_extra pairs).

The fixtures are the hand-made articles' graphs, and the same graphs changed by one SPARQL Update
that breaks exactly the constraint under test. A violation is pinned to the node shape it comes
from (sh:sourceShape, or the node shape holding that property shape). Every fixture runs through
each registered engine (rudof, pySHACL), which must agree result for result.
"""
from __future__ import annotations

import importlib.util

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import OWL, RDF, SH

from newsgraph import Article, Event
from newsgraph.errors import ValidationError
from newsgraph.rdf import ArticleGraph, article_graph, validate
from newsgraph.rdf._namespaces import ontology_dir
from newsgraph.rdf._validate import ENGINES, PyShaclEngine, RudofEngine, ShaclOutcome, _shapes, run_shacl
from newsgraph.store import EmbeddedStore, with_prefixes
from newsgraph.summary import SUMMARY_GRAPH

NGSH = rdflib.Namespace("https://w3id.org/newsgraph/shapes#")
NG = rdflib.Namespace("https://w3id.org/newsgraph/ontology#")
EXTRACTED_AT = "2026-11-26T23:00:00Z"

# shape -> (class it targets, update that makes the base data violate it, update making a conforming fixture)
CASES: dict[str, tuple[str, str, str | None]] = {
    "ArticleShape": ("ng:Article", "DELETE { ?a schema:headline ?h } WHERE { ?a a ng:Article ; schema:headline ?h }", None),
    "PageShape": ("ng:Page", 'INSERT { ?p ng:sha256 "not-a-hash" } WHERE { ?p a ng:Page }', None),
    "CaptionShape": ("ng:Caption", "DELETE { ?c schema:text ?t } WHERE { ?c a ng:Caption ; schema:text ?t }", None),
    "ArticleGraphShape": ("ng:ArticleGraph",
                          "DELETE { ?g prov:generatedAtTime ?t } WHERE { ?g a ng:ArticleGraph ; prov:generatedAtTime ?t }", None),
    "ExtractionShape": ("ng:Extraction", "DELETE { ?x prov:used ?p } WHERE { ?x a ng:Extraction ; prov:used ?p }", None),
    "ExtractorShape": ("ng:Extractor", "DELETE { ?x rdfs:label ?l } WHERE { ?x a ng:Extractor ; rdfs:label ?l }", None),
    "ValidationResultShape": ("ng:ValidationResult",
                              ("DELETE { ?v ng:violationCount ?n } INSERT { ?v ng:violationCount -1 } "
                               "WHERE { ?v a ng:ValidationResult ; ng:violationCount ?n }"), None),
    "NamedEntityShape": ("ng:Person", "INSERT { ?e owl:sameAs <https://example.org/not-wikidata> } WHERE { ?e a ng:Person }", None),
    "PersonShape": ("ng:Person", "INSERT { ?p a ng:State } WHERE { ?p a ng:Person }", None),
    "StateShape": ("ng:State", "DELETE { ?s rdfs:label ?l } WHERE { ?s a ng:State ; rdfs:label ?l }", None),
    "PlaceShape": ("ng:Place", "DELETE { ?s rdfs:label ?l } WHERE { ?s a ng:Place ; rdfs:label ?l }", None),
    "OrganizationShape": ("ng:Organization", "DELETE { ?s rdfs:label ?l } WHERE { ?s a ng:Organization ; rdfs:label ?l }", None),
    "MentionShape": ("ng:Mention", "DELETE { ?m ng:start ?s } INSERT { ?m ng:start 9999 } WHERE { ?m a ng:Mention ; ng:start ?s }", None),
    "LinkDecisionShape": ("ng:LinkDecision", ("DELETE { ?d ng:linkTarget ?t } INSERT { ?d ng:linkTarget <https://example.org/x> } "
                          "WHERE { ?d a ng:LinkDecision ; ng:linkTarget ?t }"), None),
    "LinkCandidateShape": ("ng:LinkCandidate", "DELETE { ?c ng:rank ?r } WHERE { ?c a ng:LinkCandidate ; ng:rank ?r }", None),
    "EventShape": ("ng:Event", "DELETE { ?e ng:modality ?m } INSERT { ?e ng:modality ng:Planned } WHERE { ?e a ng:Event ; ng:modality ?m }", None),
    "MeetingShape": ("ng:Meeting", "INSERT { ?m ng:perpetrator ?p } WHERE { ?m a ng:Meeting ; ng:participant ?p }", None),
    "AttackShape": ("ng:Attack", "INSERT { ?a ng:host ?p } WHERE { ?a a ng:Attack ; ng:perpetrator ?p }", None),
    "ReportedOfficialShape": ("ng:Person", 'INSERT { ?p ng:reportedOfficialOf "Venezuela" } WHERE { ?p a ng:Person }', None),
    "AttackCountryShape": ("ng:Attack", "INSERT { ?a ng:country ?p } WHERE { ?a a ng:Attack ; ng:perpetrator ?p }", None),
    "AgreementShape": ("ng:Agreement", "INSERT { ?a ng:perpetrator ?p } WHERE { ?a a ng:Agreement ; ng:party ?p }", None),
    "ReportedStatementShape": ("ng:ReportedStatement",
                               "DELETE { ?s ng:statedEventType ?t } WHERE { ?s a ng:ReportedStatement ; ng:statedEventType ?t }", None),
    "EvidenceShape": ("ng:Evidence", ("DELETE { ?e ng:confidence ?c } INSERT { ?e ng:confidence 1.5e0 } "
                      "WHERE { ?e a ng:Evidence ; ng:confidence ?c }"), None),
    "ModalityShape": ("ng:Modality", "INSERT DATA { ng:Asserted a ng:Modality }",
                      'INSERT DATA { ng:Asserted a ng:Modality ; skos:prefLabel "asserted"@en }'),
    # the summary graph's rows (base_triples holds the summary of the three articles)
    "SummaryGraphShape": ("ng:SummaryGraph",
                          "DELETE { ?g prov:generatedAtTime ?t } WHERE { ?g a ng:SummaryGraph ; prov:generatedAtTime ?t }", None),
    "MeetingPairCountShape": ("ng:MeetingPairCount", ("DELETE { ?r ng:meetingCount ?n } INSERT { ?r ng:meetingCount 0 } "
                              "WHERE { ?r a ng:MeetingPairCount ; ng:meetingCount ?n }"), None),
    "CountryAttackCountShape": ("ng:CountryAttackCount",
                                "INSERT { ?r ng:attackCountry ?a } WHERE { ?r a ng:CountryAttackCount . ?a a ng:Attack }", None),
    "CountryAttributionCountShape": ("ng:CountryAttributionCount", (
        "DELETE { ?r ng:attribution ?h } INSERT { ?r ng:attribution ng:host } "
        "WHERE { ?r a ng:CountryAttributionCount ; ng:attribution ?h }"), None),
    "AttributionCountShape": ("ng:AttributionCount", (
        'DELETE { ?r ng:attributedTo ?a } INSERT { ?r ng:attributedTo "ISIS" } '
        "WHERE { ?r a ng:AttributionCount ; ng:attributedTo ?a }"), None),
    "MonthlyCasualtiesShape": ("ng:MonthlyCasualties", ('DELETE { ?r ng:month ?m } INSERT { ?r ng:month "June 2025" } '
                               "WHERE { ?r a ng:MonthlyCasualties ; ng:month ?m }"), None),
    "MonthlyEventCountShape": ("ng:MonthlyEventCount",
                               "INSERT { ?r ng:eventClass ng:Person } WHERE { ?r a ng:MonthlyEventCount }", None),
    "UnlinkedEntityCountShape": ("ng:UnlinkedEntityCount",
                                 "DELETE { ?r ng:relinkCount ?n } WHERE { ?r a ng:UnlinkedEntityCount ; ng:relinkCount ?n }", None),
    "CandidateCountShape": ("ng:CandidateCount", (
        "INSERT { <https://w3id.org/newsgraph/id/summary/x> a ng:CandidateCount ; ng:unlinkedEntity ?e ; ng:decisionCount 1 } "
        "WHERE { ?r a ng:UnlinkedEntityCount ; ng:unlinkedEntity ?e }"), (
        "INSERT { <https://w3id.org/newsgraph/id/summary/x> a ng:CandidateCount ; ng:unlinkedEntity ?e ; ng:decisionCount 1 ; ng:topCandidate wd:Q1 } "
        "WHERE { ?r a ng:UnlinkedEntityCount ; ng:unlinkedEntity ?e }")),
}


@pytest.fixture(scope="module")
def base_triples() -> list[ox.Quad]:
    from ngtest_rdf_articles import agreement_article, attack_article, meeting_article

    quads: list[ox.Quad] = []
    graphs = []
    for build in (meeting_article, attack_article, agreement_article):
        g = article_graph(build(), extracted_at=EXTRACTED_AT)
        validate(g)  # adds the ng:ValidationResult
        quads += [*g.graph_quads(), *g.entity_quads]
        graphs.append(g)
    store = EmbeddedStore(None)  # their summary graph, as publish writes it
    store.publish(graphs)
    quads += store.pyoxigraph.quads_for_pattern(None, None, None, ox.NamedNode(SUMMARY_GRAPH))
    return [ox.Quad(q.subject, q.predicate, q.object) for q in quads]  # SHACL sees triples


def _apply(base: list[ox.Quad], update: str | None) -> list[ox.Quad]:
    store = ox.Store()
    store.extend(base)
    if update:
        store.update(with_prefixes(update))
    return list(store)


def _violated_shapes(outcome: ShaclOutcome) -> set[str]:
    return {s.replace(str(NGSH), "") for s in outcome.violated_shapes()}


def _shapes_graph() -> rdflib.Graph:
    return _shapes()[0]


ENGINE_NAMES = [pytest.param(RudofEngine.name, id="rudof",
                             marks=pytest.mark.skipif(importlib.util.find_spec("pyrudof") is None,
                                                      reason="pyrudof not installed")),
                pytest.param(PyShaclEngine.name, id="pyshacl")]


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("shape", sorted(CASES))
def test_conforming_fixture(shape: str, engine: str, base_triples: list[ox.Quad]) -> None:
    cls, _bad, good = CASES[shape]
    quads = _apply(base_triples, good)
    store = ox.Store()
    store.extend(quads)
    assert bool(store.query(with_prefixes(f"ASK {{ ?x a {cls} }}"))), f"fixture has no {cls} to test {shape} on"
    violations, _w, text, outcome = run_shacl(quads, engine=engine)
    assert shape not in _violated_shapes(outcome), text
    assert violations == 0, text


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("shape", sorted(CASES))
def test_violating_fixture(shape: str, engine: str, base_triples: list[ox.Quad]) -> None:
    _cls, bad, _good = CASES[shape]
    quads = _apply(base_triples, bad)
    violations, _w, text, outcome = run_shacl(quads, engine=engine)
    assert violations > 0
    assert shape in _violated_shapes(outcome), text


@pytest.mark.skipif(importlib.util.find_spec("pyrudof") is None, reason="pyrudof not installed")
@pytest.mark.parametrize("shape", sorted(CASES))
def test_engines_agree(shape: str, base_triples: list[ox.Quad]) -> None:
    """Same results (severity, node shape, focus node, path) from both engines, on both fixtures."""
    _cls, bad, good = CASES[shape]
    for update in (bad, good):
        quads = _apply(base_triples, update)
        got = {name: sorted((r.severity, r.shape, r.focus, r.path or "") for r in run_shacl(quads, engine=name)[3].results)
               for name in ENGINES}
        assert got[RudofEngine.name] == got[PyShaclEngine.name]


@pytest.mark.skipif(importlib.util.find_spec("pyrudof") is None, reason="pyrudof not installed")
def test_rudof_reads_named_graph_quads_as_one_data_graph_and_is_thread_safe(base_triples: list[ox.Quad]) -> None:
    """Article graphs arrive as quads in two named graphs (article, entities); rudof checks them as one
    data graph, like pySHACL. Prefect runs map tasks in threads: each thread has its own session."""
    from concurrent.futures import ThreadPoolExecutor

    from ngtest_rdf_articles import agreement_article, attack_article, meeting_article

    graphs = [article_graph(build(), extracted_at=EXTRACTED_AT) for build in (meeting_article, attack_article,
                                                                                agreement_article)]
    quads = [q for g in graphs for q in (*g.quads, *g.entity_quads)]
    want = sorted((r.severity, r.shape, r.focus) for r in run_shacl(quads, engine=PyShaclEngine.name)[3].results)
    bad = _apply(base_triples, CASES["EvidenceShape"][1])
    want_bad = run_shacl(bad, engine=PyShaclEngine.name)[0]

    def both(_: int) -> tuple[list[tuple[str, str, str]], int]:
        got = run_shacl(quads, engine=RudofEngine.name)[3].results
        return sorted((r.severity, r.shape, r.focus) for r in got), run_shacl(bad, engine=RudofEngine.name)[0]

    with ThreadPoolExecutor(4) as pool:
        for got, got_bad in pool.map(both, range(16)):
            assert got == want
            assert got_bad == want_bad > 0


def test_every_class_of_the_ontology_has_a_shape() -> None:
    onto = rdflib.Graph().parse(ontology_dir() / "newsgraph.ttl")
    classes = {c for c in onto.subjects(RDF.type, OWL.Class) if isinstance(c, rdflib.URIRef) and c.startswith(str(NG))}
    targeted = set(_shapes_graph().objects(None, SH.targetClass))
    assert classes - targeted == set()
    assert set(CASES) == {str(s).replace(str(NGSH), "") for s in _shapes_graph().subjects(SH.targetClass, None)}


def test_shapes_file_is_valid_shacl() -> None:
    import pyshacl

    conforms, _g, text = pyshacl.validate(rdflib.Graph(), shacl_graph=_shapes_graph(), meta_shacl=True)
    assert conforms, text


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_validation_error_names_the_article_and_keeps_the_report(meeting: Article, engine: str) -> None:
    meeting.events[0].evidence[0].confidence = 3.0
    g = article_graph(meeting, extracted_at=EXTRACTED_AT)
    with pytest.raises(ValidationError) as err:
        validate(g, engine=engine)
    assert err.value.article_id == meeting.id
    assert meeting.id in str(err.value)
    assert "EvidenceShape" in err.value.report and "evidence/0" in err.value.report
    assert g.report is None and g.report_quads == []


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_warnings_pass_the_gate_and_are_kept_as_provenance(meeting: Article, engine: str) -> None:
    meeting.events.append(Event(type="meeting", participants=["Nicolas Maduro"], date="2023-02-03"))  # 1 party, no evidence
    g = article_graph(meeting, extracted_at=EXTRACTED_AT)
    report = validate(g, engine=engine)
    assert report.engine == engine
    assert report.conforms and report.violations == 0 and report.warnings >= 2
    store = ox.Store()
    store.extend(g.graph_quads())
    assert bool(store.query(with_prefixes(
        f"ASK {{ GRAPH <{g.iri}> {{ <{g.iri}> ng:validation ?v . ?v sh:conforms true ; ng:warningCount ?w ; "
        "ng:reportText ?t ; ng:shapesDigest ?d . FILTER(?w >= 2) } }")))


def test_validating_twice_does_not_duplicate_the_report(meeting: Article) -> None:
    g: ArticleGraph = article_graph(meeting, extracted_at=EXTRACTED_AT)
    validate(g)
    n = len(g.report_quads)
    validate(g)
    assert len(g.report_quads) == n
