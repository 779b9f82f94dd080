"""Cookbook query latency on large synthetic stores, built without NLP (issue 5).

    nice python benchmarks/bench_query.py --sizes 10000 100000 --build-only [--check-summary]  # store + summary
    python benchmarks/bench_query.py --sizes 10000 100000 --no-prepare [--seed 1] [--repeat 3] [--timeout 300]
    nice python benchmarks/bench_query.py --sizes 10000 100000 --before-queries OLD_QUERIES_DIR \
        --before-store-version 0aa6c29ed302 --before-timeout 60      # earlier queries, interleaved

1. **The store.** ``synthetic_article(seed, i)`` builds article ``i``'s extraction records
   (``newsgraph._models``: entities with mentions, roles and link decisions; events with evidence;
   planned or denied happenings) straight from a seeded ground truth, with the real names of
   ``data/names.json`` (the same lists ``synth.py`` writes pages from). The records go through the
   real mapping (``newsgraph.rdf.article_graph``) and get a conforming SHACL record (the gate
   itself, pySHACL at ~70 ms an article, is not run: its outcome is not what is measured here), and
   the quads are bulk-loaded, ``--jobs`` mapping processes feeding one ``Store.bulk_load``.
   Distributions: people, states, places and groups are drawn Zipf-like (a few names in most news,
   a long tail); 1-3 events an article (meeting 45%, attack 30%, agreement 25% for the main story,
   a second or third event of any kind); 5-10 entities an article; unnamed officials ("the Iranian
   foreign minister") and invented spokespeople are NIL links, some waiting for a relink; one
   article in five also reports a planned meeting or a denied attack. The cookbook's default
   parameters (Venezuela, Iran, Nicolás Maduro) are placed among the frequent names, so the keyed
   queries answer a realistic number of rows.
   The store is cached in ``results/query-stores/n<size>-s<seed>-<version>/``, ``version`` being a
   digest of the generator and of the mapping code, context and ontology: a change to either
   builds a new store.
2. **The summary graph** (``prepare_store``; skipped with ``--no-prepare``). The cached store is
   brought up to date (vocabulary graph: the ontology is not part of the store's digest, it only
   fills that graph; a sample of article graphs is checked against the current mapping, so a
   store of an earlier version, ``--store-version``, is used only if its articles are the same),
   then its summary graph is computed onto it (``rebuild_summary``, timed), and ``--batches``
   batches of 100 stored articles are replaced by changed versions and restored, with and without
   the summary maintained (timed: the summary's cost per batch). ``--check-summary`` then compares
   the maintained summary with a full rebuild. Run it niced with ``--build-only`` and time the
   queries after it with ``--no-prepare``: the store is then the same for every query.
3. **The queries.** Each ``queries/*.rq`` (or ``--queries DIR``), with its default parameters, in
   its own child process that opens the store read-only: the first run is *cold* (fresh process,
   empty Oxigraph caches; the OS page cache may still hold the files), then ``--repeat`` *warm*
   runs, median reported. Timed: ``Store.query`` over the union default graph plus reading every
   solution. A query that has not finished after ``--timeout`` seconds is killed and reported as
   ``> timeout`` (with its cold time when that run finished). With ``--before-queries`` the earlier
   version of each query runs on the earlier store (``--before-store-version``) right before the
   current one, so that before and after see the same machine load (the machine is shared).

Prints one table per size (ms and rows) and writes ``results/query-<label>-<time>.json``.
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
STORES = RESULTS / "query-stores"
NAMES_FILE = HERE / "data" / "names.json"
EXTRACTED_AT = "2026-11-26T23:00:00Z"
FETCHED_AT = "2026-11-26T22:00:00Z"
EXTRACTOR = "newsgraph-synthetic 1"
#: The cookbook's default parameters, placed among the most frequent names (rank in brackets).
PINNED = {"states": {"Q794": 2, "Q717": 6}, "people": {"Q58132": 3}}
TOPICS = ["trade", "energy", "defense", "security", "investment", "agriculture", "health", "education",
          "transport", "tourism", "water", "petroleum", "petrochemical", "mining", "banking", "culture"]
GIVEN = ["Ali", "Omar", "Hassan", "Youssef", "Karim", "Mehmet", "Ahmed", "Said", "Nabil", "Ivan", "Sergei",
         "Maria", "Ana", "Leila", "Fatima", "Daniel", "Samuel", "Luis", "Jorge", "Amina"]
FAMILY = ["Karimi", "Haddad", "Yilmaz", "Rahman", "Petrov", "Garcia", "Mansour", "Nasser", "Demir", "Suleiman",
          "Hosseini", "Khalil", "Rossi", "Okafor", "Mensah", "Diallo", "Costa", "Ivanov", "Farouk", "Aziz"]


# ---- the synthetic ground truth --------------------------------------------------------------
class Pools:
    """The name lists of data/names.json, each in a seeded Zipf order (rank r drawn ~ 1/(r+1))."""

    def __init__(self, seed: int) -> None:
        doc = json.loads(NAMES_FILE.read_text(encoding="utf-8"))
        rng = random.Random(f"pools:{seed}")
        self.state_by_qid = {s["qid"]: s for s in doc["states"]}
        self.states = self._order(doc["states"], rng, PINNED["states"])
        self.people = self._order(doc["people"], rng, PINNED["people"])
        self.places = self._order(doc["places"], rng, {})
        self.militants = self._order(doc["militants"], rng, {})
        self.bodies = self._order(doc["bodies"], rng, {})
        self.people_of: dict[str, list[dict[str, str]]] = {}
        for p in self.people:
            self.people_of.setdefault(p["state"], []).append(p)
        self.places_in: dict[str, list[dict[str, str]]] = {}
        for p in self.places:
            self.places_in.setdefault(p["state"], []).append(p)
        # 3,000 invented spokespeople and local officials: no Wikidata item (NIL), Zipf-drawn too
        self.nobodies = [f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}-{k}" for k in range(3000)]
        self._cum: dict[int, list[float]] = {}

    @staticmethod
    def _order(items: list[dict[str, str]], rng: random.Random, pinned: dict[str, int]) -> list[dict[str, str]]:
        rest = [x for x in items if x["qid"] not in pinned]
        rng.shuffle(rest)
        for qid, rank in sorted(pinned.items(), key=lambda kv: kv[1]):
            rest.insert(rank, next(x for x in items if x["qid"] == qid))
        return rest

    def zipf(self, rng: random.Random, items: list[Any]) -> Any:
        n = len(items)
        cum = self._cum.get(n)
        if cum is None:
            total, cum = 0.0, []
            for r in range(n):
                total += 1.0 / (r + 1)
                cum.append(total)
            self._cum[n] = cum
        x = rng.random() * cum[-1]
        lo, hi = 0, n - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return items[lo]


@lru_cache(maxsize=4)
def pools(seed: int) -> Pools:
    return Pools(seed)


def synthetic_article(seed: int, i: int) -> Any:
    """Article ``i`` of corpus ``seed`` as the extractor and linker would leave it (deterministic)."""
    from newsgraph import NIL, Article, Caption, Entity, Event, Evidence, Link, LinkCandidate, Mention

    P = pools(seed)
    rng = random.Random(f"{seed}:{i}")
    published = date(2015, 1, 1) + timedelta(days=rng.randrange(11 * 365))
    sentences: list[str] = []
    ents: dict[tuple[str, str], dict[str, Any]] = {}  # (kind, name) -> {qid, role, role_of, relink}

    def add(kind: str, name: str, qid: str | None, **kw: Any) -> str:
        ents.setdefault((kind, name), {"qid": qid, **kw})
        if kind == "state" and qid:
            ents[(kind, name)]["forms"] = [name, P.state_by_qid[qid]["demonym"]]
        return name

    def state() -> dict[str, str]:
        state: dict[str, str] = P.zipf(rng, P.states)
        return state

    def person(st: dict[str, str] | None = None) -> str:
        """A named leader (of ``st`` when given and listed), else its unnamed foreign minister (NIL)."""
        if st is None:
            p = P.zipf(rng, P.people)
        else:
            named = P.people_of.get(st["qid"])
            p = rng.choice(named) if named and rng.random() < 0.8 else None
        if p is None:
            assert st is not None
            return add("person", f"{st['demonym']} Foreign Minister", None, role="foreign minister",
                       role_of=add("state", st["name"], st["qid"]))
        st = P.state_by_qid[p["state"]]
        return add("person", p["name"], p["qid"], role=p["title"].lower(), role_of=add("state", st["name"], st["qid"]),
                   styled=f"{st['demonym']} {p['title']} {p['name']}")

    def sty(name: str) -> str:  # "Iranian President Masoud Pezeshkian": the state is named by its demonym
        return str(ents[("person", name)].get("styled", name))

    def city(st: dict[str, str]) -> str:
        places = P.places_in.get(st["qid"])
        if places and rng.random() < 0.7:
            pl = P.zipf(rng, places)
            return add("place", pl["name"], pl["qid"])
        return add("place", st["capital"], None)

    def when() -> str | None:
        d = published - timedelta(days=rng.choice([0, 1, 1, 2]))
        r = rng.random()
        return d.isoformat() if r < 0.8 else d.isoformat()[:7] if r < 0.9 else None

    events: list[tuple[Any, list[int]]] = []  # (Event, indexes of its evidence sentences)

    def meeting() -> None:
        a = state()
        b = state()
        while b is a:
            b = state()
        host, guest = person(a), person(b)
        where = city(a)
        sentences.append(f"{sty(host)} received {sty(guest)} in {where} for talks on {rng.choice(TOPICS)}.")
        ev = [len(sentences) - 1]
        people = [host, guest]
        if rng.random() < 0.15:
            third = person(state())
            if third not in people:
                people.append(third)
                sentences.append(f"{sty(third)} joined the talks later in the day.")
                ev.append(len(sentences) - 1)
        events.append((Event(type="meeting", participants=people, host=host, place=where, date=when()), ev))

    def attack() -> None:
        st = state()
        group = P.zipf(rng, P.militants)
        add("organization", group["name"], group["qid"])
        in_state = rng.random() < 0.2
        where = add("state", st["name"], st["qid"]) if in_state else city(st)
        killed = rng.choice([rng.randrange(0, 15), rng.randrange(15, 80)])
        injured = rng.randrange(killed, killed * 3 + 5) if rng.random() < 0.7 else None
        wounded = f" and wounded {injured}" if injured is not None else ""
        sentences.append(f"An attack in {where} killed {killed} people{wounded}.")
        ev = [len(sentences) - 1]
        claimed = rng.random() < 0.6
        if claimed:
            sentences.append(f"{group['name']} claimed responsibility for the attack.")
        else:
            sentences.append(f"The {st['demonym']} government blamed {group['name']} for the attack.")
            add("state", st["name"], st["qid"])
        ev.append(len(sentences) - 1)
        events.append((Event(type="attack", place=where, date=when(), killed=killed, injured=injured,
                             perpetrators=[group["name"]] if claimed else [],
                             blamed=[] if claimed else [group["name"]],
                             modality="claimed" if claimed else "asserted"), ev))

    def agreement() -> None:
        a = state()
        b = state()
        while b is a:
            b = state()
        sa, sb = add("state", a["name"], a["qid"]), add("state", b["name"], b["qid"])
        signers = [person(s) for s in (a, b)[: rng.choice([0, 1, 2, 2])]]
        topics = rng.sample(TOPICS, rng.choice([1, 2, 3]))
        years = rng.choice([None, None, 2, 5, 10, 20, 25])
        sentences.append(f"{sa} and {sb} signed an agreement on {' and '.join(topics)}.")
        ev = [len(sentences) - 1]
        if signers:
            sentences.append(f"It was signed by {' and '.join(sty(x) for x in signers)}.")
            ev.append(len(sentences) - 1)
        events.append((Event(type="agreement", participants=[sa, sb], signatories=signers, topics=topics,
                             duration_years=years, date=when()), ev))

    builders = {"meeting": meeting, "attack": attack, "agreement": agreement}
    main = rng.choices(list(builders), weights=[0.45, 0.3, 0.25])[0]
    builders[main]()
    for _ in range(rng.choices([0, 1, 2], weights=[0.5, 0.35, 0.15])[0]):
        builders[rng.choice(list(builders))]()
    non_events: list[tuple[Any, list[int]]] = []
    if rng.random() < 0.2:
        if rng.random() < 0.7:
            a, b = person(state()), person(state())
            sentences.append(f"{sty(a)} is expected to meet {sty(b)} next month.")
            non_events.append((Event(type="meeting", participants=[a, b], modality="planned", why="planned"),
                               [len(sentences) - 1]))
        else:
            g = P.zipf(rng, P.militants)
            add("organization", g["name"], g["qid"])
            sentences.append(f"{g['name']} denied any role in an earlier blast.")
            non_events.append((Event(type="attack", perpetrators=[g["name"]], modality="denied", why="denied"),
                               [len(sentences) - 1]))
    # background: other states and bodies named, a spokesperson quoted (NIL)
    for _ in range(rng.choice([0, 1, 1, 2])):
        st = state()
        sentences.append(f"{add('state', st['name'], st['qid'])} called for calm.")
    if rng.random() < 0.5:
        body = P.zipf(rng, P.bodies)
        sentences.append(f"The {add('organization', body['name'], body['qid'])} was kept informed.")
    if rng.random() < 0.4:
        who = P.zipf(rng, P.nobodies)
        add("person", who, None, relink=rng.random() < 0.05)
        sentences.append(f"\"We will keep working together,\" {who} said.")

    first = events[0][0]
    headline = f"{first.type.capitalize()} report {i}: {', '.join(first.participants[:2] or [first.place or ''])}"
    caption = Caption(text=f"Photo from the {first.type} {i}", credit="Photo by SYNTH / AFP",
                      date=published.isoformat())
    art = Article(id=f"synth{seed}-{i:07d}", headline=headline, body=sentences, captions=[caption],
                  published=published.isoformat(), page_name=f"p{i:07d}.txt",
                  page_sha256=hashlib.sha256(f"{seed}:{i}".encode()).hexdigest(),
                  source=f"https://synthetic.example/{seed}/{i}", fetched_at=FETCHED_AT, extractor=EXTRACTOR)
    text = art.text
    offsets, at = [], art.body_start
    for s in sentences:
        offsets.append(at)
        at += len(s) + 2

    def evidence(idx: list[int]) -> list[Any]:
        return [Evidence(sentence=sentences[k], start=offsets[k], end=offsets[k] + len(sentences[k]),
                         rule="synthetic", confidence=0.9) for k in idx]

    for (kind, name), info in ents.items():
        mentions: list[Mention] = []
        for form in info.get("forms", [name]):
            pos = text.find(form)
            while pos >= 0:
                if not any(m.start <= pos < m.end for m in mentions):
                    mentions.append(Mention(text=form, start=pos, end=pos + len(form),
                                            section="headline" if pos < len(headline) else "body"))
                pos = text.find(form, pos + len(form))
        qid = info["qid"]
        cands = [LinkCandidate(qid, name, 0.92)] if qid else (
            [LinkCandidate(f"Q{100000 + zlib.crc32(name.encode()) % 900000}", name + " (other)", 0.31)] if rng.random() < 0.5 else [])
        link = Link(qid=qid or NIL, score=0.92 if qid else 0.0, method="synthetic", candidates=cands,
                    needs_relink=bool(info.get("relink")))
        art.entities.append(Entity(kind=kind, name=name, mentions=mentions,  # type: ignore[arg-type]
                                   roles=[info["role"]] if info.get("role") else [],
                                   role_of=info.get("role_of"), link=link))
    for ev, idx in events:
        ev.evidence = evidence(idx)
        art.events.append(ev)
    for ev, idx in non_events:
        ev.evidence = evidence(idx)
        art.non_events.append(ev)
    return art


# ---- building and caching the store ----------------------------------------------------------
def code_version() -> str:
    """Digest of what decides the store's content: the generator and the mapping."""
    h = hashlib.sha256()
    h.update(inspect.getsource(Pools).encode())
    h.update(inspect.getsource(synthetic_article).encode())
    h.update(inspect.getsource(_map_chunk).encode())
    h.update(repr((PINNED, TOPICS, GIVEN, FAMILY, EXTRACTED_AT)).encode())
    # the ontology and crosswalk are not in it: they only fill the vocabulary graph, which
    # prepare_store() refreshes on a cached store
    for rel in ("benchmarks/data/names.json", "mappings/newsgraph.context.jsonld",
                "src/newsgraph/rdf/_mapping.py", "src/newsgraph/rdf/__init__.py",
                "src/newsgraph/rdf/_namespaces.py", "src/newsgraph/_models.py"):
        h.update((REPO / rel).read_bytes())
    return h.hexdigest()[:12]


