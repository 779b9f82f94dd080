"""spaCy pipeline components that newsgraph adds to a stock English pipeline.

    tok2vec tagger [newsgraph_paragraphs] parser attribute_ruler* lemmatizer ner
        [newsgraph_gazetteer] [newsgraph_dates]

- ``attribute_ruler``*: the stock component's patterns, matched through an index
  (``_attribute_ruler``; the same matches, a tenth of the time).

- ``newsgraph_paragraphs``: a paragraph break (blank line) always starts a sentence; the headline
  and captions have no full stop, so the parser would otherwise run them into the body.
- ``newsgraph_gazetteer``: states by name, demonym, capital and seat of government (PhraseMatcher
  over the shipped gazetteer), and named sites ("Miraflores presidential palace") the small model
  misses (Matcher). Fixes ``doc.ents`` and writes ``doc.spans["ng_states"]``.
- ``newsgraph_dates``: date expressions (spaCy DATE/TIME entities and weekday mentions), resolved
  against the article's base date. Writes ``doc.spans["ng_dates"]`` (``kb_id_`` = ISO date) and
  infers ``doc.user_data["ng_published"]`` when the page did not give it.

Inputs a caller sets on the Doc before the pipeline (``doc.user_data``): ``ng_published`` (ISO or
None) and ``ng_caption_dates`` (ISO strings of the captions' absolute dates).
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from ._attribute_ruler import index_attribute_ruler
from ._dates import WEEKDAYS, is_future_context, resolve
from ._gazetteer import load_gazetteer
from ._lexicon import FACILITY_HEADS

STATES_KEY = "ng_states"
_PLACE_NOUNS = {"city", "town", "port", "village", "province", "region", "district", "governorate", "county"}
_SITE_MODIFIERS = {"presidential", "royal", "international", "air", "military", "grand"}
DATES_KEY = "ng_dates"


@Language.component("newsgraph_paragraphs", assigns=["token.is_sent_start"])
def paragraph_breaks(doc: Doc) -> Doc:
    """Start a sentence after every blank line.

    doc (Doc): the document, before the parser.
    RETURNS (Doc): the same document with sentence starts preset.
    """
    for tok in doc[:-1]:
        if tok.is_space and "\n" in tok.text or "\n\n" in tok.whitespace_ or (tok.text_with_ws.endswith("\n") and tok.i + 1 < len(doc)):
            doc[tok.i + 1].is_sent_start = True
    return doc


def _core_end(span: Span) -> int:
    """The end of an entity without a trailing possessive "'s"."""
    end = span.end
    while end > span.start + 1 and span.doc[end - 1].tag_ == "POS":
        end -= 1
    return end


class StateGazetteer:
    """Mark states (names, demonyms, capitals used as metonyms) and named sites."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self.gazetteer = load_gazetteer()
        self.forms = self.gazetteer.by_text()
        self.phrases = PhraseMatcher(nlp.vocab, attr="ORTH")
        for text in self.forms:
            self.phrases.add(text, [nlp.make_doc(text)])
        # named sites: a facility noun ("palace", "airport") after proper nouns; the head words are
        # found with a PhraseMatcher on LOWER, the names by walking left (cheaper than a Matcher "+")
        self.site_heads = PhraseMatcher(nlp.vocab, attr="LOWER")
        for head in sorted(FACILITY_HEADS):
            self.site_heads.add("SITE_HEAD", [nlp.make_doc(head)])

    def _named_places(self, doc: Doc, ents: list[Span]) -> list[Span]:
        """ "the port of Odesa", "the town of Jableh": a place the model did not tag (or took for a
        body or a person: "the port of [Lamu]" as ORG)."""
        taken = {t.i for e in ents if e.label_ not in ("ORG", "PERSON", "NORP") for t in e}
        out = []
        for tok in doc[:-2]:
            if tok.lower_ in _PLACE_NOUNS and doc[tok.i + 1].lower_ == "of":
                j = tok.i + 2
                while j < len(doc) and doc[j].pos_ == "PROPN" and doc[j].is_title and j not in taken:
                    j += 1
                if j > tok.i + 2 and (j == len(doc) or doc[j].pos_ != "PROPN"):
                    out.append(Span(doc, tok.i + 2, j, label="GPE"))
        return out

    def _sites(self, doc: Doc) -> list[Span]:
        out = []
        for _, start, end in self.site_heads(doc):
            i = start
            if i > 0 and doc[i - 1].lower_ in _SITE_MODIFIERS:
                i -= 1
            j = i
            while j > 0 and doc[j - 1].pos_ == "PROPN" and doc[j - 1].is_title and not doc[j].is_sent_start:
                j -= 1
            if j < i:
                out.append(Span(doc, j, end, label="FAC"))
        return out

    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.ents)
        state_spans: list[Span] = []
        for match_id, start, end in self.phrases(doc):
            text = doc[start:end].text
            form = self.forms.get(text)
            if form is None:
                continue
            # "Jordan" in "Michael Jordan" or "the Jordan Valley" is not the state
            containing = [e for e in ents if e.start <= start and _core_end(e) >= end
                          and (_core_end(e) - e.start) > (end - start)]  # "[Burkina Faso's]PERSON" is the state
            if containing and containing[0].label_ in ("PERSON", "FAC", "LOC", "WORK_OF_ART", "EVENT", "LAW"):
                if containing[0].label_ == "PERSON" or form.via != "demonym":
                    continue
            if start > 0 and doc[start - 1].is_title and doc[start - 1].pos_ == "PROPN" \
                    and not doc[start - 1].is_sent_start and form.via == "name" and doc[start - 1].ent_type_ == "PERSON":
                continue
            state_spans.append(Span(doc, start, end, label=form.via, kb_id=form.qid))
        state_spans = filter_spans(state_spans)
        doc.spans[STATES_KEY] = state_spans
        new: list[Span] = []
        for sp in state_spans:
            label = "NORP" if sp.label_ == "demonym" else "GPE"
            overlapping = [e for e in ents if e.start < sp.end and e.end > sp.start]
            if any(e.start <= sp.start and e.end >= sp.end and len(e) > len(sp) and e.label_ != "GPE"
                   for e in overlapping):
                continue  # inside a longer name ("Iranian Foreign Ministry"): the name stays
            ents = [e for e in ents if e not in overlapping]
            new.append(Span(doc, sp.start, sp.end, label=label, kb_id=sp.kb_id))
        for sp in self._sites(doc):
            while sp.start < sp.end and (sp[0].is_sent_start or sp[0].ent_type_ in ("GPE", "NORP")
                                         and sp[0].text in self.forms):
                if sp[0].text in self.forms or sp[0].lower_ == "the":
                    sp = Span(doc, sp.start + 1, sp.end, label="FAC")
                else:
                    break
            if len(sp) < 2 or not sp[0].is_title:
                continue
            new.append(sp)
        new += self._named_places(doc, ents + new)
        new = filter_spans(new)
        kept = [e for e in ents if not any(e.start < n.end and e.end > n.start for n in new)]
        doc.ents = filter_spans(kept + new)
        return doc


