"""The evaluation JSON of ``../shared/eval/FORMAT.md``: one file per page, in the gold shape.

Contract: ``page_record(page_name, articles) -> dict``; reads the articles' entities, events and
links, writes nothing. Extra event fields (confidence, evidence offsets, modality) are allowed
by the format and kept, so a reader can trace each event to its sentence.
"""
from __future__ import annotations

from typing import Any

from ._models import Article, Entity, Event

KIND_KEYS = {"person": "people", "state": "states", "place": "places", "organization": "organizations"}


def entity_record(entity: Entity) -> dict[str, Any]:
    rec: dict[str, Any] = {"name": entity.name, "mentions": entity.surface_forms() or [entity.name],
                           "wikidata": entity.wikidata}
    if entity.roles:
        rec["roles"] = entity.roles
    if entity.role_of:
        rec["role_of"] = entity.role_of
    if entity.link is not None:
        rec["link"] = {"score": round(entity.link.score, 4), "method": entity.link.method,
                       "needs_relink": entity.link.needs_relink}
    return rec


def event_record(event: Event) -> dict[str, Any]:
    rec: dict[str, Any] = {"type": event.type}
    if event.type == "attack":
        rec.update(place=event.place, date=event.date, killed=event.killed, injured=event.injured,
                   perpetrators=event.perpetrators, blamed=event.blamed, target=event.target)
    else:
        rec.update(participants=event.participants, place=event.place, date=event.date)
        if event.type == "agreement":
            rec.update(signatories=event.signatories, duration_years=event.duration_years, topics=event.topics)
        if event.host:
            rec["host"] = event.host
    if event.modality != "asserted":
        rec["modality"] = event.modality
        rec["why"] = event.why
    if event.evidence:
        ev = event.evidence[0]
        rec["evidence"] = ev.sentence
        rec["evidence_spans"] = [{"start": e.start, "end": e.end, "rule": e.rule, "confidence": e.confidence}
                                 for e in event.evidence]
    rec["confidence"] = event.confidence
    return rec


def article_record(article: Article) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": article.id, "headline": article.headline, "published": article.published}
    for kind, key in KIND_KEYS.items():
        rec[key] = [entity_record(e) for e in article.entities if e.kind == kind]
    rec["events"] = [event_record(e) for e in article.events]
    rec["non_events"] = [event_record(e) for e in article.non_events]
    return rec


def page_record(page_name: str, articles: list[Article]) -> dict[str, Any]:
    return {"page": page_name, "articles": [article_record(a) for a in articles]}