def _map_chunk(args: tuple[int, int, int]) -> tuple[bytes, int, int, int]:
    """Articles [lo, hi) of ``seed`` -> (N-Quads of their graphs and entity facts, articles, events, quads)."""
    import pyoxigraph as ox

    from newsgraph.rdf import article_graph
    from newsgraph.rdf._validate import ValidationReport, _report_quads

    seed, lo, hi = args
    quads: list[Any] = []
    events = 0
    for i in range(lo, hi):
        a = synthetic_article(seed, i)
        g = article_graph(a, extracted_at=EXTRACTED_AT)
        g.report_quads = _report_quads(g, ValidationReport(
            article_id=g.article_id, conforms=True, violations=0, warnings=0, text="", shapes_digest="synthetic",
            validated_at=EXTRACTED_AT))
        quads += g.graph_quads()
        quads += g.entity_quads
        events += len(a.events)
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"", hi - lo, events, len(quads)


def build_store(n: int, seed: int, jobs: int, chunk: int = 1000,
                version: str | None = None) -> tuple[Path, dict[str, Any]]:
    """The cached store of ``n`` articles (built if missing) and its build record.

    ``version``: use the cached store of that version (e.g. one built by an earlier mapping, for
    before/after figures) instead of the current code's; it must exist."""
    import pyoxigraph as ox

    from newsgraph.rdf import vocabulary_quads

    path = STORES / f"n{n}-s{seed}-{version or code_version()}"
    record = path / "built.json"
    if record.exists():
        return path, json.loads(record.read_text())
    if version:
        raise SystemExit(f"no cached store {path}")
    pidfile = path / "building.pid"
    if pidfile.exists():
        try:
            os.kill(int(pidfile.read_text()), 0)
        except (OSError, ValueError):
            pass
        else:
            raise SystemExit(f"{path} is being built by process {pidfile.read_text()}; wait for it")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    pidfile.write_text(str(os.getpid()))
    store = ox.Store(str(path / "store"))
    store.bulk_extend(vocabulary_quads()[0])
    t0 = time.perf_counter()
    done = events = quads = 0
    tasks = [(seed, lo, min(lo + chunk, n)) for lo in range(0, n, chunk)]
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        for data, arts, evs, qs in pool.map(_map_chunk, tasks):
            store.bulk_load(input=data, format=ox.RdfFormat.N_QUADS)
            done, events, quads = done + arts, events + evs, quads + qs
            print(f"\r  building n={n}: {done}/{n} articles, {quads:,} quads, {time.perf_counter() - t0:.0f} s",
                  end="", file=sys.stderr, flush=True)
    store.optimize()
    store.flush()
    info = {"articles": n, "seed": seed, "events": events, "quads_mapped": quads, "store_quads": len(store),
            "build_s": round(time.perf_counter() - t0, 1), "version": path.name.rsplit("-", 1)[1]}
    del store
    print(file=sys.stderr)
    record.write_text(json.dumps(info, indent=1))
    pidfile.unlink()
    return path, info


