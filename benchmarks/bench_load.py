"""Benchmark the knowledge-graph store: write rates and cookbook query latency.

    python benchmarks/bench_load.py [--articles N] [--query-articles M] [--batch B] [--repeat R]

1. Loading (N synthetic articles, default 1,000). In one run, on disk, interleaved over R rounds:
   - atomic batch writes: ``EmbeddedStore.publish`` into an empty store (one transaction per
     batch of B articles; new graphs go in with ``Store.extend``);
   - re-publishing the same articles (the replace path: ``DROP GRAPH`` + ``INSERT DATA`` per batch);
   - pyoxigraph's own on-disk ``Store.bulk_load`` of the very same quads (N-Quads, not atomic).
   Target (issue 5): atomic batch writes reach >= 1/3 of the bulk_load rate.
   Mapping (``article_graph``) and SHACL (``validate``, on a sample) are timed apart.
2. Queries: every ``queries/*.rq`` on a store of M synthetic articles (default 5,000; the issue's
   figure is 100,000: ``--query-articles 100000``, which takes a while to generate on 2 cores).
   Median of R runs after one warm-up. Target: each under 200 ms.

Synthetic articles draw people, states, places and organizations from fixed pools (with the QIDs
the cookbook's default parameters use: Venezuela Q717, Iran Q794, Nicolás Maduro Q58132), 1-3
events each (meeting, attack or agreement) and an occasional planned meeting.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from newsgraph import NIL, Article, Entity, Event, Evidence, Link, LinkCandidate, Mention
from newsgraph.rdf import ArticleGraph, article_graph, validate
from newsgraph.store import EmbeddedStore

REPO = Path(__file__).resolve().parents[1]
EXTRACTED_AT = "2026-11-26T23:00:00Z"

STATES = [("Venezuela", "Q717"), ("Iran", "Q794"), ("Syria", "Q858"), ("Türkiye", "Q43"), ("Russia", "Q159"),
          ("China", "Q148"), ("Iraq", "Q796"), ("Israel", "Q801"), ("Egypt", "Q79"), ("Qatar", "Q846")] + \
         [(f"State {i}", f"Q{900000 + i}") for i in range(40)]
PEOPLE = [("Nicolas Maduro", "Q58132", 0), ("Hossein Amir-Abdollahian", "Q5908639", 1), ("Ebrahim Raisi", "Q5608364", 1)] + \
         [(f"Person {i}", f"Q{800000 + i}" if i % 7 else NIL, i % len(STATES)) for i in range(600)]
PLACES = [("Caracas", "Q1533"), ("Tehran", "Q3616"), ("Damascus", "Q3766")] + [(f"City {i}", f"Q{700000 + i}") for i in range(300)]
ORGS = [("Islamic State", "Q2429253"), ("Hezbollah", "Q41053")] + [(f"Group {i}", f"Q{600000 + i}") for i in range(100)]
TOPICS = ["petroleum", "defense", "trade", "energy", "health", "education", "transport", "agriculture"]


def synthetic_article(i: int, rng: random.Random) -> Article:
    people = rng.sample(PEOPLE, 3)
    states = rng.sample(STATES, 2)
    place = rng.choice(PLACES)
    org = rng.choice(ORGS)
    sents = [f"{people[0][0]} met {people[1][0]} in {place[0]} on Monday.",
             f"{states[0][0]} and {states[1][0]} signed an agreement on {rng.choice(TOPICS)}.",
             f"An attack claimed by {org[0]} killed {rng.randint(0, 40)} people in {place[0]}."]
    headline = f"Synthetic report {i}: {people[0][0]} and {people[1][0]}"
    a = Article(id=f"synth{i:07d}", headline=headline, body=sents, published=f"20{rng.randint(18, 25)}-{rng.randint(1, 12):02d}-15",
                page_name=f"synth-{i}.txt", page_sha256=f"{i:064x}", source=f"https://synthetic.example/{i}",
                fetched_at="2026-11-26T22:00:00Z", extractor="bench-synth 1")
    t = a.text

    def mention(name: str) -> list[Mention]:
        at = t.find(name)
        return [Mention(text=name, start=at, end=at + len(name))] if at >= 0 else []

    def link(qid: str) -> Link:
        return Link(qid=qid, score=0.9 if qid != NIL else 0.0, method="synthetic",
                    candidates=[LinkCandidate(qid, "x", 0.9)] if qid != NIL else [], needs_relink=qid == NIL and i % 2 == 0)

    for name, qid, st in people:
        a.entities.append(Entity(kind="person", name=name, mentions=mention(name), roles=["minister"],
                                 role_of=STATES[st][0], link=link(qid)))
    for name, qid in states:
        a.entities.append(Entity(kind="state", name=name, mentions=mention(name), link=link(qid)))
    a.entities.append(Entity(kind="place", name=place[0], mentions=mention(place[0]), link=link(place[1])))
    a.entities.append(Entity(kind="organization", name=org[0], mentions=mention(org[0]), link=link(org[1])))
    date = f"20{rng.randint(18, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"

    def ev(k: int) -> list[Evidence]:
        start = t.find(sents[k])
        return [Evidence(sentence=sents[k], start=start, end=start + len(sents[k]), rule="synthetic", confidence=0.8)]

    kinds = rng.sample(["meeting", "agreement", "attack"], rng.randint(1, 3))
    for kind in kinds:
        if kind == "meeting":
            a.events.append(Event(type="meeting", participants=[people[0][0], people[1][0]], host=people[0][0],
                                  place=place[0], date=date, evidence=ev(0)))
        elif kind == "agreement":
            a.events.append(Event(type="agreement", participants=[states[0][0], states[1][0]], signatories=[people[2][0]],
                                  date=date[:7], topics=rng.sample(TOPICS, 2), duration_years=rng.choice([None, 5, 20]),
                                  evidence=ev(1)))
        else:
            a.events.append(Event(type="attack", place=place[0], date=date, killed=rng.randint(0, 40),
                                  perpetrators=[org[0]], modality="claimed", evidence=ev(2)))
    if i % 5 == 0:
        a.non_events.append(Event(type="meeting", participants=[people[0][0], people[2][0]], modality="planned",
                                  why="planned", evidence=ev(0)))
    return a


def make_graphs(n: int, seed: int = 5) -> tuple[list[ArticleGraph], float]:
    rng = random.Random(seed)
    t = time.perf_counter()
    graphs = [article_graph(synthetic_article(i, rng), extracted_at=EXTRACTED_AT) for i in range(n)]
    return graphs, time.perf_counter() - t


def _publish_rate(graphs: list[ArticleGraph], batch: int, path: Path) -> tuple[float, float, int]:
    """(first-load articles/s, re-publish articles/s, quad count) for atomic batch writes."""
    store = EmbeddedStore(path)
    t = time.perf_counter()
    store.publish(graphs, batch_size=batch, validate=False)
    first = len(graphs) / (time.perf_counter() - t)
    count = store.count()
    t = time.perf_counter()
    store.publish(graphs, batch_size=batch, validate=False)
    again = len(graphs) / (time.perf_counter() - t)
    assert store.count() == count, "re-publishing changed the quad count"
    store.close()
    return first, again, count


def _bulk_rate(n: int, nq: Path, path: Path) -> float:
    bulk = ox.Store(str(path))
    t = time.perf_counter()
    bulk.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    rate = n / (time.perf_counter() - t)
    del bulk
    return rate


def bench_load(graphs: list[ArticleGraph], batch: int, work: Path, rounds: int) -> dict[str, float]:
    """Interleave the two ways of writing, ``rounds`` times, and keep the medians: the machine is
    shared, and a load spike during one method would otherwise decide the ratio."""
    quads = [q for g in graphs for q in (*g.graph_quads(), *g.entity_quads)]
    n = len(graphs)
    nq = work / "all.nq"
    nq.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"")
    firsts, agains, bulks = [], [], []
    count = 0
    for r in range(rounds):
        first, again, count = _publish_rate(graphs, batch, work / f"batched{r}")
        firsts.append(first)
        agains.append(again)
        bulks.append(_bulk_rate(n, nq, work / f"bulk{r}"))
        shutil.rmtree(work / f"batched{r}", ignore_errors=True)
        shutil.rmtree(work / f"bulk{r}", ignore_errors=True)
    out: dict[str, float] = {"articles": n, "quads": len(quads), "store_quads": count, "rounds": rounds}
    out["batch_articles_per_s"] = statistics.median(firsts)
    out["replace_articles_per_s"] = statistics.median(agains)
    out["bulk_load_articles_per_s"] = statistics.median(bulks)
    out["batch_quads_per_s"] = out["batch_articles_per_s"] * len(quads) / n
    out["bulk_load_quads_per_s"] = out["bulk_load_articles_per_s"] * len(quads) / n
    out["batch_vs_bulk_load"] = statistics.median(f / b for f, b in zip(firsts, bulks))
    out["replace_vs_bulk_load"] = statistics.median(a / b for a, b in zip(agains, bulks))
    return out


def bench_queries(graphs: list[ArticleGraph], work: Path, repeat: int) -> dict[str, float]:
    store = EmbeddedStore(work / "queries")
    store.ensure_vocabulary()
    store.bulk_load(graphs)
    times: dict[str, float] = {}
    for path in sorted((REPO / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        store.query(text)  # warm-up
        runs = []
        for _ in range(repeat):
            t = time.perf_counter()
            res = store.query(text)
            runs.append((time.perf_counter() - t) * 1000)
        times[path.name] = statistics.median(runs)
        times[path.name + " rows"] = len(res)
    store.close()
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=1000, help="articles for the load benchmark (default 1000)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each write method (median)")
    ap.add_argument("--query-articles", type=int, default=5000, help="articles in the query store (issue: 100000)")
    ap.add_argument("--batch", type=int, default=100, help="articles per transaction (default 100)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per query (median reported)")
    ap.add_argument("--shacl-sample", type=int, default=50, help="articles to validate for the SHACL rate")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="ng-bench-load-"))
    results: dict[str, object] = {}
    try:
        graphs, dt = make_graphs(args.articles)
        results["mapping_articles_per_s"] = args.articles / dt
        sample = graphs[: args.shacl_sample]
        t = time.perf_counter()
        for g in sample:
            validate(g)
        results["shacl_articles_per_s"] = len(sample) / (time.perf_counter() - t)
        load = bench_load(graphs, args.batch, work, args.rounds)
        results["load"] = load
        print(f"mapping (article_graph): {results['mapping_articles_per_s']:.0f} articles/s; "
              f"SHACL gate: {results['shacl_articles_per_s']:.0f} articles/s")
        print(f"load {load['articles']:.0f} articles / {load['quads']:.0f} quads on disk "
              f"(median of {args.rounds} interleaved rounds):")
        print(f"  atomic batch writes (publish, batch {args.batch}): {load['batch_articles_per_s']:.0f} articles/s "
              f"({load['batch_quads_per_s']:.0f} quads/s)")
        print(f"  re-publish (replace graphs):              {load['replace_articles_per_s']:.0f} articles/s")
        print(f"  pyoxigraph bulk_load (same quads):        {load['bulk_load_articles_per_s']:.0f} articles/s "
              f"({load['bulk_load_quads_per_s']:.0f} quads/s)")
        ok = load["batch_vs_bulk_load"] >= 1 / 3
        print(f"  batch / bulk_load = {load['batch_vs_bulk_load']:.2f} (target >= 0.33: {'OK' if ok else 'MISSED'}); "
              f"replace / bulk_load = {load['replace_vs_bulk_load']:.2f}")
        del graphs

        qgraphs, dt = make_graphs(args.query_articles, seed=11)
        print(f"query store: {args.query_articles} synthetic articles (mapped in {dt:.0f} s)")
        times = bench_queries(qgraphs, work, args.repeat)
        results["queries_ms"] = times
        slow = 0
        for name in sorted(k for k in times if not k.endswith(" rows")):
            flag = "OK" if times[name] < 200 else "SLOW"
            slow += flag == "SLOW"
            print(f"  {name:32s} {times[name]:8.1f} ms  ({times[name + ' rows']:.0f} rows)  {flag}")
        print(f"queries under 200 ms: {len([k for k in times if not k.endswith(' rows')]) - slow}/"
              f"{len([k for k in times if not k.endswith(' rows')])}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
