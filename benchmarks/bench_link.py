"""Benchmark the linker: requests on a cold cache, milliseconds per mention on a warm one.

    python benchmarks/bench_link.py [--sparql URL] [--corpus DIR] [--repeat N]

Without --sparql it starts `oxigraph serve-read-only` on a free loopback port, loaded with
../shared/wikidata/wikidata-subset.nt, and stops it at the end. The articles are the dev corpus's
gold entities (name = the longest mention), so the names are those real pages give.

Targets (issue 4): a cold run makes at most one HTTP request per 50 distinct names; with a warm
cache linking adds under 1 ms per mention.
"""
from __future__ import annotations

import argparse
import copy
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gold_link import gold_articles

from newsgraph.link import make_linker
from newsgraph.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()


def start_oxigraph(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    exe = shutil.which("oxigraph")
    if not exe:
        sys.exit("the `oxigraph` command is not installed (pip install oxigraph)")
    db = workdir / "db"
    subprocess.run([exe, "load", "--location", str(db), "--file", str(SHARED / "wikidata/wikidata-subset.nt")],
                   check=True, capture_output=True, timeout=300)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([exe, "serve-read-only", "--location", str(db), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    probe = url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    for _ in range(200):
        try:
            with urllib.request.urlopen(probe, timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("oxigraph did not start")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sparql")
    ap.add_argument("--corpus", type=Path, default=SHARED / "eval/corpus/dev")
    ap.add_argument("--repeat", type=int, default=5, help="warm runs to average")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc = None
        url = args.sparql
        if not url:
            proc, url = start_oxigraph(Path(tmp))
        try:
            settings = Settings(data_dir=Path(tmp) / "data", wikidata_sparql=url, wikidata_api="",
                                link_requests_per_second=50.0)
            data = gold_articles(args.corpus)
            articles = [a for _, a, _ in data]
            mentions = sum(len(e.mentions) for a in articles for e in a.entities)
            names = {f for a in articles for e in a.entities for f in [e.name, *e.surface_forms()]}
            names |= {e.role_of for a in articles for e in a.entities if e.role_of}

            cold = make_linker(settings)
            t0 = time.perf_counter()
            cold(copy.deepcopy(articles))
            cold_s = time.perf_counter() - t0
            reqs = cold.stats["http_requests"]
            cold.close()

            warm_ms = []
            for _ in range(args.repeat):  # a new linker each time: a new worker, the cache on disk
                warm = make_linker(settings)
                batch = copy.deepcopy(articles)
                t0 = time.perf_counter()
                warm(batch)
                warm_ms.append((time.perf_counter() - t0) * 1000 / mentions)
                assert warm.stats["http_requests"] == 0, warm.stats
                warm.close()
            same = make_linker(settings)
            same(copy.deepcopy(articles))
            t0 = time.perf_counter()
            same(copy.deepcopy(articles))
            memo_ms = (time.perf_counter() - t0) * 1000 / mentions
            same.close()
        finally:
            if proc:
                proc.terminate()
                proc.wait(timeout=10)
    budget = -(-len(names) // 50)
    best = min(warm_ms)
    print(f"articles {len(articles)}  entities {sum(len(a.entities) for a in articles)}  "
          f"mentions {mentions}  distinct names {len(names)}")
    print(f"cold: {reqs} HTTP request(s) for {len(names)} distinct names "
          f"(budget {budget}: one per 50 names) in {cold_s:.2f} s -> {'OK' if reqs <= budget else 'OVER'}")
    print(f"warm (new worker, cache on disk): {best:.3f} ms/mention (median {sorted(warm_ms)[len(warm_ms) // 2]:.3f}), "
          f"0 HTTP requests -> {'OK' if best < 1.0 else 'OVER'}")
    print(f"warm (same worker, in-memory memo): {memo_ms:.3f} ms/mention")
    return 0 if reqs <= budget and best < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