def synthetic_graphs(seed: int, ids: list[int], content_of: list[int] | None = None) -> list[Any]:
    """Article graphs of ``ids`` as the store holds them (mapping + conforming SHACL record); with
    ``content_of``, article ``ids[k]`` carries the content of article ``content_of[k]`` (a changed
    version of it, for timing replacements)."""
    from newsgraph.rdf import article_graph
    from newsgraph.rdf._validate import ValidationReport, _report_quads

    out = []
    for k, i in enumerate(ids):
        a = synthetic_article(seed, content_of[k] if content_of else i)
        a.id = f"synth{seed}-{i:07d}"
        g = article_graph(a, extracted_at=EXTRACTED_AT)
        g.report_quads = _report_quads(g, ValidationReport(
            article_id=g.article_id, conforms=True, violations=0, warnings=0, text="", shapes_digest="synthetic",
            validated_at=EXTRACTED_AT))
        out.append(g)
    return out


def check_mapping(store: Any, seed: int, n: int, sample: int = 20) -> None:
    """A cached store of another version must hold what the current mapping gives (sample of articles)."""
    import pyoxigraph as ox

    ids = sorted(random.Random(f"check:{n}").sample(range(n), min(sample, n)))
    for g in synthetic_graphs(seed, ids):
        mem = ox.Store()  # the same canonical forms as the store's (a double "0.9", not "9.0E-1")
        mem.extend(g.graph_quads())
        want = {(q.subject, q.predicate, q.object) for q in mem}
        have = {(q.subject, q.predicate, q.object)
                for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g.iri))}
        if want != have:
            raise SystemExit(f"the cached store differs from the current mapping for {g.article_id} "
                             f"({len(want - have)} quads missing, {len(have - want)} extra): rebuild it")