@Language.factory("newsgraph_gazetteer", assigns=["doc.ents", "doc.spans"], requires=["doc.ents"])
def make_state_gazetteer(nlp: Language, name: str) -> StateGazetteer:
    """States by name/demonym/capital and named sites. RETURNS (StateGazetteer)."""
    return StateGazetteer(nlp, name)


_WEEKDAY_NAMES = frozenset(w.capitalize() for w in WEEKDAYS)
_BARE_DATE = re.compile(r"^(the\s+)?(\d{1,3}|first|second|third|\w+th)$", re.IGNORECASE)


def _base(published: str | None, caption_dates: list[str]) -> date | None:
    for iso in [published, *caption_dates]:
        if iso:
            try:
                return date.fromisoformat(iso[:10])
            except ValueError:
                continue
    return None


def date_mentions(doc: Doc) -> list[Span]:
    """Date expressions: DATE/TIME entities, plus weekday words the model did not tag."""
    spans = [e for e in doc.ents if e.label_ in ("DATE", "TIME")]
    covered = {t.i for e in spans for t in e}
    for tok in doc:
        if tok.text in _WEEKDAY_NAMES and tok.i not in covered:
            start = tok.i - 1 if tok.i > 0 and doc[tok.i - 1].lower_ in ("last", "next", "this") else tok.i
            spans.append(doc[start:tok.i + 1])
    out = []
    for sp in list(spans):
        # "a week" + "after": a relative date the model cuts short
        if sp.end < len(doc) and doc[sp.end].lower_ in ("after", "before") and re.fullmatch(
                r"(a|an|one|two|three|four|five|six|seven|\d+) (day|week)s?", sp.text.lower()):
            sp = doc[sp.start:sp.end + 1]
        # "October 7" + ", 2023": the model often leaves the year out of the entity
        end = sp.end
        if end + 1 < len(doc) and doc[end].text == "," and re.fullmatch(r"(19|20)\d\d", doc[end + 1].text):
            sp = doc[sp.start:end + 2]
        elif end < len(doc) and re.fullmatch(r"(19|20)\d\d", doc[end].text):
            sp = doc[sp.start:end + 1]
        # "the 20-year" or "22" alone are not dates; "two days" without "ago" is a duration
        if _BARE_DATE.match(sp.text) or re.search(r"\d+-(year|day|month|week)", sp.text):
            continue
        out.append(sp)
    return sorted(out, key=lambda s: s.start)


