"""Helpers for comparing RDF in tests: by isomorphism (with a diff on failure) or by SPARQL."""
from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
import rdflib
from rdflib.compare import graph_diff, to_isomorphic


def rdflib_graph(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    data = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=data, format="nt")


def graphs_by_name(quads: Iterable[ox.Quad]) -> dict[str, rdflib.Graph]:
    """Quads -> {graph name: rdflib Graph of its triples} (read-only use of rdflib)."""
    by: dict[str, list[ox.Triple]] = {}
    for q in quads:
        name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        by.setdefault(name, []).append(q.triple)
    return {k: rdflib_graph(v) for k, v in by.items()}


def assert_isomorphic(expected: rdflib.Graph, actual: rdflib.Graph, message: str = "") -> None:
    """Like RDFLib's GraphHelper.assert_isomorphic: on failure, show what is only in either graph."""
    iso_e, iso_a = to_isomorphic(expected), to_isomorphic(actual)
    if iso_e == iso_a:
        return
    _both, only_e, only_a = graph_diff(iso_e, iso_a)
    fmt = "\n    ".join
    raise AssertionError(
        f"{message}\nonly in expected:\n    "
        + fmt(sorted(" ".join(x.n3() for x in t) for t in only_e))
        + "\nonly in actual:\n    " + fmt(sorted(" ".join(x.n3() for x in t) for t in only_a)))


def assert_quads_isomorphic(expected: Iterable[ox.Quad], actual: Iterable[ox.Quad]) -> None:
    e, a = graphs_by_name(expected), graphs_by_name(actual)
    assert sorted(e) == sorted(a), f"graph names differ: {sorted(e)} != {sorted(a)}"
    for name in e:
        assert_isomorphic(e[name], a[name], f"graph <{name}> differs")


def ask(quads: Iterable[ox.Quad], query: str) -> bool:
    """ASK over the union of the quads' graphs (standard prefixes implied)."""
    from newsgraph.store import with_prefixes

    store = ox.Store()
    store.extend(list(quads))
    return bool(store.query(with_prefixes(query), use_default_graph_as_union=True))


def select(quads: Iterable[ox.Quad], query: str) -> list[dict[str, str]]:
    from newsgraph.store import with_prefixes

    store = ox.Store()
    store.extend(list(quads))
    res = store.query(with_prefixes(query), use_default_graph_as_union=True)
    assert isinstance(res, ox.QuerySolutions)
    names = [v.value for v in res.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in res]