def prepare_store(path: Path, n: int, seed: int, batches: int, check: bool) -> dict[str, Any]:
    """Bring a cached store up to date (vocabulary graph) and compute its summary graph onto it,
    timing the full rebuild and the summary's share of publishing batches of 100 articles.

    Per batch, 100 stored articles are replaced by changed versions (the content of 100 others) and
    then restored, once with the summary maintained and once without (``summary_enabled=False``),
    interleaved: the difference is the summary's cost per batch. The store ends as it began."""
    from newsgraph import summary
    from newsgraph.store import EmbeddedStore

    out: dict[str, Any] = {}
    store = EmbeddedStore(path / "store")
    try:
        t = time.perf_counter()
        store.ensure_vocabulary()
        out["vocabulary_s"] = round(time.perf_counter() - t, 2)
        check_mapping(store.pyoxigraph, seed, n)
        t = time.perf_counter()
        store.rebuild_summary()
        out["rebuild_s"] = round(time.perf_counter() - t, 2)
        out["summary_triples"] = len(summary.stored_rows(store.query))
        print(f"  n={n}: summary rebuilt in {out['rebuild_s']} s ({out['summary_triples']:,} triples)",
              file=sys.stderr, flush=True)
        rng = random.Random(f"batches:{n}")
        with_s: list[float] = []
        without_s: list[float] = []
        for b in range(batches):
            ids = rng.sample(range(n), 100)
            others = rng.sample(range(n), 100)
            changed, original = synthetic_graphs(seed, ids, others), synthetic_graphs(seed, ids)
            for maintained, acc in ((True, with_s), (False, without_s)):
                store.summary = maintained
                for gs in (changed, original):
                    t = time.perf_counter()
                    store.publish(gs, validate=False)
                    acc.append(time.perf_counter() - t)
            print(f"  n={n}: batch {b + 1}/{batches}: replace 100 with summary {with_s[-2]:.2f} + {with_s[-1]:.2f} s, "
                  f"without {without_s[-2]:.2f} + {without_s[-1]:.2f} s", file=sys.stderr, flush=True)
        store.summary = True
        if with_s:
            out["batch_with_summary_s"] = round(statistics.median(with_s), 3)
            out["batch_without_summary_s"] = round(statistics.median(without_s), 3)
            out["batch_runs_s"] = {"with": [round(x, 3) for x in with_s], "without": [round(x, 3) for x in without_s]}
        if check:
            t = time.perf_counter()
            extra, missing = summary.check(store)
            out["check"] = {"extra": len(extra), "missing": len(missing), "s": round(time.perf_counter() - t, 1)}
            print(f"  n={n}: incremental == full rebuild: {not extra and not missing}", file=sys.stderr)
    finally:
        store.close()
    out["load"] = os.getloadavg()
    return out


