"""Benchmark: newsgraph's extractor against spaCy's bare ``nlp.pipe`` on the same texts, same run.

    python benchmarks/bench_extract.py [PAGES_DIR] [--copies N] [--batch-size B] [--rounds R]

The texts are the articles of the pages in PAGES_DIR (default: the shared dev corpus), replicated
``--copies`` times; without pages, synthetic articles are made. Prints articles/second for both,
their ratio (target >= 0.70) and the process's peak RSS (target < 1.5 GB). A benchmark, not a
test: nothing here fails a build.
"""
from __future__ import annotations

import argparse
import copy
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newsgraph._models import Article, RawPage
from newsgraph.parse import parse_page
from newsgraph.settings import load_settings

DEFAULT_PAGES = Path(__file__).resolve().parents[2] / "shared" / "eval" / "corpus" / "dev"


def load_articles(pages_dir: Path) -> list[Article]:
    out: list[Article] = []
    for p in sorted(pages_dir.glob("*")):
        if p.suffix not in (".txt", ".html"):
            continue
        page = RawPage(source=str(p), name=p.name, content=p.read_bytes(),
                       media_type="text/html" if p.suffix == ".html" else "text/plain", fetched_at="")
        out += parse_page(page)
    return out


def synthetic_articles(n: int) -> list[Article]:
    body = [
        ("Chilean President Gabriel Boric met Argentine President Javier Milei in Santiago on Monday, "
         "the first visit by an Argentine leader in five years."),
        "The two presidents signed a 10-year agreement on energy and mining, Chile's foreign ministry said.",
        ("Separately, a car bomb killed at least fifteen people and wounded 40 in a market in Kandahar on "
         "Sunday, police said. The Taliban blamed the attack on ISIS."),
    ]
    return [Article(id=str(i), headline=f"Boric, Milei Sign Energy Pact {i}", body=list(body)) for i in range(n)]


def _timed(fn: Callable[[Any], object], batch: Any) -> float:
    t0 = time.perf_counter()
    fn(batch)
    return time.perf_counter() - t0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pages", nargs="?", type=Path, default=DEFAULT_PAGES)
    ap.add_argument("--copies", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--model", default=load_settings().spacy_model)
    args = ap.parse_args(argv)

    import spacy

    from newsgraph.extract import make_extractor

    base = load_articles(args.pages) if args.pages.is_dir() else synthetic_articles(40)
    source = f"{len(base)} articles from {args.pages}" if args.pages.is_dir() else "40 synthetic articles"
    articles = [copy.deepcopy(a) for _ in range(args.copies) for a in base]
    texts = [a.text for a in articles]
    print(f"texts: {source}, x{args.copies} = {len(texts)} articles, "
          f"{sum(map(len, texts)) / 1e6:.2f} M characters; model {args.model}; batch {args.batch_size}")

    nlp = spacy.load(args.model)
    extractor = make_extractor(model=args.model, batch_size=args.batch_size)
    # warm both up on a few texts so neither pays first-call costs in the timing
    list(nlp.pipe(texts[:8], batch_size=args.batch_size))
    extractor([copy.deepcopy(a) for a in articles[:8]])

    # interleave the two batch by batch (best of --rounds): load from other processes on a shared
    # machine then hits both alike instead of whichever ran during a busy spell
    spacy_s = extract_s = float("inf")
    step = args.batch_size
    for _ in range(args.rounds):
        fresh = [copy.deepcopy(a) for a in articles]
        s_total = e_total = 0.0
        for k, i in enumerate(range(0, len(texts), step)):
            if k % 2:  # alternate which goes first, so neither always gets the warm caches
                e_total += _timed(extractor, fresh[i:i + step])
                s_total += _timed(lambda ts: list(nlp.pipe(ts, batch_size=args.batch_size)), texts[i:i + step])
            else:
                s_total += _timed(lambda ts: list(nlp.pipe(ts, batch_size=args.batch_size)), texts[i:i + step])
                e_total += _timed(extractor, fresh[i:i + step])
        spacy_s, extract_s = min(spacy_s, s_total), min(extract_s, e_total)

    spacy_rate = len(texts) / spacy_s
    extract_rate = len(texts) / extract_s
    ratio = extract_rate / spacy_rate
    rss = peak_rss_mb()
    print(f"spaCy nlp.pipe      : {spacy_rate:8.1f} articles/s ({spacy_s:.2f} s)")
    print(f"newsgraph extractor : {extract_rate:8.1f} articles/s ({extract_s:.2f} s)")
    print(f"ratio               : {ratio:8.2f}  (target >= 0.70) {'OK' if ratio >= 0.70 else 'BELOW TARGET'}")
    print(f"peak RSS            : {rss:8.0f} MB (target < 1536 MB) {'OK' if rss < 1536 else 'ABOVE TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
