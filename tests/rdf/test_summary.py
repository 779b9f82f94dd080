"""The summary graph (src/newsgraph/summary.py), kept by ``publish`` on each backend: an embedded
store, and a real ``oxigraph serve`` written by SPARQL Update batches and by Graph Store Protocol.

What is checked, each time against a full rebuild computed from the article graphs
(``summary.check``, row triples compared as sets of RDF terms):
the rows after a first load; after re-loading (identical, and changed) articles, where counts must
not double; after a relink (an entity gains a Wikidata item in a later article), which moves the
keyed rows of articles not in the batch; and that re-loading leaves the quad count unchanged.
"""
from __future__ import annotations

import contextlib
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import ngtest_rdf_articles as arts
import pyoxigraph as ox
import pytest

from newsgraph import NIL, Article, Link, LinkCandidate, Settings, summary
from newsgraph.errors import LoadError
from newsgraph.rdf import ArticleGraph, article_graph
from newsgraph.store import (
    _PENDING,
    _SUMMARY,
    WRITERS_GRAPH,
    EmbeddedStore,
    RemoteStore,
    WriterLock,
    open_store,
)
from newsgraph.summary import SUMMARY_GRAPH, check, stored_rows

T0, T1 = "2026-11-26T23:00:00Z", "2026-11-27T01:00:00Z"
EVENTS_OF_PERSON = (Path(__file__).resolve().parents[2] / "queries" / "events-of-person.rq").read_text(encoding="utf-8")


def graph(article, at: str = T0) -> ArticleGraph:  # type: ignore[no-untyped-def]
    return article_graph(article, extracted_at=at)


def three(at: str = T0) -> list[ArticleGraph]:
    return [graph(a, at) for a in (arts.meeting_article(), arts.attack_article(), arts.agreement_article())]


def assert_consistent(store) -> None:  # type: ignore[no-untyped-def]
    extra, missing = check(store)
    assert (extra, missing) == (set(), set())