# ---- timing the queries ----------------------------------------------------------------------
def _run_one(store_dir: str, query_file: str, repeat: int) -> None:
    """Child process: open the store, run one query cold then ``repeat`` times warm; print JSON."""
    import pyoxigraph as ox

    from newsgraph.store import with_prefixes

    store = ox.Store.read_only(store_dir)
    text = with_prefixes(Path(query_file).read_text(encoding="utf-8"))

    def once() -> tuple[float, int]:
        t = time.perf_counter()
        res = store.query(text, use_default_graph_as_union=True)
        rows = sum(1 for _ in res) if isinstance(res, ox.QuerySolutions) else 1
        return (time.perf_counter() - t) * 1000, rows

    cold, rows = once()
    print(json.dumps({"cold_ms": cold, "rows": rows}), flush=True)  # kept if the warm runs time out
    warm = [once()[0] for _ in range(repeat)]
    print(json.dumps({"cold_ms": cold, "warm_ms": statistics.median(warm), "warm_runs_ms": warm, "rows": rows}))


def _time_one(store_dir: Path, query: Path, repeat: int, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--_run-one", str(store_dir / "store"), str(query), str(repeat)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        lines = out.strip().splitlines()
        return {"timeout_s": timeout, **(json.loads(lines[-1]) if lines else {})}
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:]}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def time_queries(store_dir: Path, queries: list[Path], repeat: int, timeout: float,
                 before: tuple[Path, Path] | None = None,
                 before_timeout: float | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Time every query; with ``before`` = (store, queries folder), time the earlier version of
    each query on the earlier store right before it, so both see the same machine load."""
    out: dict[str, dict[str, Any]] = {}
    old: dict[str, dict[str, Any]] = {}
    for q in queries:
        if before is not None and (before[1] / q.name).exists():
            old[q.stem] = _time_one(before[0], before[1] / q.name, repeat, before_timeout or timeout)
            print(f"  {q.stem:26s} before: {_fmt(old[q.stem])}", file=sys.stderr, flush=True)
        out[q.stem] = _time_one(store_dir, q, repeat, timeout)
        print(f"  {q.stem:26s} {_fmt(out[q.stem])}", file=sys.stderr, flush=True)
    return out, old


def _ms(v: float) -> str:
    return f"{v:,.0f}" if v >= 10 else f"{v:.1f}"


def _fmt(r: dict[str, Any]) -> str:
    if "timeout_s" in r and "cold_ms" in r:
        return f"cold {_ms(r['cold_ms'])} ms, {r['rows']} rows; warm runs killed at {r['timeout_s']:.0f} s"
    if "timeout_s" in r:
        return f"> {r['timeout_s']:.0f} s (killed)"
    if "error" in r:
        return f"error: {r['error']}"
    return f"cold {_ms(r['cold_ms'])} ms, warm {_ms(r['warm_ms'])} ms, {r['rows']} rows"


def _cells(r: dict[str, Any]) -> list[str]:
    if "timeout_s" in r and "cold_ms" in r:  # the cold run finished, the warm ones did not
        return [_ms(r["cold_ms"]), f"(> {r['timeout_s']:.0f} s for all runs)", str(r["rows"])]
    if "timeout_s" in r:
        return [f"> {r['timeout_s']:.0f} s", "", ""]
    if "cold_ms" in r:
        return [_ms(r["cold_ms"]), _ms(r["warm_ms"]) + ("" if r["warm_ms"] < 200 else " **"), str(r["rows"])]
    return ["error" if r else "", "", ""]


def table(results: dict[str, Any]) -> str:
    """Markdown: per size, (before: cold, warm, rows when measured) cold ms, warm ms, rows; ** = over 200 ms."""
    sizes = list(results["sizes"])
    cols: list[str] = []
    for s in sizes:
        if results["sizes"][s].get("before"):
            cols += [f"{int(s):,} before: cold ms", "warm ms", "rows"]
        cols += [f"{int(s):,}: cold ms", "warm ms", "rows"]
    lines = ["| query | " + " | ".join(cols) + " |", "|---" * (1 + len(cols)) + "|"]
    names = sorted({q for s in sizes for q in results["sizes"][s]["queries"]})
    for name in names:
        cells: list[str] = []
        for s in sizes:
            if results["sizes"][s].get("before"):
                cells += _cells(results["sizes"][s]["before"].get(name, {}))
            cells += _cells(results["sizes"][s]["queries"].get(name, {}))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--_run-one":
        _run_one(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="warm runs per query (median reported)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds before a query is killed")
    ap.add_argument("--jobs", type=int, default=2, help="mapping processes while building a store")
    ap.add_argument("--queries", type=Path, default=REPO / "queries", help="folder of .rq files")
    ap.add_argument("--only", nargs="*", help="query names (file stems) to run")
    ap.add_argument("--label", default="current", help="name for this run in the JSON file")
    ap.add_argument("--build-only", action="store_true", help="build (or reuse) the store and its summary, time no query")
    ap.add_argument("--batches", type=int, default=3, help="batches of 100 replaced to time the summary's upkeep")
    ap.add_argument("--check-summary", action="store_true", help="compare the maintained summary with a rebuild")
    ap.add_argument("--no-prepare", action="store_true", help="query the cached store as it is (summary already on it)")
    ap.add_argument("--store-version", help="use the cached stores of this version (see results/query-stores/)")
    ap.add_argument("--before-queries", type=Path, help="earlier versions of the queries, timed interleaved")
    ap.add_argument("--before-store-version", help="the cached store version the earlier queries run on")
    ap.add_argument("--before-timeout", type=float, help="time-out for the earlier queries (default --timeout)")
    args = ap.parse_args(argv)

    queries = sorted(args.queries.glob("*.rq"))
    if args.only:
        queries = [q for q in queries if q.stem in set(args.only)]
    results: dict[str, Any] = {
        "label": args.label, "queries_dir": str(args.queries), "seed": args.seed, "repeat": args.repeat,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True, check=False).stdout.strip(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_start": os.getloadavg()}, "sizes": {}}
    for n in args.sizes:
        path, info = build_store(n, args.seed, args.jobs, version=args.store_version)
        print(f"n={n}: store {path.name} ({info['store_quads']:,} quads, {info['events']:,} events; "
              f"built in {info['build_s']} s)", file=sys.stderr)
        prep: dict[str, Any] = {}
        if not args.no_prepare:
            prep = prepare_store(path, n, args.seed, args.batches, args.check_summary)
        if args.build_only:  # (run it niced; then time the queries with --no-prepare)
            results["sizes"][str(n)] = {"store": info, "summary": prep, "queries": {}}
            continue
        before = None
        if args.before_queries:
            bpath, _ = build_store(n, args.seed, args.jobs, version=args.before_store_version)
            before = (bpath, args.before_queries)
        load = os.getloadavg()
        now, old = time_queries(path, queries, args.repeat, args.timeout, before, args.before_timeout)
        results["sizes"][str(n)] = {"store": info, "summary": prep, "load": [load, os.getloadavg()],
                                    "queries": now, "before": old}
    results["machine"]["load_end"] = os.getloadavg()
    if results["sizes"]:
        if not args.build_only:
            print(table(results))
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        (RESULTS / f"query-{args.label}-{stamp}.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
