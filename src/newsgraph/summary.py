"""The summary graph: pre-aggregated ranking rows (and a month index) for the cookbook's queries.

    SUMMARY_GRAPH                                    ``…/graph/summary``, one named graph
    RANKINGS                                         one SELECT each over ``GRAPH ?g``: key -> sums
    batch_update(store, batch, existing) -> str      SPARQL Update bringing the rows up to date with a batch
    summary_update(select, old, new, now) -> str     SPARQL Update applying new - old to the stored rows
    rebuild_update(select, now) -> str               SPARQL Update recomputing every row from all graphs
    rebuild(store) / check(store)                    full rebuild; stored rows == full rebuild?

Why. A ranking over the whole corpus (who met whom most often, attacks per country, casualties
per month …) reads every matching event: at 100,000 articles 0.5 to 15 seconds whatever the
query's shape. The summary graph holds their rows already counted (22,000 rows at 100,000
articles), and the cookbook's rankings read those rows instead. It also holds a month index
(``?event ng:eventMonth "YYYY-MM"``, ``"undated"`` for an event without a date) that the keyed
listings are narrowed by.

What a row holds. Facts of the article graphs, keyed by newsgraph's IRIs, months and classes;
names and classes are joined when a ranking is queried. Where a ranking groups people or actors
by Wikidata item (``keyed``: meeting pairs, claimed-vs-blamed), the key is the item as stored
when the row is written. Every value is a sum over article graphs (an event, a link decision,
belongs to exactly one article graph): a row is the sum of what each article graph contributes.

Incremental (``batch_update``, called by ``store.publish`` before each batch's write). The
rankings' SELECTs run in memory over the old versions of the batch's articles (read back from the
store, with the entity facts as stored) and over the new versions (with the entity facts as they
will be); the stored rows whose values change are read, and the difference is written after the
articles: in the same SPARQL Update when the batch replaces articles or goes to a remote store
(one transaction), in a transaction after the ingestion of a batch of new articles on the
embedded store (with ``ng:pendingGraph`` markers that a crash would leave behind, see store.py).
An entity that gains a Wikidata item in the batch moves the keyed rows of the other articles
naming it in an event role: those are read back and counted again too, a chunk at a time (their
number depends on the store: 1,522 articles for one person at 100k). Otherwise the cost depends on
the batch, not on the store. ``rebuild`` recomputes everything with the same SELECTs over all graphs
(a store filled by ``bulk_load``); ``check`` compares the stored rows with a rebuild. The graph
has its own ``prov:generatedAtTime``: the time of its last change. Strings from articles reach
the updates only as RDF terms serialised by pyoxigraph.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from .rdf import NG, PREFIXES
from .rdf._namespaces import GRAPH, ID

if TYPE_CHECKING:
    from .rdf import ArticleGraph
    from .store import QueryResult

__all__ = ["RANKINGS", "SUMMARY_GRAPH", "Contribs", "batch_update", "check", "contributions",
           "rebuild", "rebuild_update", "summary_update"]

SUMMARY_GRAPH = GRAPH + "summary"
ROW = ID + "summary/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
PROV_GENERATED = ox.NamedNode("http://www.w3.org/ns/prov#generatedAtTime")
XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")

Key = tuple[str | None, ...]  # IRIs or literal values; None = unbound (e.g. an attack with no country)
Measures = tuple[int, ...]
Contribs = dict[str, Counter[Key] | dict[Key, Measures]]
Select = Callable[[str], "QueryResult"]


@dataclass(frozen=True)
class Ranking:
    """One kind of summary row: its class, the SELECT computing it (grouped by ``keys``, summing to
    ``measures``) over ``GRAPH ?g`` patterns, and the property each variable is stored under."""

    name: str
    cls: str
    keys: tuple[tuple[str, str, bool], ...]  # (variable, property, is an IRI)
    measures: tuple[tuple[str, str], ...]  # (variable, property)
    select: str  # with {graphs}: a VALUES ?g line, or nothing for all graphs
    keyed: bool = False  # groups entities by Wikidata item (owl:sameAs, from the entities graph)
    index: bool = False  # not a row: one triple (keys[0], its property, keys[1]) while the count is > 0

    def row_iri(self, key: Key) -> ox.NamedNode:
        h = hashlib.sha1("\x1f".join("" if k is None else k for k in key).encode("utf-8")).hexdigest()[:24]
        return ox.NamedNode(f"{ROW}{self.name}/{h}")


def _p(local: str) -> str:
    return NG + local


RANKINGS: tuple[Ranking, ...] = (
    # who-met-whom-most-often: meetings per pair of people, each person keyed by its Wikidata item
    # when linked, else by its entity IRI (the smaller key first), counted once per meeting
    Ranking("meeting-pair", _p("MeetingPairCount"),
            (("ka", _p("pairMember"), True), ("kb", _p("pairMember"), True)),
            (("n", _p("meetingCount")),),
            """SELECT ?ka ?kb (COUNT(DISTINCT ?m) AS ?n) WHERE {{ {graphs}
  GRAPH ?g {{ ?m a ng:Meeting ; ng:participant ?a, ?b . }}
  ?a a ng:Person . ?b a ng:Person .
  OPTIONAL {{ ?a owl:sameAs ?qa }} OPTIONAL {{ ?b owl:sameAs ?qb }}
  BIND(COALESCE(?qa, ?a) AS ?ka) BIND(COALESCE(?qb, ?b) AS ?kb)
  FILTER(STR(?ka) < STR(?kb))
}} GROUP BY ?ka ?kb""", keyed=True),
    # attacks-per-country: attacks, killed and injured per country (ng:country; none: no country)
    Ranking("attack-country", _p("CountryAttackCount"),
            (("country", _p("attackCountry"), True),),
            (("n", _p("attackCount")), ("k", _p("killedTotal")), ("i", _p("injuredTotal"))),
            """SELECT ?country (COUNT(?attack) AS ?n) (SUM(?k1) AS ?k) (SUM(?i1) AS ?i) WHERE {{ {graphs}
  {{ SELECT ?g ?attack (SAMPLE(COALESCE(?k0, 0)) AS ?k1) (SAMPLE(COALESCE(?i0, 0)) AS ?i1) WHERE {{ {graphs}
      GRAPH ?g {{ ?attack a ng:Attack OPTIONAL {{ ?attack ng:killed ?k0 }} OPTIONAL {{ ?attack ng:injured ?i0 }} }}
    }} GROUP BY ?g ?attack }}
  OPTIONAL {{ GRAPH ?g {{ ?attack ng:country ?country }} }}
}} GROUP BY ?country"""),
    # attacks-per-country (the names): attacks per country, actor entity and attribution
    Ranking("attack-actor", _p("CountryAttributionCount"),
            (("country", _p("attackCountry"), True), ("actor", _p("attributedTo"), True),
             ("how", _p("attribution"), True)),
            (("n", _p("attackCount")),),
            """SELECT ?country ?actor ?how (COUNT(DISTINCT ?attack) AS ?n) WHERE {{ {graphs}
  VALUES ?how {{ ng:perpetrator ng:blamedOn }}
  GRAPH ?g {{ ?attack a ng:Attack ; ?how ?actor . OPTIONAL {{ ?attack ng:country ?country }} }}
}} GROUP BY ?country ?actor ?how"""),
    # claimed-vs-blamed: attacks per actor (Wikidata item when linked, else entity IRI) and attribution
    Ranking("actor", _p("AttributionCount"),
            (("actor", _p("attributedTo"), True), ("how", _p("attribution"), True)),
            (("n", _p("attackCount")),),
            """SELECT ?actor ?how (COUNT(DISTINCT ?attack) AS ?n) WHERE {{ {graphs}
  VALUES ?how {{ ng:perpetrator ng:blamedOn }}
  GRAPH ?g {{ ?attack a ng:Attack ; ?how ?e }}
  OPTIONAL {{ ?e owl:sameAs ?q }} BIND(COALESCE(?q, ?e) AS ?actor)
}} GROUP BY ?actor ?how""", keyed=True),
    # casualties-by-month: attacks (and their articles), killed, injured per month of the attack's date
    Ranking("casualties-month", _p("MonthlyCasualties"),
            (("month", _p("month"), False),),
            (("n", _p("attackCount")), ("arts", _p("articleCount")), ("k", _p("killedTotal")),
             ("i", _p("injuredTotal"))),
            """SELECT ?month (COUNT(DISTINCT ?attack) AS ?n) (COUNT(DISTINCT ?article) AS ?arts)
       (SUM(?k1) AS ?k) (SUM(?i1) AS ?i) WHERE {{ {graphs}
  GRAPH ?g {{ ?attack a ng:Attack ; ng:date ?date ; ng:reportedIn ?article .
             OPTIONAL {{ ?attack ng:killed ?k0 }} OPTIONAL {{ ?attack ng:injured ?i0 }} }}
  FILTER(STRLEN(STR(?date)) >= 7)
  BIND(COALESCE(?k0, 0) AS ?k1) BIND(COALESCE(?i0, 0) AS ?i1) BIND(SUBSTR(STR(?date), 1, 7) AS ?month)
}} GROUP BY ?month"""),
    # events-per-month: events per month and class
    Ranking("events-month", _p("MonthlyEventCount"),
            (("month", _p("month"), False), ("cls", _p("eventClass"), True)),
            (("n", _p("eventCount")),),
            """SELECT ?month ?cls (COUNT(DISTINCT ?event) AS ?n) WHERE {{ {graphs}
  VALUES ?cls {{ ng:Meeting ng:Attack ng:Agreement }}
  GRAPH ?g {{ ?event a ?cls ; ng:date ?date }}
  FILTER(STRLEN(STR(?date)) >= 7)
  BIND(SUBSTR(STR(?date), 1, 7) AS ?month)
}} GROUP BY ?month ?cls"""),
    # entities-to-relink: articles with a NIL or pending link decision per entity, and how many pend
    Ranking("unlinked", _p("UnlinkedEntityCount"),
            (("entity", _p("unlinkedEntity"), True),),
            (("n", _p("unlinkedArticleCount")), ("r", _p("relinkCount"))),
            """SELECT ?entity (COUNT(DISTINCT ?article) AS ?n) (COUNT(DISTINCT ?ra) AS ?r) WHERE {{ {graphs}
  GRAPH ?g {{ {{ ?d ng:linkTarget ng:NIL }} UNION {{ ?d ng:needsRelink true }}
             ?d ng:linkOf ?entity ; ng:needsRelink ?relink ; ng:inArticle ?article . }}
  BIND(IF(?relink, ?article, ?nothing) AS ?ra)
}} GROUP BY ?entity"""),
    # entities-to-relink: the linker's best candidate (rank 0) for those entities
    Ranking("unlinked-candidate", _p("CandidateCount"),
            (("entity", _p("unlinkedEntity"), True), ("item", _p("topCandidate"), True)),
            (("n", _p("decisionCount")),),
            """SELECT ?entity ?item (COUNT(DISTINCT ?d) AS ?n) WHERE {{ {graphs}
  GRAPH ?g {{ {{ ?d ng:linkTarget ng:NIL }} UNION {{ ?d ng:needsRelink true }}
             ?d ng:linkOf ?entity ; ng:needsRelink ?relink ; ng:inArticle ?article ; ng:candidate ?c .
             ?c ng:rank 0 ; ng:candidateItem ?item . }}
}} GROUP BY ?entity ?item"""),
)
RANKINGS += (
    # the month index the keyed listings narrow by: ?event ng:eventMonth "YYYY-MM" (or "YYYY" for
    # events dated by their year only, "undated" for events without a date), one triple per event
    Ranking("event-month", _p("eventMonth"),
            (("event", "", True), ("month", _p("eventMonth"), False)),
            (("n", ""),),
            """SELECT ?event ?month (COUNT(DISTINCT ?event) AS ?n) WHERE {{ {graphs}
  GRAPH ?g {{ ?event a ng:Event OPTIONAL {{ ?event ng:date ?date }} }}
  BIND(COALESCE(SUBSTR(STR(?date), 1, 7), "undated") AS ?month)
}} GROUP BY ?event ?month""", index=True),
)


def _named_iris(selects: Iterable[str]) -> frozenset[str]:
    """Every IRI these SELECTs name: prefixed (standard prefixes), in full, and ``a`` (rdf:type).
    Each triple pattern of the rankings has a named predicate or one bound by a VALUES of named
    IRIs (``?how``), so only quads with one of these predicates can match."""
    out = {RDF_TYPE.value}
    for text in selects:
        out |= {PREFIXES[p] + local for p, local in re.findall(r"(?<![\w.:-])([A-Za-z][\w-]*):(\w+)", text)
                if p in PREFIXES}
        out |= set(re.findall(r"<([^<>\s]+)>", text))
    return frozenset(out)


#: the only predicates the rankings read: the rest of an article graph (its mentions' offsets, texts,
#: provenance - over half its quads) is left out of the in-memory store they are counted in
RANKING_PREDICATES = _named_iris(r.select for r in RANKINGS)

#: properties by which an event names the entities a keyed ranking groups by Wikidata item
KEYED_ROLES = (NG + "participant", NG + "perpetrator", NG + "blamedOn")
BY_NAME = {r.name: r for r in RANKINGS}


def _values_line(graphs: Sequence[str] | None) -> str:
    if graphs is None:
        return ""
    # IRIs are checked and escaped by pyoxigraph; an article id never reaches the text unescaped
    return "VALUES ?g { " + " ".join(str(ox.NamedNode(g)) for g in graphs) + " }"


def contributions(select: Select, graphs: Sequence[str] | None = None) -> Contribs:
    """Per ranking, key -> measures, summed over ``graphs`` (named graph IRIs; None: all)."""
    out: Contribs = {}
    if graphs is not None and not graphs:
        return {r.name: {} for r in RANKINGS}
    values = _values_line(graphs)
    for r in RANKINGS:
        res = select(r.select.format(graphs=values))
        rows: dict[Key, Measures] = {}
        for row in res.rows():
            key = tuple(row[v] for v, _, _ in r.keys)
            rows[key] = tuple(int(row[v] or 0) for v, _ in r.measures)
        out[r.name] = rows
    return out


OWL_SAMEAS = "http://www.w3.org/2002/07/owl#sameAs"
_ENTITY_FACTS = (RDF_TYPE.value, OWL_SAMEAS)


def _iris(values: Iterable[str]) -> str:
    # IRIs are checked and escaped by pyoxigraph; an article's text never reaches a query unescaped
    return " ".join(str(ox.NamedNode(v)) for v in values)


def _chunks(items: Sequence[str], n: int = 400) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _entity_facts(store: Any, entities: Sequence[str]) -> list[tuple[str, str, str]]:
    """(entity, rdf:type | owl:sameAs, IRI) as stored, for these entities."""
    out: list[tuple[str, str, str]] = []
    ox_store = getattr(store, "pyoxigraph", None)
    if ox_store is not None:  # embedded: two key look-ups per entity
        for e in entities:
            for p in _ENTITY_FACTS:
                out += [(e, p, q.object.value) for q in ox_store.quads_for_pattern(ox.NamedNode(e), ox.NamedNode(p), None)
                        if isinstance(q.object, ox.NamedNode)]
        return out
    for chunk in _chunks(sorted(entities)):
        for p in _ENTITY_FACTS:
            res = store.query(f"SELECT ?e ?o WHERE {{ VALUES ?e {{ {_iris(chunk)} }} ?e <{p}> ?o }}")
            out += [(r["e"] or "", p, r["o"] or "") for r in res.rows()]
    return out


def _graph_quads(store: Any, graphs: Sequence[str]) -> list[ox.Quad]:
    """Every quad of these named graphs, as stored."""
    ox_store = getattr(store, "pyoxigraph", None)
    if ox_store is not None:
        return [q for g in graphs for q in ox_store.quads_for_pattern(None, None, None, ox.NamedNode(g))]
    out: list[ox.Quad] = []
    for chunk in _chunks(sorted(graphs), 50):
        res = store.query(f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {_iris(chunk)} }} GRAPH ?g {{ ?s ?p ?o }} }}")
        for b in res.bindings:
            out.append(ox.Quad(_from_json(b["s"]), ox.NamedNode(b["p"]["value"]),
                               _from_json(b["o"]), ox.NamedNode(b["g"]["value"])))
    return out


def _from_json(t: dict[str, str]) -> Any:
    if t["type"] == "uri":
        return ox.NamedNode(t["value"])
    if t["type"] == "bnode":
        return ox.BlankNode(t["value"])
    if "xml:lang" in t:
        return ox.Literal(t["value"], language=t["xml:lang"])
    if "datatype" in t:
        return ox.Literal(t["value"], datatype=ox.NamedNode(t["datatype"]))
    return ox.Literal(t["value"])


def _role_entities(quads: Iterable[ox.Quad]) -> set[str]:
    return {q.object.value for q in quads if q.predicate.value in KEYED_ROLES and isinstance(q.object, ox.NamedNode)}


def _in_memory(quads: list[ox.Quad], facts: Iterable[tuple[str, str, str]], graphs: Sequence[str]) -> Contribs:
    """The rankings' SELECTs over these quads and entity facts, in a store in memory."""
    from .store import EmbeddedStore

    eg = ox.NamedNode(GRAPH + "entities")
    mem = EmbeddedStore(None, summary_enabled=False)
    try:
        mem.pyoxigraph.extend([*(q for q in quads if q.predicate.value in RANKING_PREDICATES),
                               *(ox.Quad(ox.NamedNode(e), ox.NamedNode(p), ox.NamedNode(o), eg) for e, p, o in facts)])
        return contributions(mem.query, graphs)
    finally:
        mem.close()


