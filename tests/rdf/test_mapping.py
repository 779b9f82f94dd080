"""Article records -> RDF through the JSON-LD mapping: expected graphs, IRIs, roles, provenance."""
from __future__ import annotations

from pathlib import Path

import ngtest_rdf_articles as arts
import pyoxigraph as ox
import pytest
from ngtest_rdf_helpers import ask, assert_quads_isomorphic, graphs_by_name, select

from newsgraph import NIL, Article, Entity, Event, Link
from newsgraph.errors import MappingError
from newsgraph.rdf import ENTITIES_GRAPH, article_graph, entity_iri, graph_iri

EXTRACTED_AT = "2026-11-26T23:00:00Z"
CASES = Path(__file__).parent / "cases"
BUILDERS = {"meeting": arts.meeting_article, "attack": arts.attack_article, "agreement": arts.agreement_article}


# ---- one folder per case (morph-kgc's RMLTC layout): expected.nq, compared by isomorphism ----

@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_case_matches_expected_graph(case: str) -> None:
    builder = BUILDERS[case.split("-", 1)[1]]
    g = article_graph(builder(), extracted_at=EXTRACTED_AT)
    expected = list(ox.parse(path=str(CASES / case / "expected.nq"), format=ox.RdfFormat.N_QUADS))
    assert_quads_isomorphic(expected, [*g.quads, *g.entity_quads])


def test_same_article_same_quads_on_every_run(meeting: Article) -> None:
    a = article_graph(meeting, extracted_at=EXTRACTED_AT)
    b = article_graph(arts.meeting_article(), extracted_at=EXTRACTED_AT)
    assert set(a.quads) == set(b.quads) and set(a.entity_quads) == set(b.entity_quads)


def test_one_named_graph_per_article_and_one_entities_graph(three_graphs) -> None:  # type: ignore[no-untyped-def]
    for g in three_graphs:
        assert {q.graph_name.value for q in g.quads} == {g.iri}
        assert {q.graph_name.value for q in g.entity_quads} == {ENTITIES_GRAPH}
        assert g.iri == graph_iri(g.article_id)


def test_the_extractor_is_described_once_in_the_shared_graph(meeting: Article) -> None:
    g = article_graph(meeting, extracted_at=EXTRACTED_AT)
    assert ask(g.entity_quads, 'ASK { ?x a ng:Extractor ; rdfs:label "newsgraph.RuleExtractor.v1 0.1.0" }')
    assert not ask(g.quads, "ASK { ?x a ng:Extractor }")


def test_entity_facts_live_only_in_the_entities_graph(meeting: Article) -> None:
    g = article_graph(meeting, extracted_at=EXTRACTED_AT)
    labels_or_same = {"http://www.w3.org/2002/07/owl#sameAs", "http://www.w3.org/2000/01/rdf-schema#label"}
    ents = {entity_iri(e.kind, e.name) for e in meeting.entities}
    in_article = [q for q in g.quads if q.subject.value in ents and q.predicate.value in labels_or_same]
    assert in_article == []
    assert ask(g.entity_quads, 'ASK { ?p owl:sameAs wd:Q58132 ; a ng:Person, schema:Person ; rdfs:label "Nicolas Maduro" }')


def test_entity_iri_comes_from_kind_and_name_not_from_the_link(meeting: Article) -> None:
    linked = article_graph(meeting, extracted_at=EXTRACTED_AT)
    unlinked = arts.meeting_article()
    for e in unlinked.entities:
        e.link = Link(qid=NIL, score=0.0, method="offline", needs_relink=True)
    relinked = article_graph(unlinked, extracted_at=EXTRACTED_AT)
    subjects = lambda g: {q.subject.value for q in g.entity_quads}
    assert subjects(linked) == subjects(relinked)
    assert entity_iri("person", "Nicolas  Maduro") == entity_iri("person", "nicolas maduro")
    assert entity_iri("person", "Georgia") != entity_iri("state", "Georgia")


def test_link_decision_score_method_candidates(meeting: Article) -> None:
    g = article_graph(meeting, extracted_at=EXTRACTED_AT)
    rows = select(g.quads, """SELECT ?item ?score ?rank WHERE {
        ?d a ng:LinkDecision ; ng:linkOf ?p ; ng:linkTarget wd:Q58132 ; ng:linkScore 0.97e0 ;
           ng:linkMethod "wikidata-search+context" ; ng:needsRelink false ; ng:candidate ?c .
        ?c ng:candidateItem ?item ; ng:linkScore ?score ; ng:rank ?rank } ORDER BY ?rank""")
    assert [r["item"] for r in rows] == ["http://www.wikidata.org/entity/Q58132", "http://www.wikidata.org/entity/Q96207183"]
    assert [float(r["score"]) for r in rows] == [0.97, 0.21]


def test_nil_link_and_needs_relink_are_explicit(meeting: Article) -> None:
    g = article_graph(meeting, extracted_at=EXTRACTED_AT)
    tehran = entity_iri("place", "Tehran")
    assert ask(g.quads, f"ASK {{ ?d ng:linkOf <{tehran}> ; ng:linkTarget ng:NIL ; ng:needsRelink true }}")
    assert not ask(g.entity_quads, f"ASK {{ <{tehran}> owl:sameAs ?x }}")


