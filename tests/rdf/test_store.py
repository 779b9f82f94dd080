"""One store test suite, run against each backend (pyoxigraph's TestAbstractStore pattern):
an embedded on-disk store, and a real `oxigraph serve` (SPARQL Update batches, and GSP PUTs)."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import ngtest_rdf_articles as arts
import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st
from ngtest_rdf_helpers import assert_isomorphic

from newsgraph import Settings
from newsgraph.errors import LoadError, NewsgraphError, StoreLocked, ValidationError
from newsgraph.rdf import ENTITIES_GRAPH, PREFIXES, VOCABULARY_GRAPH, ArticleGraph, article_graph
from newsgraph.store import (
    _DECLARED,
    QueryResult,
    _vocabulary_update,
    format_result,
    open_store,
    with_prefixes,
)
from newsgraph.summary import SUMMARY_GRAPH

EXTRACTED_AT = "2026-11-26T23:00:00Z"


def graphs(extracted_at: str = EXTRACTED_AT) -> list[ArticleGraph]:
    return [article_graph(a, extracted_at=extracted_at)
            for a in (arts.meeting_article(), arts.attack_article(), arts.agreement_article())]


class TestStore:
    """``store``: an empty store of each backend (tests/rdf/conftest.py)."""

    def test_publish_then_count(self, store) -> None:  # type: ignore[no-untyped-def]
        assert store.count() == 0
        written = store.publish(graphs())
        assert written > 0
        assert store.count() > 0

    def test_reloading_the_same_articles_leaves_the_count_unchanged(self, store) -> None:  # type: ignore[no-untyped-def]
        store.publish(graphs())
        n = store.count()
        store.publish(graphs(extracted_at="2026-11-27T01:00:00Z"))  # a later run of the same articles
        assert store.count() == n
        store.publish(graphs())
        assert store.count() == n

    def test_reloading_replaces_the_article_graph(self, store) -> None:  # type: ignore[no-untyped-def]
        store.publish(graphs())
        changed = arts.attack_article()
        changed.events[0].killed = 25
        changed.events[0].blamed = []
        store.publish([article_graph(changed, extracted_at="2026-11-27T01:00:00Z")])
        rows = store.query("SELECT ?k WHERE { ?a a ng:Attack ; ng:killed ?k }").values("k")
        assert rows == ["25"]
        assert store.query("ASK { ?a ng:blamedOn ?x }").boolean is False
        stamps = store.query("SELECT ?t WHERE { ?g a ng:ArticleGraph ; ng:describes ?a ; prov:generatedAtTime ?t . "
                             "?a schema:headline 'Church bombing in Damascus' }").values("t")
        assert stamps == ["2026-11-27T01:00:00Z"]

    def test_two_runs_that_both_find_the_vocabulary_missing_leave_one_copy(self, store) -> None:  # type: ignore[no-untyped-def]
        """Two runs writing through a store server at once can both find the vocabulary missing and
        both replace it, each in a transaction blind to the other's insert: the second insert must
        then add nothing (no blank nodes, which would make a second copy of every list)."""
        store.ensure_vocabulary()
        n = store.count()
        _, update = _vocabulary_update()
        store.update(update[update.index("INSERT DATA"):])  # the other run's insert, after this run's
        assert store.count() == n
        assert store.query(f"ASK {{ GRAPH <{VOCABULARY_GRAPH}> {{ ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }} }}").boolean is False
        lists = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{VOCABULARY_GRAPH}> {{ ?c owl:unionOf ?l }} }}")
        assert int(lists.values("n")[0] or 0) > 0  # (the ontology's unions are still there, as named nodes)

    def test_one_named_graph_per_article_plus_entities_vocabulary_and_summary(self, store) -> None:  # type: ignore[no-untyped-def]
        gs = graphs()
        store.publish(gs)
        names = set(store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").values("g"))
        assert names == {g.iri for g in gs} | {ENTITIES_GRAPH, VOCABULARY_GRAPH, SUMMARY_GRAPH}

    def test_entity_facts_are_stored_once(self, store) -> None:  # type: ignore[no-untyped-def]
        store.publish(graphs())
        rows = store.query("SELECT ?g WHERE { GRAPH ?g { ?p owl:sameAs wd:Q58132 } }").values("g")
        assert rows == [ENTITIES_GRAPH]  # Maduro is in two articles, his facts once

    def test_query_accepts_undeclared_standard_prefixes_over_all_graphs(self, store) -> None:  # type: ignore[no-untyped-def]
        store.publish(graphs())
        res = store.query("SELECT ?headline WHERE { ?a a schema:NewsArticle ; schema:headline ?headline }")
        assert sorted(res.values("headline")) == ["Church bombing in Damascus", "Maduro receives Iran's foreign minister",
                                                  "Venezuela and Iran sign 20-year pact"]
        # a join across graphs: the event (article graph) and the entity's QID (entities graph)
        assert store.query("ASK { ?m a ng:Meeting ; ng:host/owl:sameAs wd:Q58132 }").boolean is True

    def test_declared_prefixes_are_kept(self, store) -> None:  # type: ignore[no-untyped-def]
        store.publish(graphs())
        res = store.query("PREFIX s: <https://schema.org/> SELECT (COUNT(*) AS ?n) WHERE { ?a s:headline ?h }")
        assert res.values("n") == ["3"]

    def test_construct_result_as_turtle(self, store) -> None:  # type: ignore[no-untyped-def]
        store.publish(graphs())
        res = store.query("CONSTRUCT { ?e owl:sameAs ?q } WHERE { ?e a ng:State ; owl:sameAs ?q }")
        assert res.kind == "graph"
        got = rdflib.Graph().parse(data=format_result(res, "ttl"), format="turtle")
        expected = rdflib.Graph()
        from newsgraph.rdf import entity_iri
        for name, qid in (("Venezuela", "Q717"), ("Iran", "Q794"), ("Syria", "Q858")):
            expected.add((rdflib.URIRef(entity_iri("state", name)), rdflib.OWL.sameAs,
                          rdflib.URIRef(f"http://www.wikidata.org/entity/{qid}")))
        assert_isomorphic(expected, got)

    def test_invalid_sparql_is_a_load_error(self, store) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(LoadError):
            store.query("SELEC ?x WHERE { ?x ?p ?o }")

    def test_the_validation_gate_writes_nothing_on_a_violation(self, store) -> None:  # type: ignore[no-untyped-def]
        bad = arts.attack_article()
        bad.events[0].evidence[0].confidence = 7.0
        with pytest.raises(ValidationError) as err:
            store.publish([*graphs(), article_graph(bad, extracted_at=EXTRACTED_AT)])
        assert err.value.article_id == bad.id
        assert store.count() == 0

    def test_many_articles_in_several_batches(self, store) -> None:  # type: ignore[no-untyped-def]
        many = []
        for i in range(7):
            a = arts.meeting_article()
            a.id = f"copy{i}"
            many.append(article_graph(a, extracted_at=EXTRACTED_AT))
        store.publish(many, batch_size=3)
        n = store.count()
        assert store.query("SELECT (COUNT(*) AS ?n) WHERE { ?a a ng:Article }").values("n") == ["7"]
        store.publish(many, batch_size=2)
        assert store.count() == n


# ---- backend-specific behaviour --------------------------------------------------------------

def test_embedded_store_open_twice_is_store_locked(tmp_path: Path) -> None:
    first = open_store(Settings(data_dir=tmp_path))
    try:
        with pytest.raises(StoreLocked):
            open_store(Settings(data_dir=tmp_path))
    finally:
        first.close()


def test_embedded_store_persists_and_opens_read_only(tmp_path: Path) -> None:
    with open_store(Settings(data_dir=tmp_path)) as s:
        s.publish(graphs())
        n = s.count()
    with open_store(Settings(data_dir=tmp_path), read_only=True) as ro:
        assert ro.count() == n
        with pytest.raises(LoadError):
            ro.publish(graphs())


def test_read_only_without_a_store_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no store"):
        open_store(Settings(data_dir=tmp_path / "nothing"), read_only=True)


def test_unreachable_server_is_a_load_error() -> None:
    from newsgraph.serve import free_port

    s = open_store(Settings(store=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(LoadError):
        s.count()


def test_unknown_store_setting_is_a_load_error() -> None:
    with pytest.raises(LoadError):
        open_store(Settings(store="postgres"))


def test_with_prefixes_adds_only_missing_used_prefixes() -> None:
    q = with_prefixes("PREFIX ng: <urn:x#> SELECT * WHERE { ?a ng:p ?b ; schema:name ?n ; ^rdfs:seeAlso ?z }")
    assert "PREFIX schema: <https://schema.org/>" in q and "PREFIX rdfs:" in q
    assert "PREFIX ng: <https://w3id.org" not in q
    assert "PREFIX owl:" not in q


@given(st.lists(st.sampled_from(["ng", "ngsh", "ngid", "ngg", "sh", "schema", "rdfs", "rdf", "owl", "wd", "x",
                                 ":", ".", "-", " ", "<", ">", "PREFIX ", "a", "?s ", "_", "9"]), max_size=30))
@settings(max_examples=300, deadline=None)
def test_with_prefixes_declares_exactly_the_prefixes_a_search_per_prefix_finds(parts: list[str]) -> None:
    """The one-pass scan finds the same prefixes as a separate search for each (its definition)."""
    text = "".join(parts)
    q = with_prefixes(text)
    expected = {p for p in PREFIXES if re.search(rf"(?<![\w.:-]){re.escape(p)}:", text)}
    added = {line.split()[1][:-1] for line in q[:len(q) - len(text)].splitlines() if line}
    declared = {m.group(1) or "" for m in _DECLARED.finditer(text)}
    assert added == expected - declared


# ---- the CLI formatter -----------------------------------------------------------------------

@pytest.fixture
def result() -> QueryResult:
    return QueryResult.from_json({"head": {"vars": ["who", "n", "q"]}, "results": {"bindings": [
        {"who": {"type": "literal", "value": "Nicolas Maduro"},
         "n": {"type": "literal", "value": "2", "datatype": "http://www.w3.org/2001/XMLSchema#integer"},
         "q": {"type": "uri", "value": "http://www.wikidata.org/entity/Q58132"}},
        {"who": {"type": "literal", "value": 'Say "hi", ok', "xml:lang": "en"}},
    ]}})


def test_format_csv(result: QueryResult) -> None:
    rows = list(csv.reader(io.StringIO(format_result(result, "csv"))))
    assert rows == [["who", "n", "q"], ["Nicolas Maduro", "2", "http://www.wikidata.org/entity/Q58132"],
                    ['Say "hi", ok', "", ""]]


def test_format_json_is_sparql_results_json(result: QueryResult) -> None:
    doc = json.loads(format_result(result, "json"))
    assert doc["head"]["vars"] == ["who", "n", "q"] and len(doc["results"]["bindings"]) == 2


def test_format_tsv_uses_rdf_terms(result: QueryResult) -> None:
    lines = format_result(result, "tsv").splitlines()
    assert lines[0] == "?who\t?n\t?q"
    assert lines[1].split("\t") == ['"Nicolas Maduro"', '"2"^^<http://www.w3.org/2001/XMLSchema#integer>',
                                    "<http://www.wikidata.org/entity/Q58132>"]
    assert lines[2].split("\t")[0] == '"Say \\"hi\\", ok"@en'


def test_format_table_compacts_iris(result: QueryResult) -> None:
    out = format_result(result, "table")
    assert "wd:Q58132" in out and "(2 rows)" in out


def test_format_rejects_ttl_for_select_and_unknown_formats(result: QueryResult) -> None:
    with pytest.raises(NewsgraphError, match="CONSTRUCT"):
        format_result(result, "ttl")
    with pytest.raises(NewsgraphError):
        format_result(result, "xml")


def test_graph_results_as_rows_for_csv() -> None:
    res = QueryResult(kind="graph", ntriples='<http://a> <http://b> "c"@en .\n<http://a> <http://d> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
    rows = list(csv.reader(io.StringIO(format_result(res, "csv"))))
    assert rows[0] == ["subject", "predicate", "object"] and sorted(rows[1:]) == [
        ["http://a", "http://b", "c"], ["http://a", "http://d", "1"]]
    doc = json.loads(format_result(res, "json"))
    assert {b["object"].get("xml:lang") for b in doc["results"]["bindings"]} == {"en", None}


def test_format_boolean() -> None:
    assert format_result(QueryResult(kind="boolean", boolean=True), "table").strip() == "true"
    assert json.loads(format_result(QueryResult(kind="boolean", boolean=False), "json"))["boolean"] is False


def test_quads_are_written_by_pyoxigraph_only(tmp_path: Path) -> None:
    """Date-times keep their 'Z' (rdflib would rewrite it to +00:00): one writer for all terms."""
    with open_store(Settings(data_dir=tmp_path)) as s:
        s.publish(graphs())
        store = s.pyoxigraph
        times = {q.object.value for q in store.quads_for_pattern(None, ox.NamedNode("http://www.w3.org/ns/prov#generatedAtTime"), None)}
        assert EXTRACTED_AT in times


@pytest.mark.parametrize("ingest_max", [None, 1], ids=["ingested", "transaction"])
def test_new_graphs_land_in_every_index_whichever_way_they_are_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ingest_max: int | None) -> None:
    """New article graphs go in as one atomic SST ingestion (batches under BULK_INGEST_MAX) or as a
    transaction: either way every quad is found through each of the store's indexes."""
    import newsgraph.store as store_module

    if ingest_max is not None:
        monkeypatch.setattr(store_module, "BULK_INGEST_MAX", ingest_max)
    gs = graphs()
    with open_store(Settings(data_dir=tmp_path)) as s:
        s.publish(gs)
        raw = s._store  # the pyoxigraph Store underneath
        reference = ox.Store()  # the same quads, in memory (its literals normalised as on disk)
        reference.extend(q for g in gs for q in (*g.graph_quads(), *g.entity_quads))

        def articles_and_entities(quads: object) -> set[ox.Quad]:
            return {q for q in quads if q.graph_name.value not in (VOCABULARY_GRAPH, SUMMARY_GRAPH)}  # type: ignore[attr-defined]

        assert articles_and_entities(raw) == set(reference) and len(reference) > 300
        some = next(q for q in reference if isinstance(q.object, ox.Literal))
        for pattern in ((some.subject, None, None, None), (None, some.predicate, None, None),
                        (None, None, some.object, None), (None, None, None, some.graph_name),
                        (some.subject, None, None, some.graph_name), (None, some.predicate, some.object, None)):
            assert articles_and_entities(raw.quads_for_pattern(*pattern)) == set(reference.quads_for_pattern(*pattern))