def batch_update(store: Any, batch: Sequence[ArticleGraph], existing: Sequence[str],
                 now: str | None = None) -> str:
    """The SPARQL Update that brings the summary rows up to date with ``batch`` written.

    Call it *before* writing the batch, and run its text in the same transaction as the write
    (after it). ``existing``: the batch's graphs that may be in the store already (their old
    versions). The rankings' SELECTs run in memory, over the old versions (read from the store,
    with the entity facts as stored) and over the new ones (with the entity facts as they will
    be), so the cost depends on the batch, not on the store. What changes:

    * the old versions' contributions go, the new versions' come;
    * an entity that gains a Wikidata item in this batch (an ``owl:sameAs`` not stored yet) moves
      the keyed rows (meeting pairs, actors) of every other article that names it in an event
      role: those articles are counted again with the new items (rare: a first link), read
      ``AFFECTED_CHUNK`` at a time: there can be as many as the store holds.
    """
    batch_iris = {g.iri for g in batch}
    same_new: dict[str, set[str]] = {}
    for g in batch:
        for q in g.entity_quads:
            if q.predicate.value == OWL_SAMEAS and isinstance(q.subject, ox.NamedNode) \
                    and isinstance(q.object, ox.NamedNode):
                same_new.setdefault(q.subject.value, set()).add(q.object.value)
    stored = _entity_facts(store, sorted(set(same_new)))
    known = {e for e, _, _ in stored}
    same_old: dict[str, set[str]] = {}
    for e, p, o in stored:
        if p == OWL_SAMEAS:
            same_old.setdefault(e, set()).add(o)
    changed = sorted(e for e, qs in same_new.items() if e in known and qs - same_old.get(e, set()))
    affected: list[str] = []
    for chunk in _chunks(changed):
        res = store.query(f"SELECT DISTINCT ?g WHERE {{ VALUES ?e {{ {_iris(chunk)} }} "
                          f"VALUES ?p {{ {_iris(KEYED_ROLES)} }} GRAPH ?g {{ ?x ?p ?e }} }}")
        affected += [g for g in res.values("g") if g and g not in batch_iris]
    affected = sorted(set(affected))
    batch_facts = {(q.subject.value, q.predicate.value, q.object.value)
                   for g in batch for q in g.entity_quads
                   if q.predicate.value in _ENTITY_FACTS and isinstance(q.subject, ox.NamedNode)
                   and isinstance(q.object, ox.NamedNode)}

    old, new = _counted(store, _graph_quads(store, list(existing)), [q for g in batch for q in g.quads],
                        list(existing), sorted(batch_iris), batch_facts)
    # the other articles a first link moves: as many as name the entity in the whole store (1,500 at
    # 100k articles for a head of state), so read and counted AFFECTED_CHUNK at a time - every value is
    # a sum over article graphs - instead of all of them in memory at once
    for chunk in _chunks(affected, AFFECTED_CHUNK):
        quads = _graph_quads(store, chunk)
        old_part, new_part = _counted(store, quads, quads, chunk, chunk, batch_facts)
        _add(old, old_part)
        _add(new, new_part)
    return summary_update(store.query, old, new, now)


