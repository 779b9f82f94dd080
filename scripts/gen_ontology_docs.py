"""Generate docs/ontology/*.md from ontology/newsgraph.ttl, shapes.ttl and crosswalk.ttl.

One page per class of the ontology (its place in the hierarchy, its alignments, its crosswalk
codes, and a table of its properties as the SHACL shapes constrain them), plus an index.

    python scripts/gen_ontology_docs.py            # rewrite docs/ontology/
    python scripts/gen_ontology_docs.py --check    # exit 1 if docs/ontology/ is out of date

tests/rdf/test_docs.py runs the check, so a change to the ontology without regenerating fails.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology"
OUT = ROOT / "docs" / "ontology"
NG = rdflib.Namespace("https://w3id.org/newsgraph/ontology#")
PREFIXES = {
    "ng": str(NG), "schema": "https://schema.org/", "sem": "http://semanticweb.cs.vu.nl/2009/11/sem/",
    "prov": "http://www.w3.org/ns/prov#", "owl": str(OWL), "rdfs": str(RDFS), "rdf": str(RDF),
    "xsd": "http://www.w3.org/2001/XMLSchema#", "skos": str(SKOS), "sh": str(SH),
    "cameo": "https://w3id.org/newsgraph/schemes/cameo/", "plover": "https://w3id.org/newsgraph/schemes/plover/",
    "acled": "https://w3id.org/newsgraph/schemes/acled/", "ngsh": "https://w3id.org/newsgraph/shapes#",
    "wd": "http://www.wikidata.org/entity/", "dct": "http://purl.org/dc/terms/",
}


def q(term: rdflib.term.Node) -> str:
    """A compact name for a term: ng:Meeting, xsd:date, "literal"."""
    if isinstance(term, rdflib.Literal):
        return f'"{term}"'
    s = str(term)
    for p, iri in PREFIXES.items():
        if s.startswith(iri) and s != iri:
            return f"{p}:{s[len(iri):]}"
    return f"<{s}>"


_CLASSES: set[rdflib.term.Node] = set()  # the ontology's classes: each has a page to link to


def link(term: rdflib.term.Node) -> str:
    name = q(term)
    if term in _CLASSES:
        return f"[{name}]({str(term)[len(str(NG)):]}.md)"
    return f"`{name}`"


def _text(g: rdflib.Graph, s: rdflib.term.Node, p: rdflib.term.Node) -> str:
    v = g.value(s, p)
    return " ".join(str(v).split()) if v is not None else ""


def _list(g: rdflib.Graph, head: rdflib.term.Node) -> list[rdflib.term.Node]:
    return list(rdflib.collection.Collection(g, head)) if head is not None else []


def _values(shapes: rdflib.Graph, ps: rdflib.term.Node) -> str:
    parts = []
    if (dt := shapes.value(ps, SH.datatype)) is not None:
        parts.append(f"`{q(dt)}`")
    if (cls := shapes.value(ps, SH["class"])) is not None:
        parts.append(link(cls))
    if (nk := shapes.value(ps, SH.nodeKind)) is not None:
        parts.append(f"an {q(nk).split(':')[1]}")
    if (alts := shapes.value(ps, SH["or"])) is not None:
        opts = []
        for alt in _list(shapes, alts):
            if (dt := shapes.value(alt, SH.datatype)) is not None:
                opts.append(f"`{q(dt)}`")
            elif (hv := shapes.value(alt, SH.hasValue)) is not None:
                opts.append(link(hv))
            elif (pat := shapes.value(alt, SH.pattern)) is not None:
                opts.append(f"IRI matching `{pat}`")
        parts.append(" or ".join(opts))
    if (lst := shapes.value(ps, SH["in"])) is not None:
        parts.append("one of " + ", ".join(link(v) if isinstance(v, rdflib.URIRef) else f"`{v}`" for v in _list(shapes, lst)))
    if (pat := shapes.value(ps, SH.pattern)) is not None and shapes.value(ps, SH["or"]) is None:
        parts.append(f"matching `{pat}`")
    lo, hi = shapes.value(ps, SH.minInclusive), shapes.value(ps, SH.maxInclusive)
    if lo is not None or hi is not None:
        parts.append(f"in [{lo if lo is not None else '…'}, {hi if hi is not None else '…'}]")
    if (lt := shapes.value(ps, SH.lessThan)) is not None:
        parts.append(f"less than `{q(lt)}`")
    return "; ".join(parts)


def _property_rows(onto: rdflib.Graph, shapes: rdflib.Graph, node_shape: rdflib.term.Node) -> dict[str, list[str]]:
    """path -> [values, min, max, notes] merged over the property shapes of a node shape (and sh:node)."""
    rows: dict[str, list[str]] = {}
    pss = list(shapes.objects(node_shape, SH.property))
    for inner in shapes.objects(node_shape, SH.node):
        pss += list(shapes.objects(inner, SH.property))
    for ps in pss:
        path = shapes.value(ps, SH.path)
        if path is None:
            continue
        key = q(path)
        row = rows.setdefault(key, ["", "0", "*", "", str(path)])
        warn = shapes.value(ps, SH.severity) in (SH.Warning, SH.Info)
        vals = _values(shapes, ps)
        if vals:
            row[0] = "; ".join(x for x in (row[0], vals) if x)
        if (mn := shapes.value(ps, SH.minCount)) is not None:
            if warn:
                row[3] = "; ".join(x for x in (row[3], f"warning if fewer than {mn}") if x)
            else:
                row[1] = str(max(int(row[1]), int(mn)))
        if (mx := shapes.value(ps, SH.maxCount)) is not None:
            if warn:
                row[3] = "; ".join(x for x in (row[3], f"warning if more than {mx}") if x)
            else:
                row[2] = str(mx) if row[2] == "*" else str(min(int(row[2]), int(mx)))
    return rows


def _describe(onto: rdflib.Graph, shapes: rdflib.Graph, path: str) -> str:
    p = rdflib.URIRef(path)
    return _text(onto, p, RDFS.comment) or _text(shapes, next(
        (ps for ps in shapes.subjects(SH.path, p) if shapes.value(ps, SH.description) is not None), p), SH.description)


def class_page(cls: rdflib.URIRef, onto: rdflib.Graph, shapes: rdflib.Graph, cross: rdflib.Graph) -> str:
    name = q(cls)
    out = [f"# {name}", "", f"**{_text(onto, cls, RDFS.label)}** — {_text(onto, cls, RDFS.comment)}", "",
           f"- IRI: `{cls}`"]
    supers = sorted(onto.objects(cls, RDFS.subClassOf), key=q)
    if supers:
        out.append("- Subclass of: " + ", ".join(link(s) for s in supers))
    subs = sorted((s for s in onto.subjects(RDFS.subClassOf, cls)), key=q)
    if subs:
        out.append("- Subclasses: " + ", ".join(link(s) for s in subs))
    disjoint = sorted(onto.objects(cls, OWL.disjointWith), key=q)
    if disjoint:
        out.append("- Disjoint with: " + ", ".join(link(s) for s in disjoint))
    members = sorted(onto.subjects(RDF.type, cls), key=q)
    if members:
        out.append("- Members: " + ", ".join(f"`{q(m)}` ({_text(onto, m, RDFS.comment)})" for m in members))
    matches = []
    for prop in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch):
        for c in sorted(cross.objects(cls, prop), key=q):
            scheme = _text(cross, cross.value(c, SKOS.inScheme), SKOS.prefLabel)
            matches.append(f"| {q(prop)} | {scheme} | `{cross.value(c, SKOS.notation)}` | {_text(cross, c, SKOS.prefLabel)} |")
    if matches:
        out += ["", "## Crosswalk", "", "| match | scheme | code | label |", "|---|---|---|---|", *matches]
    chain = [cls] + [s for s in _ancestors(onto, cls) if str(s).startswith(str(NG))]
    for owner in chain:
        for shape in sorted(shapes.subjects(SH.targetClass, owner), key=q):
            rows = _property_rows(onto, shapes, shape)
            if not rows:
                continue
            title = "Properties" if owner == cls else f"Properties from {link(owner)}"
            out += ["", f"## {title}", "", f"As constrained by `{q(shape)}`"
                    + (f": {_text(shapes, shape, RDFS.comment)}" if _text(shapes, shape, RDFS.comment) else "."), "",
                    "| property | values | min | max | description |", "|---|---|---|---|---|"]
            for key in sorted(rows):
                values, mn, mx, notes, path = rows[key]
                desc = _describe(onto, shapes, path)
                desc = "; ".join(x for x in (desc, notes) if x).replace("|", "\\|")
                out.append(f"| `{key}` | {values.replace('|', '/')} | {mn} | {mx} | {desc} |")
    return "\n".join(out) + "\n"


def _ancestors(onto: rdflib.Graph, cls: rdflib.term.Node) -> list[rdflib.term.Node]:
    seen: list[rdflib.term.Node] = []
    todo = list(onto.objects(cls, RDFS.subClassOf))
    while todo:
        c = todo.pop(0)
        if c not in seen:
            seen.append(c)
            todo += list(onto.objects(c, RDFS.subClassOf))
    return seen


def generate() -> dict[str, str]:
    """File name -> Markdown text, for every page of docs/ontology/."""
    onto = rdflib.Graph().parse(ONTOLOGY / "newsgraph.ttl")
    shapes = rdflib.Graph().parse(ONTOLOGY / "shapes.ttl")
    cross = rdflib.Graph().parse(ONTOLOGY / "crosswalk.ttl")
    classes = sorted((c for c in onto.subjects(RDF.type, OWL.Class)
                      if isinstance(c, rdflib.URIRef) and str(c).startswith(str(NG))), key=q)
    _CLASSES.clear()
    _CLASSES.update(classes)
    pages = {f"{str(c)[len(str(NG)):]}.md": class_page(c, onto, shapes, cross) for c in classes}
    index = ["# newsgraph ontology", "", ("Generated by `scripts/gen_ontology_docs.py` from `ontology/newsgraph.ttl`, "
                                          "`ontology/shapes.ttl` and `ontology/crosswalk.ttl`; do not edit by hand."), "",
             _text(onto, rdflib.URIRef("https://w3id.org/newsgraph/ontology"), RDFS.comment), "",
             "| class | label | description |", "|---|---|---|"]
    for c in classes:
        index.append(f"| {link(c)} | {_text(onto, c, RDFS.label)} | {_text(onto, c, RDFS.comment).replace('|', '/')} |")
    index += ["", "## Properties", "", "| property | kind | description |", "|---|---|---|"]
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty):
        for p in sorted(onto.subjects(RDF.type, kind), key=q):
            index.append(f"| `{q(p)}` | {q(kind).split(':')[1]} | {_text(onto, p, RDFS.comment).replace('|', '/')} |")
    pages["index.md"] = "\n".join(index) + "\n"
    return pages


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/ontology is out of date")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    pages = generate()
    existing = {p.name for p in args.out.glob("*.md")} if args.out.exists() else set()
    if args.check:
        stale = sorted(n for n, t in pages.items() if not (args.out / n).exists()
                       or (args.out / n).read_text(encoding="utf-8") != t)
        extra = sorted(existing - set(pages))
        if stale or extra:
            print(f"docs/ontology is out of date: {', '.join(stale + extra)}; run scripts/gen_ontology_docs.py",
                  file=sys.stderr)
            return 1
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name in existing - set(pages):
        (args.out / name).unlink()
    for name, text in pages.items():
        (args.out / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(pages)} pages to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