def test_meeting_roles_host_and_guest(meeting: Article) -> None:
    g = article_graph(meeting, extracted_at=EXTRACTED_AT)
    quads = [*g.quads, *g.entity_quads]
    assert ask(quads, """ASK { ?m a ng:Meeting, ng:Event ; ng:modality ng:Asserted ;
        ng:host/rdfs:label "Nicolas Maduro" ; ng:guest/rdfs:label "Hossein Amir-Abdollahian" ;
        ng:place/rdfs:label "Caracas" ; ng:date "2023-02-03"^^xsd:date }""")
    assert not ask(quads, 'ASK { ?m a ng:Meeting ; ng:guest/rdfs:label "Nicolas Maduro" }')
    # the host and the guest are both participants, so ng:participant alone finds both
    assert len(select(quads, "SELECT ?p WHERE { ?m a ng:Meeting ; ng:participant ?p }")) == 2


def test_non_events_are_reported_statements_never_events(meeting: Article) -> None:
    g = article_graph(meeting, extracted_at=EXTRACTED_AT)
    assert ask(g.quads, """ASK { ?s a ng:ReportedStatement ; ng:modality ng:Planned ; ng:statedEventType ng:Meeting ;
        ng:why "planned for next month, not held" ; ng:evidence/ng:sentence ?t }""")
    assert not ask(g.quads, "ASK { ?s a ng:ReportedStatement, ng:Event }")
    assert len(select(g.quads, "SELECT ?e WHERE { ?e a ng:Event }")) == 1


def test_an_event_with_a_non_asserted_modality_becomes_a_statement(meeting: Article) -> None:
    meeting.events[0].modality = "denied"
    g = article_graph(meeting, extracted_at=EXTRACTED_AT)
    assert not ask(g.quads, "ASK { ?e a ng:Event }")
    assert ask(g.quads, "ASK { ?s a ng:ReportedStatement ; ng:modality ng:Denied }")


def test_attack_perpetrator_claimed_versus_blamed(attack: Article) -> None:
    g = article_graph(attack, extracted_at=EXTRACTED_AT)
    quads = [*g.quads, *g.entity_quads]
    assert ask(quads, """ASK { ?a a ng:Attack ; ng:modality ng:Claimed ; ng:killed 22 ;
        ng:perpetrator/owl:sameAs wd:Q2429253 ; ng:blamedOn/owl:sameAs wd:Q41053 ; ng:targetDescription "church" }""")
    assert not ask(quads, "ASK { ?a ng:perpetrator/owl:sameAs wd:Q41053 }")
    assert not ask(quads, "ASK { ?a ng:injured ?n }")  # unstated stays unstated


def test_agreement_parties_signatories_topics_month_precision(agreement: Article) -> None:
    g = article_graph(agreement, extracted_at=EXTRACTED_AT)
    quads = [*g.quads, *g.entity_quads]
    assert ask(quads, """ASK { ?a a ng:Agreement ; ng:party/owl:sameAs wd:Q717, wd:Q794 ;
        ng:signatory/owl:sameAs wd:Q58132 ; ng:participant/owl:sameAs wd:Q58132 ;
        ng:date "2022-06"^^xsd:gYearMonth ; ng:durationYears 20 }""")
    topics = {r["t"] for r in select(quads, "SELECT ?t WHERE { ?a ng:topic ?t }")}
    assert topics == {"petroleum", "petrochemical", "defense"}


def test_evidence_offsets_point_into_the_article_text(three_graphs) -> None:  # type: ignore[no-untyped-def]
    for g in three_graphs:
        rows = select(g.quads, """SELECT ?text ?sentence ?start ?end ?rule ?conf WHERE {
            ?a ng:text ?text . ?e ng:reportedIn ?a ; ng:evidence ?ev .
            ?ev ng:sentence ?sentence ; ng:start ?start ; ng:end ?end ; ng:rule ?rule ; ng:confidence ?conf }""")
        assert rows
        for r in rows:
            assert r["text"][int(r["start"]):int(r["end"])] == r["sentence"]


def test_provenance_of_the_article_graph(meeting: Article) -> None:
    g = article_graph(meeting, extracted_at=EXTRACTED_AT)
    assert ask([*g.quads, *g.entity_quads], f"""ASK {{ <{g.iri}> a ng:ArticleGraph ; ng:describes <{g.article_iri}> ;
        prov:generatedAtTime "2026-11-26T23:00:00Z"^^xsd:dateTime ; prov:wasDerivedFrom ?page ;
        prov:wasGeneratedBy ?run .
      ?run a ng:Extraction ; prov:used ?page ; prov:endedAtTime "2026-11-26T23:00:00Z"^^xsd:dateTime ;
           prov:wasAssociatedWith/rdfs:label "newsgraph.RuleExtractor.v1 0.1.0" .
      ?page ng:source "https://news.example.org/dev-001" ; ng:sha256 "{"ab" * 32}" ;
            ng:fetchedAt "2023-02-04T08:00:00Z"^^xsd:dateTime ; schema:url <https://news.example.org/dev-001> }}""")