#: Articles outside a batch that a first link moves, read and counted at a time (``batch_update``):
#: on the 100k benchmark store, 1,522 articles naming one person took +838 MB at once, +209 MB
#: (mostly the store's block cache) and the same rows 50 at a time (benchmarks/README.md).
AFFECTED_CHUNK = 50


def _counted(store: Any, old_quads: list[ox.Quad], new_quads: list[ox.Quad], old_graphs: Sequence[str],
             new_graphs: Sequence[str], batch_facts: set[tuple[str, str, str]]) -> tuple[Contribs, Contribs]:
    """The rankings' contributions of these graphs, before (entity facts as stored) and after the
    batch (with the batch's entity facts)."""
    roles = _role_entities(old_quads) | _role_entities(new_quads)
    facts_old = _entity_facts(store, sorted(roles))
    old = _in_memory(old_quads, facts_old, old_graphs) if old_quads else {}
    new = _in_memory(new_quads, set(facts_old) | batch_facts, new_graphs) if new_quads else {}
    return old, new


def _add(into: Contribs, part: Contribs) -> None:
    """Sum ``part``'s measures into ``into``, key by key."""
    for name, rows in part.items():
        acc: dict[Key, Measures] = into.setdefault(name, {})  # type: ignore[assignment]
        measures: dict[Key, Measures] = rows  # type: ignore[assignment]  # contributions() gives tuples
        for key, ms in measures.items():
            have = acc.get(key)
            acc[key] = tuple(ms) if have is None else tuple(a + b for a, b in zip(have, ms, strict=True))


