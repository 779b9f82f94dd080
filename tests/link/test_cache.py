"""The look-up cache: a re-run or a second worker asks Wikidata nothing; TTL; concurrent processes."""
from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

from newsgraph.link import LookupCache

NAMES = ["Jordan", "Georgia", "Chad", "Niger", "Turkey", "Syria", "Iran", "Iraq", "Egypt", "Qatar"]


def articles(ent, art):
    return [art(ent("state", n), ent("person", "Recep Tayyip Erdogan", "Erdogan"), id=f"a{i}")
            for i, n in enumerate(NAMES)]


def test_second_run_and_second_worker_ask_nothing(make, wikidata, ent, art, tmp_path):
    cache = tmp_path / "shared-cache.sqlite"
    first = make(sparql=wikidata.sparql_url, cache=cache)
    first(articles(ent, art))
    assert first.stats["http_requests"] == 1 and first.stats["cache_misses"] > 0
    again = articles(ent, art)
    first(again)
    assert first.stats["http_requests"] == 1
    second = make(sparql=wikidata.sparql_url, cache=cache)  # another worker, same cache file
    batch = articles(ent, art)
    second(batch)
    assert second.stats["http_requests"] == 0 and second.stats["cache_misses"] == 0
    assert second.stats["cache_hits"] > 0
    assert [a.entities[0].wikidata for a in batch] == [a.entities[0].wikidata for a in again]
    assert batch[0].entities[0].wikidata == "Q810"


def test_nothing_found_is_cached_too(make, sparql_url, ent, art, tmp_path):
    cache = tmp_path / "c.sqlite"
    make(sparql=sparql_url, cache=cache)(art(ent("person", "Hassan Rouhani")))
    linker = make(sparql=sparql_url, cache=cache)
    linker(art(ent("person", "Hassan Rouhani")))
    assert linker.stats["http_requests"] == 0


def test_expired_entries_are_asked_again(make, sparql_url, ent, art, tmp_path):
    cache = tmp_path / "c.sqlite"
    make(sparql=sparql_url, cache=cache)(art(ent("state", "Jordan")))
    linker = make(sparql=sparql_url, cache=cache, ttl_days=1e-9)
    linker(art(ent("state", "Jordan")))
    assert linker.stats["http_requests"] == 1


def test_one_request_per_fifty_names(make, sparql_url, ent, art, subset_path):
    import csv
    with open(subset_path.with_name("entities.csv"), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    kinds = {"person": "person", "state": "state", "place": "place", "organization": "organization"}
    ents = [ent(kinds[r["kind"]], r["label_en"]) for r in rows if r["kind"] in kinds][:200]
    linker = make(sparql=sparql_url)
    linker([art(*ents[i:i + 20], id=str(i)) for i in range(0, len(ents), 20)])
    names = len({e.name for e in ents})
    assert linker.stats["http_requests"] <= -(-names // 50)
    assert sum(e.wikidata is not None for e in ents) > 0.9 * len(ents)


def _worker(path: str, n: int, q: mp.Queue[int]) -> None:
    cache = LookupCache(path)
    for i in range(50):
        cache.put_many({f"k{n}-{i}": [i], "shared": [n]})
        cache.get_many([f"k{(n + 1) % 4}-{i}", "shared"])
    cache.close()
    q.put(n)


def test_concurrent_processes_share_one_cache(tmp_path: Path):
    path = str(tmp_path / "c.sqlite")
    LookupCache(path).close()
    ctx = mp.get_context("spawn")
    q: mp.Queue[int] = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(path, n, q)) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    cache = LookupCache(path)
    got = cache.get_many([f"k{n}-{i}" for n in range(4) for i in range(50)])
    assert len(got) == 200
    cache.close()


def test_unreadable_cache_file_falls_back_to_memory(make, sparql_url, ent, art, tmp_path):
    bad = tmp_path / "not-a-db.sqlite"
    bad.write_bytes(b"this is not an SQLite database" * 100)
    linker = make(sparql=sparql_url, cache=bad)
    e = ent("state", "Jordan")
    linker(art(e))
    assert e.wikidata == "Q810"