def value(store, cls: str, prop: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(store.query(f"SELECT ?v WHERE {{ GRAPH <{SUMMARY_GRAPH}> {{ ?r a ng:{cls} ; ng:{prop} ?v }} }}").values("v"))


class TestSummary:
    """``store``: an empty store of each backend (tests/rdf/conftest.py)."""

    def test_rows_after_a_first_load(self, store) -> None:  # type: ignore[no-untyped-def]
        store.publish(three())
        assert_consistent(store)
        # the attack article: one attack in Syria, 25 killed (its own figures)
        killed = store.query("SELECT ?k WHERE { GRAPH ?g { ?a a ng:Attack ; ng:killed ?k } }").values("k")
        assert value(store, "CountryAttackCount", "killedTotal") == killed
        assert value(store, "MeetingPairCount", "meetingCount") == ["1"]
        members = store.query("SELECT ?m WHERE { ?r a ng:MeetingPairCount ; ng:pairMember ?m }").values("m")
        assert sorted(members) == ["http://www.wikidata.org/entity/Q58132", "http://www.wikidata.org/entity/Q5908639"]
        stamps = store.query(f"SELECT ?t WHERE {{ GRAPH <{SUMMARY_GRAPH}> {{ <{SUMMARY_GRAPH}> a ng:SummaryGraph ; "
                             "prov:generatedAtTime ?t } }").values("t")
        assert len(stamps) == 1

    def test_reloading_does_not_double_counts_or_quads(self, store) -> None:  # type: ignore[no-untyped-def]
        store.publish(three())
        rows, n = stored_rows(store.query), store.count()
        store.publish(three(T1))  # a later run of the same articles
        assert stored_rows(store.query) == rows
        assert store.count() == n
        assert_consistent(store)

    def test_a_changed_article_replaces_its_contribution(self, store) -> None:  # type: ignore[no-untyped-def]
        store.publish(three())
        changed = arts.attack_article()
        changed.events[0].killed = 99
        changed.events[0].date = "2025-07"
        store.publish([graph(changed, T1)])
        assert value(store, "CountryAttackCount", "killedTotal") == ["99"]
        assert value(store, "MonthlyCasualties", "month") == ["2025-07"]  # the old month's row is gone
        assert_consistent(store)
        store.publish([graph(arts.attack_article(), T1)])  # and back
        assert_consistent(store)

    def test_a_first_link_moves_the_keyed_rows_of_other_articles(self, store) -> None:  # type: ignore[no-untyped-def]
        meeting = arts.meeting_article()
        for e in meeting.entities:
            if e.name == "Hossein Amir-Abdollahian":
                e.link = Link(qid=NIL, score=0.0, method="wikidata-search")
        store.publish([graph(meeting)])
        members = store.query("SELECT ?m WHERE { ?r a ng:MeetingPairCount ; ng:pairMember ?m }").values("m")
        assert not any(m.endswith("Q5908639") for m in members)  # unlinked: keyed by its entity IRI
        assert_consistent(store)
        store.publish([graph(arts.visit_article())])  # links him to Q5908639: the meeting's pair moves
        members = store.query("SELECT ?m WHERE { ?r a ng:MeetingPairCount ; ng:pairMember ?m }").values("m")
        assert "http://www.wikidata.org/entity/Q5908639" in members
        assert_consistent(store)

    def test_a_first_link_moves_many_articles_a_few_at_a_time(self, store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        """However many stored articles name the newly linked entity, they are read and counted a
        chunk at a time (memory bounded by the chunk, not by the store), and the rows still equal a
        full rebuild."""
        from newsgraph import summary

        meetings = []
        for i in range(5):
            meeting = arts.meeting_article()
            meeting.id = f"{meeting.id}-{i}"
            for e in meeting.entities:
                if e.name == "Hossein Amir-Abdollahian":
                    e.link = Link(qid=NIL, score=0.0, method="wikidata-search")
            meetings.append(graph(meeting))
        store.publish(meetings)
        read: list[int] = []
        real = summary._graph_quads
        monkeypatch.setattr(summary, "AFFECTED_CHUNK", 2)
        monkeypatch.setattr(summary, "_graph_quads", lambda st, graphs: read.append(len(graphs)) or real(st, graphs))
        store.publish([graph(arts.visit_article())])  # links him: all five meetings' pairs move
        assert sorted(read)[-3:] == [1, 2, 2] and sum(read) == 5 + read[0]  # the batch's own, then 2 + 2 + 1
        members = store.query("SELECT ?m WHERE { ?r a ng:MeetingPairCount ; ng:pairMember ?m }").values("m")
        assert "http://www.wikidata.org/entity/Q5908639" in members
        assert_consistent(store)

    def test_an_unlinked_entity_counts_its_best_candidate(self, store) -> None:  # type: ignore[no-untyped-def]
        """entities-to-relink: a NIL decision with candidates gives a CandidateCount row for its
        rank-0 candidate; a later version of the article that links the entity takes it away - each
        time equal to a rebuild."""
        meeting = arts.meeting_article()
        for e in meeting.entities:
            if e.name == "Hossein Amir-Abdollahian":
                e.link = Link(qid=NIL, score=0.2, method="wikidata-search",
                              candidates=[LinkCandidate("Q5908639", "Hossein Amir-Abdollahian", 0.2),
                                          LinkCandidate("Q1", "someone else", 0.1)])
        store.publish([graph(meeting)])
        before = value(store, "CandidateCount", "topCandidate")
        assert "http://www.wikidata.org/entity/Q5908639" in before
        assert "http://www.wikidata.org/entity/Q1" not in before  # rank 1: not the best
        assert_consistent(store)
        store.publish([graph(arts.meeting_article(), T1)])
        assert "http://www.wikidata.org/entity/Q5908639" not in value(store, "CandidateCount", "topCandidate")
        assert_consistent(store)

    def test_an_event_without_a_date_is_listed_under_undated(self, store) -> None:  # type: ignore[no-untyped-def]
        meeting = arts.meeting_article()
        meeting.events[0].date = None
        store.publish([graph(meeting)])
        months = store.query(f"SELECT ?m WHERE {{ GRAPH <{SUMMARY_GRAPH}> {{ ?e ng:eventMonth ?m }} }}").values("m")
        assert months == ["undated"]
        rows = store.query(EVENTS_OF_PERSON.replace('"2023-02"', '"undated"')).rows()
        assert rows and all(r["type"] == "Meeting" and r["date"] is None for r in rows)
        assert not store.query(EVENTS_OF_PERSON).rows()  # not under a month
        store.publish([graph(arts.meeting_article(), T1)])  # the same article, now dated
        assert store.query(EVENTS_OF_PERSON).rows()
        assert not store.query(EVENTS_OF_PERSON.replace('"2023-02"', '"undated"')).rows()
        assert_consistent(store)

    def test_rebuild_gives_the_same_rows(self, store) -> None:  # type: ignore[no-untyped-def]
        store.publish(three())
        store.publish([graph(arts.visit_article()), graph(arts.border_attack_article())])
        rows = stored_rows(store.query)
        store.rebuild_summary()
        assert stored_rows(store.query) == rows


def test_a_crash_between_write_and_summary_is_mended_on_the_next_write(tmp_path: Path) -> None:
    """New graphs go in with Store.extend and a pending marker each; the summary update removes the
    markers. A crash in between leaves the markers: the next publish applies them first."""
    s = open_store(Settings(data_dir=tmp_path))
    assert isinstance(s, EmbeddedStore)
    gs = three()
    s.publish(gs[:1])
    # what publish writes before the crash: the graphs and their markers, no summary update
    s.pyoxigraph.extend([q for g in gs[1:] for q in (*g.graph_quads(), *g.entity_quads)]
                        + [ox.Quad(_SUMMARY, _PENDING, ox.NamedNode(g.iri), _SUMMARY) for g in gs[1:]])
    s.close()
    s = open_store(Settings(data_dir=tmp_path))
    s.publish([graph(arts.visit_article())])
    assert not s.query(f"ASK {{ GRAPH <{SUMMARY_GRAPH}> {{ ?s ng:pendingGraph ?g }} }}").boolean
    assert_consistent(s)
    s.close()


def test_article_text_reaching_the_summary_is_escaped(tmp_path: Path) -> None:
    """Strings from articles reach the summary's updates only as RDF terms serialised by pyoxigraph."""
    s = open_store(Settings(data_dir=tmp_path))
    meeting = arts.meeting_article()
    meeting.events[0].date = '2023-02"} ; DROP ALL ; INSERT DATA { <x:a> <x:b> "'
    s.publish([graph(meeting)])
    assert s.count() > 0
    assert_consistent(s)
    s.close()


def test_cli_checks_and_rebuilds_the_summary(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from newsgraph.cli import cli

    s = open_store(Settings(data_dir=tmp_path))
    s.publish(three())
    s.update(f"DELETE WHERE {{ GRAPH <{SUMMARY_GRAPH}> {{ ?r a ng:MonthlyEventCount ; ?p ?o }} }}")  # damage it
    s.close()
    r = CliRunner().invoke(cli, ["summary", "--check", "--data-dir", str(tmp_path)])
    assert r.exit_code == 1 and "0 stored but not rebuilt" in r.output, r.output
    r = CliRunner().invoke(cli, ["summary", "--data-dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["summary", "--check", "--data-dir", str(tmp_path)])
    assert r.exit_code == 0 and "0 stored but not rebuilt, 0 rebuilt but not stored" in r.output, r.output


# ---- writers of one store server take turns -------------------------------------------------------
def _second_meeting() -> ArticleGraph:
    """Another article (its own graph) about a meeting of the same pair."""
    a = arts.meeting_article()
    a.headline = "Maduro and Amir-Abdollahian meet again"
    a.id = Article.make_id(a.headline, a.body)
    return graph(a)


def _writers(server: str) -> list[str | None]:
    return RemoteStore(server).query(f"SELECT ?w WHERE {{ GRAPH <{WRITERS_GRAPH}> {{ ?w ?p ?o }} }}").values("w")


@pytest.mark.server
def test_two_writers_at_once_count_a_shared_meeting_twice(empty_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes load two articles about the same pair's meetings into one store server at once.
    Each reads the pair's row, adds its meeting and writes the row back; here both are made to
    have read before either writes (a barrier, given up after 3 s). Taking turns, the second
    reads after the first has written: the pair has met twice, as a rebuild says. Without turns the
    second write would overwrite the first: once (seen in tests/faults, two `newsgraph run`s)."""
    read = summary.batch_update
    both_read = threading.Barrier(2, timeout=3)

    def read_then_wait(*args, **kwargs):  # type: ignore[no-untyped-def]
        update = read(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait()  # the other writer has read too, or is waiting for its turn
        return update

    monkeypatch.setattr(summary, "batch_update", read_then_wait)
    stores = [RemoteStore(empty_server), RemoteStore(empty_server)]
    stores[0].ensure_vocabulary()
    errors: list[BaseException] = []

    def write(store: RemoteStore, g: ArticleGraph) -> None:
        try:
            store.publish([g])
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s, g))
               for s, g in zip(stores, [graph(arts.meeting_article()), _second_meeting()], strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert value(stores[0], "MeetingPairCount", "meetingCount") == ["2"]
    assert_consistent(stores[0])
    assert _writers(empty_server) == [], "a writer left its token behind"


@pytest.mark.server
def test_a_writer_waits_for_a_live_one_and_passes_over_a_dead_one(empty_server: str) -> None:
    """A token renewed within the lease is a writer at work: the next one waits, and says so when it
    gives up, even after the holder has held its turn for longer than one lease. A token older than
    the lease (a writer that died, or whose server restarted under it) is removed, not waited for;
    so is a token this process left behind when a write failed."""
    import newsgraph.store as store_module

    store = RemoteStore(empty_server)
    with WriterLock(store, lease_s=1.0) as holder:
        time.sleep(2.5)  # more than two leases: the holder's renewals keep its turn
        with pytest.raises(LoadError, match="another newsgraph writer still holds its turn"):
            WriterLock(store, lease_s=1.0, wait_s=1.0, max_pause_s=0.1).__enter__()
        assert _writers(empty_server) == [holder.token], "the writer that gave up left its token"
    assert _writers(empty_server) == []

    dead = "urn:uuid:00000000-0000-4000-8000-000000000000"
    leftover = store_module._PROCESS + "0" * 32  # a write of this process failed with its server away
    now = datetime.now(UTC).isoformat()
    store.update(f'INSERT DATA {{ GRAPH <{WRITERS_GRAPH}> {{ <{dead}> ng:writingSince "2026-01-01T00:00:00Z"^^xsd:dateTime . '
                 f'<{leftover}> ng:writingSince "{now}"^^xsd:dateTime }} }}')
    with WriterLock(store, wait_s=5) as lock:
        assert lock.waits == 0
        assert _writers(empty_server) == [lock.token]
    assert _writers(empty_server) == []