def _delta(old: Contribs, new: Contribs) -> dict[str, dict[Key, list[int]]]:
    out: dict[str, dict[Key, list[int]]] = {}
    for r in RANKINGS:
        d: dict[Key, list[int]] = {}
        for sign, part in ((-1, old.get(r.name, {})), (1, new.get(r.name, {}))):
            measures: dict[Key, Measures] = part  # type: ignore[assignment]  # contributions() gives tuples
            for key, ms in measures.items():
                acc = d.setdefault(key, [0] * len(r.measures))
                for i, m in enumerate(ms):
                    acc[i] += sign * m
        out[r.name] = {k: v for k, v in d.items() if any(v)}
    return out


def _term(value: str, iri: bool) -> ox.NamedNode | ox.Literal:
    return ox.NamedNode(value) if iri else ox.Literal(value)


def row_triples(r: Ranking, key: Key, measures: Sequence[int]) -> list[ox.Triple]:
    if r.index:
        subject, value = key
        return [ox.Triple(ox.NamedNode(subject or ""), ox.NamedNode(r.keys[1][1]), ox.Literal(value or ""))]
    row = r.row_iri(key)
    out = [ox.Triple(row, RDF_TYPE, ox.NamedNode(r.cls))]
    for (_, prop, iri), value in zip(r.keys, key, strict=True):
        if value is not None:
            out.append(ox.Triple(row, ox.NamedNode(prop), _term(value, iri)))
    for (_, prop), m in zip(r.measures, measures, strict=True):
        out.append(ox.Triple(row, ox.NamedNode(prop), ox.Literal(str(m), datatype=XSD_INTEGER)))
    return out