def _past_report(sp: Span) -> bool:
    """A weekday mention in a sentence about what already happened (not "is due on Friday")."""
    sent = sp.sent.text.lower()
    if is_future_context(sent):
        return False
    head = sp.root.head
    for _ in range(8):
        # up to the finite verb: "signed a pact on sharing water on Wednesday" hangs on "sharing"
        if head.pos_ in ("VERB", "AUX") and head.tag_ not in ("VBG", "VB") or head.head.i == head.i:
            break
        head = head.head
    return head.tag_ in ("VBD", "VBN") or any(c.tag_ == "VBD" for c in head.children)


def _speaks_of_future(sp: Span) -> bool:
    """Whether the verb a date expression hangs on is in the future ("will meet on Friday")."""
    tok = sp.root
    for _ in range(4):
        if tok.pos_ in ("VERB", "AUX") or tok.head.i == tok.i:
            break
        tok = tok.head
    for t in [tok, tok.head]:
        if any(c.dep_ in ("aux", "auxpass") and c.lower_ in ("will", "'ll", "shall", "would") for c in t.children):
            return True
        if t.lemma_ in ("due", "expect", "plan", "schedule") or t.lower_ == "due":
            return True
    return sp.text.lower().startswith("next")


def infer_published(doc: Doc, caption_dates: list[str], mentions: list[Span]) -> str | None:
    """The publication date a reader infers from the caption's date and the weekdays the text uses.

    A news photo is dated the day of the event, and the story runs that day or the next. So:
    the caption's date C, moved to C+1 when the text reports (in the past tense) something that
    happened on the weekday of C+1 — the report is then at least that late. Without a caption
    date there is nothing to anchor weekdays on: None.
    """
    if not caption_dates:
        return None
    c = date.fromisoformat(caption_dates[-1])
    nxt = c + timedelta(days=1)
    for sp in mentions:
        words = sp.text.lower().split()
        for i, w in enumerate(words):
            w = w.replace("'s", "")
            if w in WEEKDAYS and (i == 0 or words[i - 1] not in ("last", "next", "this")):
                if WEEKDAYS.index(w) == nxt.weekday() and _past_report(sp):
                    return nxt.isoformat()
    return c.isoformat()


class DateResolver:
    """Resolve the date expressions of an article against its publication (or caption) date."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        published = doc.user_data.get("ng_published")
        caption_dates = [d for d in doc.user_data.get("ng_caption_dates", []) if d]
        mentions = date_mentions(doc)
        if not published:
            published = infer_published(doc, caption_dates, mentions)
            doc.user_data["ng_published_inferred"] = published
        base = _base(published, caption_dates)
        resolved = []
        for sp in mentions:
            iso = resolve(sp.text, base, _speaks_of_future(sp))
            if iso:
                resolved.append(Span(doc, sp.start, sp.end, label="DATE", kb_id=iso))
        doc.spans[DATES_KEY] = resolved
        doc.user_data["ng_base"] = base.isoformat() if base else None
        return doc


@Language.factory("newsgraph_dates", assigns=["doc.spans"], requires=["doc.ents", "doc.sents"])
def make_date_resolver(nlp: Language, name: str) -> DateResolver:
    """Date resolution against the article's base date. RETURNS (DateResolver)."""
    return DateResolver(name)


def add_components(nlp: Language) -> Language:
    """Add newsgraph's components to a stock English pipeline (in place). RETURNS (Language)."""
    if "newsgraph_paragraphs" not in nlp.pipe_names:
        before: dict[str, Any] = {"before": "parser"} if "parser" in nlp.pipe_names else {}
        nlp.add_pipe("newsgraph_paragraphs", **before)
    if "newsgraph_gazetteer" not in nlp.pipe_names:
        nlp.add_pipe("newsgraph_gazetteer", last=True)
    if "newsgraph_dates" not in nlp.pipe_names:
        nlp.add_pipe("newsgraph_dates", last=True)
    index_attribute_ruler(nlp)
    return nlp
