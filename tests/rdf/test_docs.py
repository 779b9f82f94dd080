"""docs/ontology/ is generated from the ontology; this fails when someone forgets to regenerate."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import rdflib
from rdflib.namespace import OWL, RDF, RDFS

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("ngtest_gen_ontology_docs", ROOT / "scripts" / "gen_ontology_docs.py")
assert _spec and _spec.loader
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def test_ontology_docs_are_in_sync() -> None:
    pages = gen.generate()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "ontology").glob("*.md")}
    stale = sorted(n for n in pages if on_disk.get(n) != pages[n])
    extra = sorted(set(on_disk) - set(pages))
    assert not stale and not extra, (
        f"docs/ontology is out of date ({stale + extra}); run: python scripts/gen_ontology_docs.py")


def test_every_class_and_property_has_a_label_and_a_comment() -> None:
    onto = rdflib.Graph().parse(ROOT / "ontology" / "newsgraph.ttl")
    ng = "https://w3id.org/newsgraph/ontology#"
    terms = [s for t in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual)
             for s in onto.subjects(RDF.type, t) if str(s).startswith(ng)]
    assert len(terms) > 60
    missing = [str(t) for t in terms if onto.value(t, RDFS.label) is None or onto.value(t, RDFS.comment) is None]
    assert missing == []


def test_every_class_has_a_page() -> None:
    onto = rdflib.Graph().parse(ROOT / "ontology" / "newsgraph.ttl")
    ng = "https://w3id.org/newsgraph/ontology#"
    classes = {str(c)[len(ng):] for c in onto.subjects(RDF.type, OWL.Class) if str(c).startswith(ng)}
    assert {f"{c}.md" for c in classes} <= set(gen.generate())


def test_every_ng_term_the_mapping_uses_is_defined() -> None:
    import re

    onto = rdflib.Graph().parse(ROOT / "ontology" / "newsgraph.ttl")
    ng = "https://w3id.org/newsgraph/ontology#"
    defined = {str(s)[len(ng):] for s in onto.subjects() if str(s).startswith(ng)}
    used = set(re.findall(r"ng:(\w+)", (ROOT / "mappings" / "newsgraph.context.jsonld").read_text()
                          + (ROOT / "src" / "newsgraph" / "rdf" / "_mapping.py").read_text()))
    assert used - defined == set()