def _stored(select: Select, rows: Sequence[ox.NamedNode]) -> dict[str, dict[str, str]]:
    """The stored measures of summary rows: row IRI -> {property IRI: lexical value} (measures only)."""
    out: dict[str, dict[str, str]] = {}
    for i in range(0, len(rows), 500):
        chunk = rows[i:i + 500]
        res = select(f"SELECT ?row ?p ?o WHERE {{ VALUES ?row {{ {' '.join(str(r) for r in chunk)} }} "
                     f"GRAPH <{SUMMARY_GRAPH}> {{ ?row ?p ?o }} FILTER(isLiteral(?o) && DATATYPE(?o) = xsd:integer) }}")
        for b in res.rows():
            out.setdefault(b["row"] or "", {})[b["p"] or ""] = b["o"] or "0"
    return out


def _nt(triples: Sequence[ox.Triple]) -> str:
    data = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES)
    return (data or b"").decode("utf-8")


def _stamp(now: str) -> str:
    stamp = ox.Literal(now, datatype=XSD_DATETIME)
    g = f"<{SUMMARY_GRAPH}>"
    return (f"DELETE WHERE {{ GRAPH {g} {{ {g} <{PROV_GENERATED.value}> ?t }} }} ;\n"
            f"INSERT DATA {{ GRAPH {g} {{ {g} a <{NG}SummaryGraph> ; <{PROV_GENERATED.value}> {stamp} }} }}")


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def summary_update(select: Select, old: Contribs, new: Contribs, now: str | None = None) -> str:
    """SPARQL Update applying ``new - old`` to the stored rows (reads the rows whose value changes).

    Rows whose counts all fall to zero are removed; the graph's ``prov:generatedAtTime`` is set."""
    delta = _delta(old, new)
    removed: list[ox.Triple] = []
    added: list[ox.Triple] = []
    for r in RANKINGS:  # index triples: each belongs to one article graph, so the delta is -1, 0 or +1
        if r.index:
            for key, d in delta[r.name].items():
                (removed if d[0] < 0 else added).extend(row_triples(r, key, d))
    touched = [(r, key, d) for r in RANKINGS if not r.index for key, d in delta[r.name].items()]
    stored = _stored(select, [r.row_iri(k) for r, k, _ in touched])
    for r, key, d in touched:
        row = r.row_iri(key)
        have = stored.get(row.value)
        current = [int((have or {}).get(prop, "0")) for _, prop in r.measures]
        total = [c + x for c, x in zip(current, d, strict=True)]
        if have is None:  # a new row
            if total[0] > 0:
                added += row_triples(r, key, total)
        elif total[0] <= 0:  # a row whose count falls to 0 goes
            removed += row_triples(r, key, current)
        else:  # only the values that change
            for (_, prop), c, t in zip(r.measures, current, total, strict=True):
                if c != t:
                    removed.append(ox.Triple(row, ox.NamedNode(prop), ox.Literal(str(c), datatype=XSD_INTEGER)))
                    added.append(ox.Triple(row, ox.NamedNode(prop), ox.Literal(str(t), datatype=XSD_INTEGER)))
    parts = []
    if removed:
        parts.append(f"DELETE DATA {{ GRAPH <{SUMMARY_GRAPH}> {{\n{_nt(removed)}}} }}")
    if added:
        parts.append(f"INSERT DATA {{ GRAPH <{SUMMARY_GRAPH}> {{\n{_nt(added)}}} }}")
    parts.append(_stamp(now or utcnow()))
    return " ;\n".join(parts)


