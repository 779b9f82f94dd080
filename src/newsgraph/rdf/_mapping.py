"""The small record -> JSON step; the JSON-LD context in ``mappings/`` says what every key means.

This module decides *which* nodes exist and what their IRIs are; it never names an RDF property.
Property IRIs, datatypes and containers live in ``mappings/newsgraph.context.jsonld`` and the
pyoxigraph JSON-LD 1.1 parser turns the document into quads. Dates are routed to the key whose
context entry has the right datatype (``event_date``/``event_month``/``event_year``), so the context
stays the one place that types literals.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from .._models import NIL, Article, Entity, Event, Evidence
from ..errors import MappingError
from . import _namespaces as ns

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_YEAR = re.compile(r"^\d{4}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
_QID = re.compile(r"^Q[1-9]\d*$")

ENTITY_CLASSES = {
    "person": ["ng:Person", "schema:Person"],
    "state": ["ng:State", "schema:Country"],
    "place": ["ng:Place", "schema:Place"],
    "organization": ["ng:Organization", "schema:Organization"],
    "entity": ["ng:NamedEntity"],  # a name an event uses that the article's entity lists lack
}
EVENT_CLASSES = {"meeting": "ng:Meeting", "attack": "ng:Attack", "agreement": "ng:Agreement"}
MODALITIES = {
    "asserted": "ng:Asserted", "claimed": "ng:Claimed", "planned": "ng:Planned",
    "denied": "ng:Denied", "hypothetical": "ng:Hypothetical", "negated": "ng:Negated",
}
#: Modalities under which a happening is reported as having happened: typed as an ng:Event.
EVENT_MODALITIES = frozenset({"asserted", "claimed"})


@lru_cache(maxsize=1)
def context() -> dict[str, Any]:
    path = ns.mappings_dir() / "newsgraph.context.jsonld"
    try:
        ctx: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["@context"]
    except (OSError, ValueError, KeyError) as exc:
        raise MappingError(f"JSON-LD context {path} cannot be read: {exc}") from exc
    return ctx


@lru_cache(maxsize=8)
def context_for(terms: frozenset[str]) -> dict[str, Any]:
    """The mapping's context cut down to ``terms``, with its prefixes and keyword aliases: for small
    documents, whose parse would otherwise spend most of its time processing the whole context."""
    ctx = context()
    missing = terms - ctx.keys()
    if missing:
        raise MappingError(f"terms missing from the JSON-LD context: {', '.join(sorted(missing))}")
    return {k: v for k, v in ctx.items()
            if k in terms or k.startswith("@") or (isinstance(v, str) and (v.startswith("@") or v.endswith(("/", "#"))))}


def _date_key(prefix: str, value: str | None, *, article_id: str) -> dict[str, str]:
    if not value:
        return {}
    v = value.strip()
    if _DATE.match(v):
        return {f"{prefix}_date": v}
    if _MONTH.match(v):
        return {f"{prefix}_month": v}
    if _YEAR.match(v):
        return {f"{prefix}_year": v}
    if prefix == "event" and _DATETIME.match(v):
        return {"event_datetime": v}
    if prefix == "event":
        return {"date_text": v}
    raise MappingError(f"published date {value!r} is not an ISO date", article_id=article_id)


def _datetime(value: str | None, *, what: str, article_id: str) -> str | None:
    if value is None or value == "":
        return None
    if not _DATETIME.match(value):
        raise MappingError(f"{what} {value!r} is not an ISO 8601 date-time", article_id=article_id)
    return value


class _Resolver:
    """Names used by events -> entity IRIs of the same article (by name, then by mention, then QID)."""

    def __init__(self, article: Article) -> None:
        self.by_name: dict[str, Entity] = {}
        self.by_mention: dict[str, Entity] = {}
        self.by_qid: dict[str, Entity] = {}
        for e in article.entities:
            self.by_name.setdefault(ns.clean_name(e.name).casefold(), e)
            for m in e.mentions:
                self.by_mention.setdefault(m.text.casefold(), e)
            if e.wikidata:
                self.by_qid.setdefault(e.wikidata, e)
        self.extra: dict[str, dict[str, Any]] = {}  # dangling names, minted as ng:NamedEntity

    def entity(self, name: str) -> Entity | None:
        key = ns.clean_name(name).casefold()
        return self.by_name.get(key) or self.by_mention.get(key) or self.by_qid.get(name.strip())

    def iri(self, name: str) -> str:
        e = self.entity(name)
        if e is not None:
            return ns.entity_iri(e.kind, e.name)
        name = name.strip()
        iri = ns.entity_iri("entity", name)
        if iri not in self.extra:
            node: dict[str, Any] = {"id": iri, "type": ENTITY_CLASSES["entity"], "label": ns.clean_name(name)}
            if _QID.match(name):
                node["same_as"] = ns.wikidata_iri(name)
            self.extra[iri] = node
        return iri

    def iris(self, names: list[str]) -> list[str]:
        seen: dict[str, None] = {}
        for n in names:
            if n and n.strip():
                seen.setdefault(self.iri(n), None)
        return list(seen)


def _evidence(owner: str, items: list[Evidence]) -> list[dict[str, Any]]:
    return [
        {"id": f"{owner}/evidence/{i}", "type": ["ng:Evidence"], "sentence": ev.sentence,
         "start": int(ev.start), "end": int(ev.end), "rule": ev.rule, "confidence": float(ev.confidence)}
        for i, ev in enumerate(items)
    ]


def _happening(iri: str, ev: Event, *, article: Article, art_iri: str, res: _Resolver) -> list[dict[str, Any]]:
    """The node shared by events and reported statements: who, where, when, how many, evidence."""
    node: dict[str, Any] = {"id": iri, "reported_in": art_iri, "confidence": float(ev.confidence),
                            "modality": MODALITIES.get(ev.modality, "ng:Asserted")}
    node.update(_date_key("event", ev.date, article_id=article.id))
    if ev.place and ev.place.strip():
        node["place"] = res.iri(ev.place)
    participants = res.iris(ev.participants)
    if ev.type == "meeting":
        node["participant"] = participants
        if ev.host and ev.host.strip():
            host = res.iri(ev.host)
            node["host"] = [host]
            node["guest"] = [p for p in participants if p != host]
            if host not in participants:
                node["participant"] = [host, *participants]
    elif ev.type == "agreement":
        signatories = res.iris(ev.signatories)
        node["party"] = participants
        node["signatory"] = signatories
        node["participant"] = list(dict.fromkeys([*participants, *signatories]))
    else:
        node["participant"] = participants
    if ev.type == "attack" or ev.perpetrators or ev.blamed:
        node["perpetrator"] = res.iris(ev.perpetrators)
        node["blamed_on"] = res.iris(ev.blamed)
    if ev.target and ev.target.strip():
        node["target_description"] = ev.target.strip()
        hit = res.entity(ev.target)
        if hit is not None:
            node["target"] = ns.entity_iri(hit.kind, hit.name)
    if ev.killed is not None:
        node["killed"] = int(ev.killed)
    if ev.injured is not None:
        node["injured"] = int(ev.injured)
    if ev.topics:
        node["topic"] = [t for t in dict.fromkeys(t.strip() for t in ev.topics) if t]
    if ev.duration_years is not None:
        node["duration_years"] = int(ev.duration_years)
    if ev.why:
        node["why"] = ev.why
    evidence = _evidence(iri, ev.evidence)
    node["evidence"] = [e["id"] for e in evidence]
    return [node, *evidence]


def _attack_country(ev: Event, article: Article, res: _Resolver) -> str | None:
    """The state an attack happened in, for ``ng:country`` (the rule queries/attacks-per-country.rq
    documents): its place when the place is a state; else the one state mentioned inside its
    evidence sentence(s); else the one state the article names; else none.

    Derived here, from the same records the article graph states, so that corpus-wide queries read
    one triple per attack instead of joining every attack with every mention of its article."""
    if ev.place and ev.place.strip():
        hit = res.entity(ev.place)
        if hit is not None and hit.kind == "state":
            return ns.entity_iri(hit.kind, hit.name)
    states = [e for e in article.entities if e.kind == "state"]
    in_evidence = {ns.entity_iri(e.kind, e.name) for e in states for m in e.mentions
                   if any(x.start <= m.start < x.end for x in ev.evidence)}
    if len(in_evidence) == 1:
        return in_evidence.pop()
    named = {ns.entity_iri(e.kind, e.name) for e in states}
    return named.pop() if len(named) == 1 else None


def _entity_nodes(e: Entity) -> dict[str, Any]:
    node: dict[str, Any] = {"id": ns.entity_iri(e.kind, e.name), "type": ENTITY_CLASSES[e.kind],
                            "label": ns.clean_name(e.name)}
    if e.wikidata:
        node["same_as"] = ns.wikidata_iri(e.wikidata)
    return node


def documents(article: Article, *, extracted_at: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Article -> (JSON-LD document of the article graph, JSON-LD document of its entity facts)."""
    aid = article.id
    if not aid:
        raise MappingError("article has no id", article_id=None)
    art = ns.article_iri(aid)
    graph = ns.graph_iri(aid)
    extracted = _datetime(extracted_at, what="extracted_at", article_id=aid)
    if extracted is None:
        raise MappingError("extracted_at is required", article_id=aid)
    res = _Resolver(article)
    nodes: list[dict[str, Any]] = []

    # --- provenance of the graph: page, fetch, extraction activity, software ----------------
    page = ns.page_iri(article.page_sha256 or f"unknown-{aid}")
    page_node: dict[str, Any] = {"id": page, "type": ["ng:Page"], "source": article.source or ""}
    if article.page_sha256:
        page_node["sha256"] = article.page_sha256
    if article.page_name:
        page_node["page_name"] = article.page_name
    if article.source.startswith(("http://", "https://")):
        page_node["url"] = article.source
    fetched = _datetime(article.fetched_at, what="fetched_at", article_id=aid)
    if fetched:
        page_node["fetched_at"] = fetched
    software_name = article.extractor or "unknown"
    software = ns.software_iri(software_name)
    activity = f"{ns.ID}extraction/{aid}"
    # the extractor is described once, in the shared graph (its label in every article graph would
    # multiply rows in the union default graph, like entity labels)
    software_node = {"id": software, "type": ["ng:Extractor"], "label": software_name}
    nodes += [
        page_node,
        {"id": activity, "type": ["ng:Extraction"], "used": page, "ended_at": extracted,
         "associated_with": software},
        {"id": graph, "type": ["ng:ArticleGraph"], "describes": art, "derived_from": page,
         "generated_by": activity, "generated_at": extracted},
    ]

    # --- the article -------------------------------------------------------------------------
    article_node: dict[str, Any] = {
        "id": art, "type": ["ng:Article", "schema:NewsArticle"], "identifier": aid, "headline": article.headline,
        "text": article.text, "body_start": int(article.body_start), "page": page,
        "position_on_page": int(article.index),
    }
    article_node.update(_date_key("published", article.published, article_id=aid))
    captions = []
    for i, c in enumerate(article.captions):
        cap: dict[str, Any] = {"id": f"{art}/caption/{i}", "type": ["ng:Caption"], "caption_text": c.text}
        if c.credit:
            cap["credit"] = c.credit
        if c.date and _DATE.match(c.date):
            cap["caption_date"] = c.date
        captions.append(cap)
    article_node["caption"] = [c["id"] for c in captions]
    nodes += captions

    # --- what the article says about its entities ---------------------------------------------
    mentioned: list[str] = []
    for e in article.entities:
        eiri = ns.entity_iri(e.kind, e.name)
        mentioned.append(eiri)
        ekey = eiri.rsplit("/", 1)[1]
        for m in e.mentions:
            mid = f"{ns.ID}mention/{aid}/{ekey}/{m.start}-{m.end}"
            nodes.append({"id": mid, "type": ["ng:Mention"], "mention_of": eiri, "in_article": art,
                          "surface_form": m.text, "start": int(m.start), "end": int(m.end),
                          "section": m.section})
        if e.roles or e.role_of:
            claim: dict[str, Any] = {"id": eiri, "role_title": list(dict.fromkeys(e.roles))}
            if e.role_of:
                claim["official_of"] = res.iri(e.role_of)
            nodes.append(claim)
        if e.link is not None:
            lid = f"{ns.ID}link/{aid}/{ekey}"
            target = "ng:NIL" if e.link.qid in (NIL, "", None) else ns.wikidata_iri(e.link.qid)
            cands = [
                {"id": f"{lid}/candidate/{r}", "type": ["ng:LinkCandidate"],
                 "candidate_item": ns.wikidata_iri(c.qid), "label": c.label, "link_score": float(c.score),
                 "rank": r}
                for r, c in enumerate(e.link.candidates) if _QID.match(c.qid)
            ]
            nodes.append({"id": lid, "type": ["ng:LinkDecision"], "link_of": eiri, "in_article": art,
                          "link_target": target, "link_score": float(e.link.score),
                          "link_method": e.link.method, "needs_relink": bool(e.link.needs_relink),
                          "candidate": [c["id"] for c in cands]})
            nodes += cands

    # --- events and reported statements ------------------------------------------------------
    counters: dict[str, int] = {}
    statements: list[Event] = []
    for ev in article.events:
        if ev.modality not in EVENT_MODALITIES:
            statements.append(ev)
            continue
        n = counters.get(ev.type, 0)
        counters[ev.type] = n + 1
        iri = ns.event_iri(aid, ev.type, n)
        happening = _happening(iri, ev, article=article, art_iri=art, res=res)
        happening[0]["type"] = [EVENT_CLASSES[ev.type], "ng:Event", "schema:Event"]
        if ev.type == "attack":
            country = _attack_country(ev, article, res)
            if country is not None:
                happening[0]["country"] = country
        nodes += happening
    for n, ev in enumerate([*statements, *article.non_events]):
        iri = ns.statement_iri(aid, n)
        # a non-event whose extractor left the default modality: not asserted, reason in ng:why
        ev_mod = "ng:Unspecified" if ev.modality in EVENT_MODALITIES else MODALITIES[ev.modality]
        happening = _happening(iri, ev, article=article, art_iri=art, res=res)
        happening[0]["type"] = ["ng:ReportedStatement"]
        happening[0]["modality"] = ev_mod
        happening[0]["stated_event_type"] = EVENT_CLASSES[ev.type]
        nodes += happening

    for extra in res.extra.values():
        mentioned.append(extra["id"])
    article_node["mentions_entity"] = list(dict.fromkeys(mentioned))
    nodes.insert(0, article_node)

    # --- entity facts, kept once in the shared entities graph ---------------------------------
    entity_nodes: dict[str, dict[str, Any]] = {}
    for e in article.entities:
        node = _entity_nodes(e)
        prev = entity_nodes.get(node["id"])
        if prev and "same_as" in prev and "same_as" not in node:
            continue
        entity_nodes[node["id"]] = node
    for iri, extra in res.extra.items():
        entity_nodes.setdefault(iri, extra)
    # the roles the article states, once more as an index in the shared graph (ng:reportedOfficialOf):
    # the article graphs repeat "X is an official of S" in every article, which a query over their
    # union must de-duplicate at a cost growing with the corpus; the entities graph holds each pair once
    for e in article.entities:
        if e.role_of and e.role_of.strip():
            node = entity_nodes[ns.entity_iri(e.kind, e.name)]
            states = node.setdefault("reported_official_of", [])
            state = res.iri(e.role_of)
            if state not in states:
                states.append(state)
    entity_nodes[software] = software_node

    ctx = context()
    return ({"@context": ctx, "@id": graph, "@graph": nodes},
            {"@context": ctx, "@id": ns.ENTITIES_GRAPH, "@graph": list(entity_nodes.values())})