def test_officials_and_mentions(meeting: Article) -> None:
    g = article_graph(meeting, extracted_at=EXTRACTED_AT)
    quads = [*g.quads, *g.entity_quads]
    assert ask(quads, 'ASK { ?p rdfs:label "Hossein Amir-Abdollahian" ; ng:roleTitle "foreign minister" ; ng:officialOf/owl:sameAs wd:Q794 }')
    assert ask(quads, 'ASK { ?m a ng:Mention ; ng:surfaceForm "Maduro" ; ng:section "headline" ; ng:start 0 ; ng:end 6 }')


def test_dangling_names_become_named_entities() -> None:
    a = Article(id="dangling", headline="h", body=["Two leaders met."])
    a.events = [Event(type="meeting", participants=["Someone", "Q42"], date="last spring")]
    g = article_graph(a, extracted_at=EXTRACTED_AT)
    quads = [*g.quads, *g.entity_quads]
    assert ask(quads, 'ASK { ?m ng:participant ?x, ?y . ?x a ng:NamedEntity ; rdfs:label "Someone" . ?y owl:sameAs wd:Q42 }')
    assert ask(quads, 'ASK { ?m ng:dateText "last spring" }')


@pytest.mark.parametrize("field,value", [("fetched_at", "yesterday"), ("published", "the 3rd of May")])
def test_malformed_dates_raise_mapping_error_naming_the_article(meeting: Article, field: str, value: str) -> None:
    setattr(meeting, field, value)
    with pytest.raises(MappingError) as err:
        article_graph(meeting, extracted_at=EXTRACTED_AT)
    assert err.value.article_id == meeting.id


def test_bad_extracted_at_is_a_mapping_error(meeting: Article) -> None:
    with pytest.raises(MappingError):
        article_graph(meeting, extracted_at="now")


def test_jsonld_context_is_the_only_place_properties_are_named() -> None:
    """The record->JSON step names keys, never RDF property IRIs (the mapping stays declarative)."""
    src = (Path(__file__).resolve().parents[2] / "src" / "newsgraph" / "rdf" / "_mapping.py").read_text()
    for iri in ("https://schema.org/", "http://www.w3.org/ns/prov#", "ng:reportedIn", "ng:participant"):
        assert iri not in src


def test_a_cut_down_context_means_what_the_whole_context_means(meeting: Article) -> None:
    """Small documents (the validation record) are parsed with the context cut to their terms (its
    prefixes and aliases kept): the same quads as with the whole context; a term it lacks is an error."""
    from newsgraph.rdf import quads_from_jsonld, validate
    from newsgraph.rdf._mapping import context, context_for
    from newsgraph.rdf._validate import _REPORT_TERMS

    g = article_graph(meeting, extracted_at=EXTRACTED_AT)
    validate(g)
    assert g.report_quads  # the record the gate writes goes through the cut-down context
    body = {"@id": g.iri, "@graph": [{"id": "https://example.org/v", "type": ["ng:ValidationResult"],
                                      "conforms": True, "violation_count": 0, "warning_count": 1,
                                      "shapes_digest": "abc", "generated_at": "2026-11-27T00:00:00Z",
                                      "report_text": "ok"}, {"id": g.iri, "validation": "https://example.org/v"}]}
    whole = quads_from_jsonld({"@context": context(), **body})
    cut = quads_from_jsonld({"@context": context_for(_REPORT_TERMS), **body})
    assert len(whole) == 8  # seven statements about the record, one linking the graph to it
    assert_quads_isomorphic(whole, cut)
    with pytest.raises(MappingError, match="no_such_term"):
        context_for(frozenset({"conforms", "no_such_term"}))


def test_text_with_unicode_and_quotes_round_trips() -> None:
    body = ['Erdoğan said: "We met in Ankara" \\ ok']
    a = Article(id="u", headline="Türkiye’s “talks”", body=body, entities=[
        Entity(kind="person", name="Recep Tayyip Erdoğan", link=Link("Q39723", 0.9, "x"))])
    g = article_graph(a, extracted_at=EXTRACTED_AT)
    graphs = graphs_by_name(g.quads)
    texts = [str(o) for o in graphs[g.iri].objects(None, None) if "Erdoğan said" in str(o)]
    assert texts and texts[0].endswith('"We met in Ankara" \\ ok')


def test_invisible_characters_do_not_split_an_entity() -> None:
    a = Article(id="zw", headline="h", body=["ISIS claimed it."], entities=[
        Entity(kind="organization", name="ISIS"), Entity(kind="organization", name="I\u200bSIS\u00a0")])
    g = article_graph(a, extracted_at=EXTRACTED_AT)
    rows = select(g.entity_quads, "SELECT ?e ?l WHERE { ?e a ng:Organization ; rdfs:label ?l }")
    assert rows == [{"e": entity_iri("organization", "ISIS"), "l": "ISIS"}]