def full_rows(select: Select) -> list[ox.Triple]:
    """Every summary row (without the graph's time stamp), computed from all article graphs."""
    out: list[ox.Triple] = []
    for r in RANKINGS:
        for key, ms in _one(select, r).items():
            if ms[0] > 0:
                out += row_triples(r, key, ms)
    return out


def _one(select: Select, r: Ranking) -> dict[Key, Measures]:
    res = select(r.select.format(graphs=""))
    return {tuple(row[v] for v, _, _ in r.keys): tuple(int(row[v] or 0) for v, _ in r.measures)
            for row in res.rows()}


def rebuild_update(select: Select, now: str | None = None) -> str:
    """SPARQL Update replacing the summary graph by one computed from all article graphs."""
    rows = full_rows(select)
    body = f"INSERT DATA {{ GRAPH <{SUMMARY_GRAPH}> {{\n{_nt(rows)}}} }} ;\n" if rows else ""
    return f"DROP SILENT GRAPH <{SUMMARY_GRAPH}> ;\n{body}{_stamp(now or utcnow())}"


def stored_rows(select: Select) -> set[tuple[str, str, str]]:
    """The summary rows as stored (subject, predicate, object in N-Triples form), without the time stamp."""
    res = select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{SUMMARY_GRAPH}> {{ ?s ?p ?o }} FILTER(?s != <{SUMMARY_GRAPH}>) }}")
    return {(str(ox.NamedNode(b["s"]["value"])), b["p"]["value"], _json_term(b["o"])) for b in res.bindings}


def _json_term(t: dict[str, str]) -> str:
    if t["type"] == "uri":
        return str(ox.NamedNode(t["value"]))
    return str(ox.Literal(t["value"], datatype=ox.NamedNode(t["datatype"]))) if "datatype" in t else str(ox.Literal(t["value"]))


def rebuild(store: Any, now: str | None = None) -> int:
    """Recompute the whole summary graph from the article graphs in ``store`` (one SPARQL Update).
    Returns the number of rows' triples written."""
    update = rebuild_update(store.query, now)
    store.update(update)
    return update.count("\n")


def check(store: Any) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    """(stored - rebuilt, rebuilt - stored): both empty when the incremental summary is right."""
    have = stored_rows(store.query)
    want = {(str(t.subject), t.predicate.value, str(t.object)) for t in full_rows(store.query)}
    return have - want, want - have
