"""Linking alone, on gold entities: build each gold entity from its mentions, link, compare QIDs.

    python benchmarks/gold_link.py [CORPUS_DIR] [--sparql URL] [--api URL] [-v]

The entity's ``name`` is its longest mention (not gold's Wikidata label), so the linker sees
what extraction would give it. Prints accuracy on gold QIDs, NIL accuracy and link precision.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from newsgraph._models import NIL, Article, Entity, Mention
from newsgraph.link import make_linker
from newsgraph.settings import load_settings

KINDS = {"people": "person", "states": "state", "places": "place", "organizations": "organization"}
HERE = Path(__file__).resolve().parent


def gold_articles(corpus: Path, split: bool = False) -> list[tuple[str, Article, list[str | None]]]:
    out = []
    for path in sorted(corpus.glob("*.gold.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for i, a in enumerate(doc["articles"]):
            ents, gold = [], []
            for key, kind in KINDS.items():
                for e in a.get(key) or []:
                    mentions = list(dict.fromkeys(e.get("mentions") or [e["name"]]))
                    groups = [[m] for m in mentions] if split else [mentions]
                    for group in groups:
                        name = max(group, key=len)
                        ents.append(Entity(kind=kind, name=name,  # type: ignore[arg-type]
                                           mentions=[Mention(m, 0, 0) for m in group]))
                        gold.append(e.get("wikidata"))
            art = Article(id=f"{path.stem}-{i}", headline=a.get("headline", ""), body=[], entities=ents)
            out.append((path.name, art, gold))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", type=Path, default=HERE.parent.parent / "shared/eval/corpus/dev")
    ap.add_argument("--sparql", default="http://127.0.0.1:7879/query")
    ap.add_argument("--api", default="")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--split", action="store_true", help="one entity per mention (extraction did not merge)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(env={}, data_dir=tmp, wikidata_sparql=args.sparql, wikidata_api=args.api)
        settings = settings.with_(wikidata_api=args.api)
        linker = make_linker(settings, timeout=10, attempts=2, backoff=0.1)
        data = gold_articles(args.corpus, args.split)
        linker([a for _, a, _ in data])
        ok = n = nil_ok = nil_n = pred = pred_ok = 0
        by_kind: dict[str, list[int]] = {}
        for page, art, gold in data:
            for e, g in zip(art.entities, gold):
                assert e.link is not None
                q = None if e.link.qid == NIL else e.link.qid
                row = by_kind.setdefault(e.kind, [0, 0])
                if g:
                    n += 1
                    ok += q == g
                    row[0] += q == g
                    row[1] += 1
                else:
                    nil_n += 1
                    nil_ok += q is None
                if q:
                    pred += 1
                    pred_ok += q == g
                if q != g and args.verbose:
                    cands = ", ".join(f"{c.qid}:{c.label}:{c.score}" for c in e.link.candidates[:3])
                    print(f"{page} {e.kind} {e.surface_forms()} -> {q} ({e.link.method}) gold {g} | {cands}")
        print(f"link accuracy {ok / n:.3f} ({ok}/{n})  nil accuracy {nil_ok / nil_n:.3f} ({nil_ok}/{nil_n})  "
              f"link precision {pred_ok / max(pred, 1):.3f} ({pred_ok}/{pred})")
        print("by kind:", {k: f"{v[0]}/{v[1]}" for k, v in by_kind.items()})
        print("stats:", linker.stats)
        linker.close()


if __name__ == "__main__":
    main()
