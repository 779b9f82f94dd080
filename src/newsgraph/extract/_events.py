"""From an annotated Doc and its entities to events: meetings, attacks and agreements.

Each sentence is read for a trigger (a meeting, attack or agreement verb or noun, from the
general lexicons in ``_lexicon``). The trigger's clause gives the arguments: the people, states,
places and dates inside the subtree of the trigger (or of the verb that governs a trigger noun:
"held talks", "signed a pact"). Pronouns and role nouns ("he", "the king", "the two leaders")
are resolved to the nearest earlier person of the article.

What is not an event: a trigger under a future or modal auxiliary, a plan/hope/expectation verb,
a negation or a denial; a meeting by telephone. Those go to ``non_events`` with their modality.

One event per real-world happening: mentions of the same type merge when their participants
agree (meetings, agreements), or, for attacks, unless a mention names another date.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from .._models import Entity, Event, Evidence, Modality, Section
from ._components import DATES_KEY
from ._dates import MONTHS, WEEKDAYS, words_to_int
from ._gazetteer import load_gazetteer
from ._lexicon import (
    AGREEMENT_NOUNS,
    AGREEMENT_VERBS,
    ATTACK_NOUNS,
    ATTACK_VERBS,
    DENIAL_LEMMAS,
    FACILITY_HEADS,
    HYPOTHETICAL_LEMMAS,
    MEETING_NOUNS,
    MEETING_VERBS,
    PHONE_WORDS,
    PLANNED_LEMMAS,
    ROLE_ANAPHORS,
    ROLE_HEADS,
)

#: Verbs that conclude a pact named as their object: "reached an agreement", "struck a deal".
_DEAL_VERBS = {"reach", "strike", "seal", "initial", "initialed", "initialled", "clinch", "finalize", "finalise",
               "forge"}


_TRIGGER_WORDS = (MEETING_VERBS | MEETING_NOUNS | ATTACK_VERBS | ATTACK_NOUNS | AGREEMENT_VERBS | AGREEMENT_NOUNS
                  | _DEAL_VERBS | {"blow", "fire", "meets", "talks", "signature", "signatures", "attacks", "strikes", "bombings", "airstrikes", "bombers",
                     "gunmen", "blasts", "explosions", "raids", "assaults", "ambushes", "shootings", "massacres"})
_FUTURE_AUX = {"will", "would", "shall", "'ll", "could", "might", "may", "should", "must"}
_SPEECH = {"say", "tell", "announce", "state", "add", "write", "report", "quote"}
_REPORTING = _SPEECH | {"claim", "deny", "condemn", "blame", "confirm", "warn", "vow", "declare"}
_NUM = (r"(?:\d[\d,]*|(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:one|two|three|four|"
        r"five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
        r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|a dozen))")
_QUAL = r"(?:at least |more than |some |about |nearly |around |over |up to |almost )?"
_VICTIM = r"(?:\s+(?:\w+\s+){0,2}?(?:people|persons|civilians|soldiers|troops|police(?:men)?|officers|" \
          r"worshippers|fighters|militants|members|children|women|men|others|pilgrims|passengers))?"


def _count(text: str, verbs: str, adjectives: str) -> int | None:
    """A casualty count: "killed 22", "killing at least fifteen people", "39 people were killed"."""
    low = text.lower()
    m = re.search(rf"\b(?:{verbs})\s+{_QUAL}({_NUM})\b(?!-year|-day|-month| years| months| days| percent|%)", low)
    if m:
        return words_to_int(m.group(1))
    m = re.search(rf"\b{_QUAL}({_NUM}){_VICTIM}(?:,[^,;]{{1,60}},)?\s+(?:were |had been |have been |was |are )?"
                  rf"(?:{adjectives})\b", low)  # "12 people, including three children, were killed"
    if m:
        return words_to_int(m.group(1))
    m = re.search(rf"\b(?:{verbs})\s+(?:a|an|one)\s+(?:\w+\s+){{0,2}}?(?:man|woman|person|civilian|soldier|"
                  rf"child|boy|girl|officer|policeman)\b", low)
    if m:
        return 1
    m = re.search(rf"death toll\s+(?:\w+\s+){{0,4}}?(?:to|at|of)\s+{_QUAL}({_NUM})\b", low)
    if m and "kill" in verbs:
        return words_to_int(m.group(1))
    return None


_NONE_KILLED = re.compile(r"\b(no one|nobody|no people|none) (was|were|had been) (killed|hurt|injured|wounded)"
                          r"|\bno (casualties|deaths|fatalities)\b", re.IGNORECASE)
_TOLL = re.compile(rf"\b(?:death )?toll\b[^.;]{{0,40}}?\b(?:to|at|of|reached|stood at)\s+{_QUAL}({_NUM})\b", re.IGNORECASE)


def killed_in(text: str) -> int | None:
    """Deaths a sentence reports; a stated toll wins over a partial count, "no one was killed" is 0."""
    m = _TOLL.search(text)
    if m:
        return words_to_int(m.group(1))
    if _NONE_KILLED.search(text):
        return 0
    return _count(text, "kill|killed|killing|kills|left", "killed|dead|died|were killed")


def injured_in(text: str) -> int | None:
    if _NONE_KILLED.search(text):
        return 0
    return _count(text, "injured|injuring|wounded|wounding|injure|wound", "injured|wounded|hurt")


@dataclass
class Mention:
    """One sentence's report of an event, before merging."""

    type: str
    trigger: Token
    participants: list[Entity] = field(default_factory=list)
    signatories: list[Entity] = field(default_factory=list)
    perpetrators: list[Entity] = field(default_factory=list)
    blamed: list[Entity] = field(default_factory=list)
    place: Entity | None = None
    date: str | None = None
    date_in_sentence: bool = False
    killed: int | None = None
    injured: int | None = None
    target: str | None = None
    duration: int | None = None
    topics: list[str] = field(default_factory=list)
    modality: Modality = "asserted"
    why: str | None = None
    rule: str = ""
    section: Section = "body"
    weak: bool = False  # a noun trigger with no date of its own: a reference back, not news
    fallback: str | None = None  # the date the context gives when the clause names none
    fallback_local: bool = False  # ... from the sentence or paragraph, not the article's lead
    separate: bool = False  # "also", "separate", "other": a distinct happening
    host: Entity | None = None  # meetings: who received the others, when the text says so
    sides: frozenset[str] = frozenset()  # meetings: the states the parties are or represent


class Reader:
    """Reads one article's doc; holds what the rules share (entity map, dates, sections)."""

    def __init__(self, doc: Doc, entities: list[Entity], by_token: dict[int, Entity],
                 sections: list[tuple[int, Section]]) -> None:
        self.doc = doc
        self.entities = entities
        self.by_token = by_token
        self.kept = {id(e) for e in entities}
        # paragraph number of every token, and the token positions of people, for quick look-backs
        self.newlines = [m.start() for m in re.finditer("\n", doc.text)]
        self.person_at = sorted(i for i, e in by_token.items() if e.kind == "person" and id(e) in self.kept)
        self.sections = sections
        self.dates = list(doc.spans.get(DATES_KEY, []))
        self.base = doc.user_data.get("ng_base")
        self.main_place: str | None = None  # where the article's lead event happened
        self.last_pair: list[Entity] = []  # the people of the latest meeting read, for "the two leaders"
        caption_dates = [d for d in doc.user_data.get("ng_caption_dates", []) if d]
        self.lead_date: str | None = caption_dates[0] if caption_dates else self.base

    # ---- helpers -------------------------------------------------------------------------
    def section(self, tok: Token) -> Section:
        sec: Section = "headline"
        for start, name in self.sections:
            if tok.idx >= start:
                sec = name
        return sec

    def ents_in(self, tokens: list[Token], kind: str) -> list[Entity]:
        """The article's entities of ``kind`` named in ``tokens``; heads of phrases before modifiers."""
        out: list[Entity] = []
        modifiers: list[Entity] = []
        seen: set[int] = set()
        for t in tokens:
            e = self.by_token.get(t.i)
            if e is None or e.kind != kind or id(e) not in self.kept or id(e) in seen:
                continue
            seen.add(id(e))
            root = t
            while self.by_token.get(root.head.i) is e and root.head.i != root.i:
                root = root.head
            # "the Damascus church" names the church's town; "the Mastung district" names the district
            demote = root.dep_ in ("compound", "amod", "nmod") and kind == "place" and not _is_site(e) \
                and root.head.lower_ not in _AREA_NOUNS
            (modifiers if demote else out).append(e)
        return out + modifiers

    def persons_before(self, tok: Token, exclude: list[Entity], n: int = 1) -> list[Entity]:
        out: list[Entity] = []
        skip = {id(e) for e in exclude}
        earlier = self.person_at[:bisect_left(self.person_at, tok.i)]
        if n == 1:
            # the nearest earlier person that was a sentence's subject ("He" continues a subject)
            for i in reversed(earlier):
                e = self.by_token[i]
                if id(e) not in skip and self.doc[i].dep_ in ("nsubj", "nsubjpass") \
                        and self.section(self.doc[i]) == "body":
                    return [e]
        for i in reversed(earlier):
            e = self.by_token[i]
            if id(e) not in skip:
                skip.add(id(e))
                out.append(e)
                if len(out) == n:
                    break
        return out

    def role_state(self, person: Entity) -> Entity | None:
        """The state (or organization) a person's title belongs to: "Iran's foreign minister"."""
        if not person.role_of:
            return None
        return next((e for e in self.entities if e.kind in ("state", "organization") and (
            e.name == person.role_of or person.role_of in e.surface_forms())), None)

    def host_state(self, place: Entity) -> Entity | None:
        """The state whose capital ``place`` is, when the article names that state."""
        forms = load_gazetteer().by_text()
        for m in place.mentions:
            form = forms.get(m.text)
            if form is not None and form.via == "capital":
                return next((e for e in self.entities if e.kind == "state" and e.name == form.state), None)
        return None

    def pair_before(self, tok: Token) -> list[Entity]:
        """The two people of the nearest earlier sentence that names two."""
        for sent in reversed([s for s in self.doc.sents if s.end <= tok.sent.start]):
            people = self.ents_in(list(sent), "person")
            if len(people) >= 2:
                return people[:2]
        return []

    def appositive_person(self, noun: Token) -> Entity | None:
        """ "the emir, Sheikh Sabah": the name set beside a role noun."""
        doc = self.doc
        if noun.i + 1 < len(doc) and doc[noun.i + 1].text == ",":
            for i in range(noun.i + 2, min(noun.i + 5, len(doc))):
                e = self.by_token.get(i)
                if e is not None and e.kind == "person" and id(e) in self.kept:
                    return e
        return None

    def role_person(self, noun: Token, exclude: list[Entity]) -> Entity | None:
        for i in range(noun.i - 1, -1, -1):
            e = self.by_token.get(i)
            if e is not None and e.kind == "person" and e not in exclude and any(
                    noun.lower_ in r.split() for r in e.roles):
                return e
        return None

    def resolve_anaphors(self, tokens: list[Token], have: list[Entity], plural: bool = False,
                         pronouns: bool = True) -> list[Entity]:
        """People that pronouns and role nouns stand for; ``plural`` also reads "they"."""
        out: list[Entity] = []
        for t in tokens:
            if not pronouns and (t.tag_ == "PRP" or t.lower_ in ("two", "leaders", "presidents", "men", "sides")):
                continue
            if plural and t.lower_ in ("they", "them") and t.tag_ == "PRP":
                out += [p for p in self.pair_before(t) if p not in have + out]
            if t.lower_ in ("he", "him", "she", "her") and t.tag_ == "PRP":
                out += self.persons_before(t, have + out)
            elif t.lower_ in ROLE_ANAPHORS and t.pos_ == "NOUN" and any(c.lower_ == "the" for c in t.children):
                p = self.appositive_person(t) or self.role_person(t, have + out)
                if p and all(p is not x for x in have + out):
                    out.append(p)
            elif t.lower_ == "two" and t.dep_ == "pobj":  # "signed a copy with the two"
                out += self.persons_before(t, have + out, n=2)
            elif t.lower_ in ("leaders", "presidents", "men", "sides") and any(c.lower_ == "two" for c in t.children):
                pair = self.last_pair or self.pair_before(t)  # the pair last reported meeting
                out += [p for p in pair if all(p is not x for x in have + out)]
        return out

    def dates_in(self, tokens: list[Token]) -> list[Span]:
        ids = {t.i for t in tokens}
        # "stepped up attacks since 2022": the start of a period, not when anything happened
        return [d for d in self.dates if d.start in ids and not (
            d.root.dep_ == "pobj" and d.root.head.lower_ in ("since", "until", "till"))]

    def date_before(self, tok: Token) -> str | None:
        """The latest date named earlier in the same paragraph."""
        here = self.para(tok.idx)
        before = [d for d in self.dates if d.end <= tok.i and self.para(d.start_char) == here]
        return before[-1].kb_id_ if before else None

    def para(self, char: int) -> int:
        """The paragraph (line) a character offset falls in."""
        return bisect_left(self.newlines, char)

    def place_before(self, tok: Token) -> Entity | None:
        """The nearest place named earlier in the paragraph, outside asides about something else
        ("Meloni, who had attended the summit in Rio, also met X": not Rio)."""
        here = self.para(tok.idx)
        mine = {a.i for a in tok.ancestors} | {tok.i}
        for i in range(tok.i - 1, -1, -1):
            if self.para(self.doc[i].idx) != here:
                return None
            e = self.by_token.get(i)
            if e is not None and e.kind == "place":
                if any(a.dep_ == "relcl" and a.i not in mine and (p := self.by_token.get(a.head.i)) is not None
                       and p.kind == "person" for a in self.doc[i].ancestors if a.sent == tok.sent):
                    continue  # a relative clause about a person tells that person's story
                return e
        return None


def _anchor(trigger: Token) -> Token:
    """The verb whose clause carries a trigger noun's arguments ("held talks", "signed a pact")."""
    tok = trigger
    for _ in range(4):
        if tok.pos_ in ("VERB", "AUX") or tok.head.i == tok.i:
            return tok
        tok = tok.head
    return tok


_CLAUSAL = {"ccomp", "advcl", "relcl", "parataxis", "acl", "csubj"}
_REL_PRONOUNS = {"who", "which", "that", "whom"}


def _local(anchor: Token, trigger: Token) -> list[Token]:
    """The anchor's own clause: its subtree minus embedded clauses, plus the trigger's subtree."""
    toks = []
    for tok in anchor.subtree:
        x, inside = tok, True
        while x.i != anchor.i and x.head.i != x.i:
            if (x.dep_ in _CLAUSAL or (x.dep_ == "conj" and x.pos_ in ("VERB", "AUX"))) and not any(
                    a.i == x.i for a in [trigger] + list(trigger.ancestors)):
                inside = False
                break
            x = x.head
        if inside:
            toks.append(tok)
    if trigger.i == anchor.i:
        return toks
    ids = {t.i for t in toks}
    return toks + [t for t in trigger.subtree if t.i not in ids]


_TAKING_PART = {"accompany", "attend", "join", "include", "bring", "lead", "head"}


def _outside_asides(tokens: list[Token], trigger: Token) -> list[Token]:
    """Drop relative and participial asides about a party ("Sharaa, who ousted Assad, met ...")."""
    path = {trigger.i} | {a.i for a in trigger.ancestors}
    out = []
    for tok in tokens:
        x, keep = tok, True
        while x.head.i != x.i and x.i not in path:
            if x.dep_ in ("relcl", "acl", "advcl", "ccomp", "parataxis") and x.pos_ in ("VERB", "AUX") \
                    and x.lemma_ not in _TAKING_PART:
                keep = False  # but "accompanied by X", "attended by X": X takes part
                break
            x = x.head
        if keep:
            out.append(tok)
    return out


def _clause(anchor: Token) -> list[Token]:
    """The anchor's subtree, plus the subject it shares with a governing verb ("arrived and met X")."""
    toks = list(anchor.subtree)
    subj = [c for c in anchor.children if c.dep_ in ("nsubj", "nsubjpass")]
    if anchor.dep_ == "relcl" and (not subj or subj[0].lower_ in _REL_PRONOUNS):
        toks += [anchor.head]
    if not subj:
        # the subject of the nearest governing verb: "arrived and met X", "said after holding talks"
        tok = anchor
        for _ in range(4):
            if tok.dep_ not in ("conj", "xcomp", "advcl", "relcl", "pcomp", "prep", "acl") or tok.head.i == tok.i:
                break
            tok = tok.head
            subj = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")]
            if tok.pos_ in ("VERB", "AUX") and subj:
                for c in subj:
                    toks += list(c.subtree)
                break
        if anchor.dep_ == "relcl":
            toks += [anchor.head]
    return toks


#: Verbs that stop what they govern from happening: "cancelled a meeting", "refused to sign".
_CALLED_OFF = {"cancel", "postpone", "scrap", "delay", "refuse", "decline", "fail", "abandon", "shelve", "boycott",
               "suspend", "skip", "snub"}


def modality_of(trigger: Token) -> tuple[Modality, str | None]:
    """Asserted unless a modal/future auxiliary, a plan or denial verb, or a negation governs it."""
    chain = [trigger] + list(trigger.ancestors)
    for tok in chain[1:]:
        if tok.lemma_ in _SPEECH or tok.dep_ in ("relcl", "acl") and tok.lemma_ not in _CALLED_OFF:
            break
        if tok.lemma_ in _CALLED_OFF:
            return "negated", f"negated: {tok.text}"  # "cancelled a planned meeting", "refused to sign"
    # "a planned meeting", "the proposed deal": spoken of before it happens
    for c in trigger.children:
        if c.dep_ == "amod" and c.lower_ in ("planned", "proposed", "possible", "potential", "upcoming",
                                             "expected", "future", "mooted", "prospective", "scheduled"):
            return "planned", f"planned: {c.text} {trigger.text}"
    for i, tok in enumerate(chain):
        for c in tok.children:
            if c.dep_ == "neg":
                return "negated", f"negated: {c.text} {tok.text}"
            if c.dep_ == "aux" and c.lower_ in _FUTURE_AUX:
                if i > 0 and tok.lemma_ in _SPEECH:
                    break
                return ("hypothetical" if c.lower_ in ("could", "might", "may", "would") else "planned",
                        f"{c.text} {tok.text}")
        if tok.lemma_ in DENIAL_LEMMAS:
            return "denied", f"denied: {tok.text}"
        if i > 0 and tok.lemma_ in HYPOTHETICAL_LEMMAS:
            return "hypothetical", f"{tok.text}"
        if i > 0 and tok.lemma_ in PLANNED_LEMMAS and (
                chain[i - 1].dep_ in ("xcomp", "ccomp", "dobj", "nsubjpass", "attr", "acomp")
                or (chain[i - 1].dep_ == "prep" and tok.lemma_ in ("call", "look", "hope", "wait", "plan"))):
            return "planned", f"planned: {tok.text}"  # "agreed to meet", "called for a meeting"
        if any(c.dep_ == "aux" and c.lower_ == "to" for c in tok.children) and tok.head.lemma_ == "be" \
                and tok.dep_ == "xcomp":
            return "planned", f"planned: {tok.head.text} to {tok.text}"
        if tok.lower_ == "due" or (tok.lemma_ == "expect" and tok.tag_ == "VBN"):
            return "planned", f"planned: {tok.text}"
        if tok.lemma_ in _SPEECH and i > 0:
            break  # a report of a past fact: "said he met X"
        if tok.dep_ in ("relcl", "acl") and i + 1 < len(chain) and chain[i + 1].lemma_ not in (
                "visit", "trip", "tour", "meeting", "talks", "summit"):
            break  # a clause describing a noun keeps its own modality ("a memorandum agreed by ...")
    return "asserted", None


_HOSTING = {"receive", "host", "welcome", "greet"}


def _entity_in(r: Reader, tokens: list[Token], kinds: tuple[str, ...] = ("person", "state")) -> Entity | None:
    """The first person (else state) named in ``tokens``, or the person a pronoun there stands for."""
    for kind in kinds:
        found = r.ents_in(tokens, kind)
        if found:
            return found[0]
    pron = [x for x in tokens if x.tag_ == "PRP" and x.lower_ in ("he", "she", "him", "her")]
    if pron:
        people = r.persons_before(pron[0], [])
        return people[0] if people else None
    return None


def _visited_state(r: Reader, tokens: list[Token]) -> Entity | None:
    """The state a destination phrase names: the state itself, or the state whose capital it is."""
    state = next(iter(r.ents_in(tokens, "state")), None)
    if state is not None:
        return state
    place = next(iter(r.ents_in(tokens, "place")), None)
    return r.host_state(place) if place is not None else None


def _visitor(visit: Token) -> list[Token]:
    """Who makes a visit named without a possessor: the subject of the verb the visit hangs on ("X paid
    a visit", "On a visit to Hanoi, X met Y", "X, who is on a visit to Y")."""
    tok = visit
    for _ in range(4):
        if tok.head.i == tok.i:
            break
        tok = tok.head
        if tok.pos_ in ("VERB", "AUX"):
            subj = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")]
            if subj and subj[0].lower_ in _REL_PRONOUNS and tok.dep_ == "relcl":
                return [tok.head]  # "Yoon, who is on a state visit to Vietnam"
            return [g for c in subj for g in c.subtree]
    return []


def _meeting_parties(r: Reader, tokens: list[Token], people: list[Entity]) -> list[Entity]:
    """States and bodies that met, as the clause names them: not where it was ("in Beijing"), not who
    reported it, not a sponsor in a modifier ("UN-sponsored talks"), not a state a named person represents."""
    out: list[Entity] = list(people)
    represented = {id(st) for p in people for st in [r.role_state(p)] if st is not None}
    for tok in tokens:
        e = r.by_token.get(tok.i)
        if e is None or e.kind not in ("state", "organization") or id(e) not in r.kept or id(e) in represented:
            continue
        if _locative(tok) or _in_modifier(tok, e, r) or (e.kind == "organization" and _is_media(e)):
            continue
        if any(e is o for o in out):
            continue
        out.append(e)
    return out


def _host(r: Reader, t: Token, sent: Span, people: list[Entity]) -> Entity | None:
    """Who hosted a meeting, only when the text says so.

    "X received/hosted/welcomed Y" and "Y was received by X": X. "Y visited <country or capital>",
    "Y arrived in <capital>", "during Y's visit to <capital>": the party who leads (or represents) that
    state, else the state. "during Y's visit" with one other party: that party. Otherwise None.
    """
    if t.pos_ == "VERB" and t.lemma_ in _HOSTING:
        agent = [g for c in t.children if c.dep_ == "agent" for g in c.subtree]
        if agent or any(c.dep_ in ("nsubjpass", "auxpass") for c in t.children):
            host = _entity_in(r, agent) if agent else None
        else:
            subj = [g for c in t.children if c.dep_ == "nsubj" for g in c.subtree]
            host = _entity_in(r, subj)
        if host is not None and (host.kind == "state" or any(host is p for p in people)):
            return host
        return None
    guest: Entity | None = None
    dest: Entity | None = None
    said = False
    for x in sent:
        if x.lemma_ in ("visit", "trip", "tour") and x.pos_ == "NOUN":
            owner = [g for c in x.children if c.dep_ == "poss" for g in c.subtree]
            to = [g for c in x.children if c.dep_ == "prep" and c.lower_ in ("to", "in") for g in c.subtree]
            if not owner:
                owner = _visitor(x)  # "paid a visit to Manila", "On a visit to Hanoi, X met Y"
            if owner:
                guest, dest, said = _entity_in(r, owner, ("person",)), _visited_state(r, to) if to else None, True
                break
        elif x.lower_ == "visiting" and x.dep_ == "amod":
            # "the visiting South Korean president, Yoon Suk Yeol"
            guest = r.by_token.get(x.head.i) or r.appositive_person(x.head)
            if guest is not None and guest.kind == "person":
                said = True
                break
        elif x.pos_ == "VERB" and (x.lemma_ == "visit" or x.lemma_ == "arrive" and any(
                c.dep_ == "prep" and c.lower_ == "in" for c in x.children)):
            subj = [g for c in x.children if c.dep_ == "nsubj" for g in c.subtree]
            if not subj and x.dep_ == "conj":  # "arrived in Tehran and met X": the first verb's subject
                subj = [g for c in x.head.children if c.dep_ == "nsubj" for g in c.subtree]
            if not subj and x.dep_ in ("acl", "advcl") and x.tag_ == "VBG":  # "X, visiting Hanoi, met Y"
                subj = list(x.head.subtree) if x.dep_ == "acl" else [
                    g for c in x.head.children if c.dep_ == "nsubj" for g in c.subtree]
                subj = [g for g in subj if g.i < x.i]
            visited = [c for c in x.children if c.dep_ == "dobj" and x.lemma_ == "visit"]
            host = _entity_in(r, [g for c in visited for g in c.subtree], ("person",)) if visited else None
            if host is not None and subj and any(host is p for p in people):
                guest = _entity_in(r, subj, ("person",))  # "Erdogan visited Putin in Sochi"
                return host if guest is not None and guest is not host and any(guest is p for p in people) else None
            where = [g for c in x.children if c.dep_ == "dobj" or c.dep_ == "prep" and c.lower_ == "in"
                     for g in c.subtree]
            dest = _visited_state(r, where)
            if subj and dest is not None:
                guest, said = _entity_in(r, subj, ("person",)), True
                break
    if not said or guest is None or not any(guest is p for p in people):
        return None
    others = [p for p in people if p is not guest]
    if dest is not None:
        if dest is r.role_state(guest):
            return None  # coming home is no visit
        leaders = [p for p in others if r.role_state(p) is dest]
        return leaders[0] if len(leaders) == 1 else dest
    return others[0] if len(others) == 1 else None


def _is_meeting_trigger(t: Token) -> bool:
    if t.lemma_ in MEETING_VERBS and t.pos_ == "VERB":
        return True
    if t.lower_ in ("talks",) or (t.lemma_ in ("meeting", "summit") and t.pos_ == "NOUN"):
        return True
    if t.lower_ in ("meets",):
        return True
    return False


def _is_attack_trigger(t: Token) -> bool:
    low = t.lower_
    if t.pos_ == "VERB" and t.lemma_ == "blow" and any(c.lower_ == "up" for c in t.children):
        return True  # "blew themselves up"
    if t.pos_ == "VERB" and any(c.dep_ in ("dobj", "nsubjpass") and _is_pact(c) for c in t.children):
        return False  # "struck a deal"
    if t.pos_ == "VERB" and t.lemma_ in ("shoot", "bring") and any(c.lower_ == "down" for c in t.children) and any(
            c.dep_ in ("dobj", "nsubjpass") and c.lemma_ in _MUNITIONS for c in t.children):
        return False  # "air defenses shot down seven missiles": an interception, not an attack
    if t.pos_ == "VERB" and t.lemma_ in ATTACK_VERBS:
        if t.lemma_ in ("fire",) and not any(c.lower_ in ("on", "at") for c in t.children):
            return False
        if t.lemma_ == "fire" and any(c.dep_ == "dobj" and (c.lemma_ in ("flare", "salute") or any(
                m.lower_ in ("water", "tear", "warning", "rubber") for m in c.children)) for c in t.children):
            return False  # "fired water cannon / warning shots at a boat": not a violent attack
        if t.lemma_ == "kill" and t.dep_ in ("xcomp", "acl") and t.tag_ == "VBN":
            return True
        return True
    if t.pos_ in ("NOUN", "PROPN") and (t.lemma_.lower() in ATTACK_NOUNS or low in ATTACK_NOUNS or
                                        low.rstrip("s") in ATTACK_NOUNS):
        return True
    if low == "fire" and t.head.lemma_ == "open":
        return True
    return False


def _signature_verb(t: Token) -> Token | None:
    """ "put their signatures to the treaty", "affixed his signature on the accord": the verb that signs."""
    if t.pos_ != "NOUN" or t.lemma_.lower() != "signature" or t.dep_ != "dobj" or t.head.pos_ != "VERB":
        return None
    preps = [c for c in list(t.children) + list(t.head.children) if c.dep_ == "prep" and c.lower_ in ("to", "on")]
    if any(x.lemma_.lower() in AGREEMENT_NOUNS or x.lower_ in AGREEMENT_NOUNS for c in preps for x in c.subtree):
        return t.head
    return None


_MUNITIONS = {"missile", "rocket", "drone", "projectile", "shell", "uav", "munition", "bomb"}


def _is_pact(tok: Token) -> bool:
    return tok.lemma_.lower() in AGREEMENT_NOUNS or tok.lower_ in AGREEMENT_NOUNS


def _is_agreement_trigger(t: Token) -> bool:
    if _signature_verb(t) is not None:
        return True
    if t.pos_ == "VERB" and t.lemma_ in ("sign", "conclude", "ink"):
        near = list(t.subtree) + [c for c in t.head.children] if t.dep_ == "relcl" else list(t.subtree)
        if t.dep_ == "relcl":
            near.append(t.head)
        return any(x.lemma_.lower() in AGREEMENT_NOUNS or x.lower_ in AGREEMENT_NOUNS for x in near)
    if t.pos_ == "VERB" and t.lemma_ in _DEAL_VERBS and any(
            c.dep_ in ("dobj", "nsubjpass") and _is_pact(c) for c in t.children):
        return True  # "reached a peace agreement", "struck a deal", "an accord was sealed"
    if t.pos_ == "VERB" and t.lemma_ == "agree":
        obj = [c for c in t.children if c.dep_ in ("xcomp", "prep", "dobj", "ccomp")]
        for c in obj:
            if c.dep_ == "xcomp" and c.lemma_ in MEETING_VERBS | {"stay", "continue", "talk", "discuss",
                                                                  "hold", "keep", "work"}:
                return False
        return bool(obj)
    if t.pos_ == "NOUN" and t.lemma_.lower() in AGREEMENT_NOUNS and _anchor(t).lemma_ in (
            "sign", "conclude", "ink", "agree", "reach", "strike", "seal"):
        return False  # the verb is the trigger
    return False


_TOPIC_PREPS = {"on", "for", "about", "over", "concerning", "regarding", "covering", "in"}
_TOPIC_VERBS = {"cover", "concern", "regard", "address", "involve", "boost", "expand", "deepen", "strengthen",
                "promote", "enhance", "develop", "establish"}
#: Nouns that frame a topic rather than name one: "cooperation in energy", "the oil and gas sectors".
_TOPIC_FRAMES = {"cooperation", "collaboration", "partnership", "relations", "ties", "sector", "field", "area",
                 "domain", "sphere", "issue", "matter", "understanding", "exchange", "exchanges", "development",
                 "investment", "investments", "project", "projects", "front", "fronts"}
_NOT_TOPICS = {"day", "week", "month", "year", "time", "behalf", "basis", "sidelines", "occasion", "part", "side",
               "sides", "country", "countries", "state", "states", "nation", "nations", "government", "visit",
               "trip", "capital", "city", "ceremony", "way", "number", "range", "total", "term", "terms"}


def _is_time_word(tok: Token) -> bool:
    low = tok.lower_
    return tok.ent_type_ in ("DATE", "TIME") or low in WEEKDAYS or low in MONTHS or low in (
        "today", "yesterday", "tomorrow", "morning", "evening", "night", "afternoon")


def _topic_heads(r: Reader, noun: Token, depth: int = 0) -> list[Token]:
    """The nouns a topic phrase names: "cooperation in energy, trade and security" -> energy, trade,
    security; "the petroleum, petrochemical and defense sectors" -> their modifiers."""
    if depth > 3 or noun.pos_ not in ("NOUN", "PROPN", "ADJ") or _is_time_word(noun):
        return []
    out: list[Token] = []
    for item in [noun] + [c for c in noun.conjuncts if c.i > noun.i]:
        if _is_time_word(item) or r.by_token.get(item.i) is not None or item.like_num:
            continue
        lemma = item.lemma_.lower()
        if lemma in _TOPIC_FRAMES or item.lower_ in _TOPIC_FRAMES:
            inner = [g for c in item.children if c.dep_ == "prep" and c.lower_ in ("in", "on", "of", "for")
                     for g in c.children if g.dep_ == "pobj"]
            mods = [c for c in item.children if c.dep_ in ("amod", "compound", "nmod") and not _is_time_word(c)
                    and c.lower_ not in ("bilateral", "mutual", "joint", "economic", "strategic", "further",
                                         "new", "closer", "comprehensive", "various", "several")]
            for g in inner:
                out += _topic_heads(r, g, depth + 1)
            for c in mods:
                if r.by_token.get(c.i) is None:
                    out += [c] + [x for x in c.conjuncts if x.i > c.i and r.by_token.get(x.i) is None]
            continue
        if lemma in _NOT_TOPICS or item.pos_ == "ADJ" and item.dep_ not in ("amod", "conj"):
            continue
        out.append(item)
    return out


def _topic_text(tok: Token) -> str:
    """A topic noun with the words that make it specific ("water sharing", "counter-terrorism")."""
    mods = [c for c in tok.children if c.dep_ == "compound" and c.i < tok.i and not _is_time_word(c)]
    start = min([tok.i] + [m.i for m in mods if all(x.i in {m.i for m in mods} or x.i == tok.i
                                                      for x in tok.doc[m.i:tok.i])])
    return tok.doc[start:tok.i + 1].text.lower()


def _topics(r: Reader, t: Token) -> list[str]:
    """What an agreement is about: the nouns of its "on/for/covering ..." phrases, never a date or a party.

    The phrases are read off the agreement noun ("a deal on fisheries"), and off the signing verb
    ("signed an agreement on Wednesday on energy"), where the parser often hangs them."""
    docs = [t] if t.pos_ in ("NOUN", "PROPN") else [
        x for x in t.subtree if x.lemma_.lower() in AGREEMENT_NOUNS or x.lower_ in AGREEMENT_NOUNS]
    holders = docs + ([t] if t.pos_ == "VERB" else [])
    heads: list[Token] = []
    for h in holders:
        is_doc = h in docs
        for c in h.children:
            low = c.lower_
            if c.i < h.i and c.dep_ == "prep":
                continue  # "On a visit to Tehran, X signed": circumstances, not the subject matter
            if c.dep_ == "prep" and low in _TOPIC_PREPS and (low != "in" or is_doc):
                heads += [g for g in c.children if g.dep_ == "pobj"]
            elif c.dep_ in ("acl", "advcl", "xcomp", "relcl") and c.lemma_ in _TOPIC_VERBS:
                heads += [g for g in c.children if g.dep_ in ("dobj", "pobj")]
            elif c.dep_ == "prep" and low in ("of",) and is_doc and h.lemma_.lower() in ("memorandum", "mou"):
                heads += [g for x in c.children if x.dep_ == "pobj" for g in x.children
                          if g.dep_ == "prep" and g.lower_ in _TOPIC_PREPS for g in g.children if g.dep_ == "pobj"]
            elif c.dep_ in ("compound", "amod") and is_doc and h.pos_ == "NOUN" and c.pos_ == "NOUN" \
                    and r.by_token.get(c.i) is None and not _is_time_word(c) and c.lemma_ not in _NOT_TOPICS:
                heads.append(c)  # "a trade deal", "a security pact"
    out: list[str] = []
    for tries in (heads, None):
        if tries is None:
            # "a pact which he said opened fronts for cooperation in the oil and gas sectors": a frame
            # noun further down the agreement's own clause
            tries = [x for x in t.subtree if x.i > t.i and x.lemma_.lower() in (
                "cooperation", "collaboration", "sector", "field", "area")]
        for head in tries:
            for tok in _topic_heads(r, head):
                text = _topic_text(tok)
                if text and text not in out:
                    out.append(text)
        if out:
            break
    return out


def read_sentence(r: Reader, sent: Span) -> list[Mention]:
    out: list[Mention] = []
    seen_types: set[str] = set()
    low = sent.text.lower()
    attacks: list[Mention] = []
    # verbs before nouns: "Erdogan received Rouhani" says more than "before the summit"
    candidates = [x for x in sent if x.lemma_.lower() in _TRIGGER_WORDS or x.lower_ in _TRIGGER_WORDS]
    for t in sorted(candidates, key=lambda x: (x.pos_ != "VERB", x.i)):
        for typ, test in (("meeting", _is_meeting_trigger), ("agreement", _is_agreement_trigger),
                          ("attack", _is_attack_trigger)):
            if typ in seen_types or not test(t):
                continue
            m = _mention(r, typ, t, sent, low)
            if m is None:
                continue
            if typ == "attack":
                attacks.append(m)  # every attack word: "opened fire ... on Tuesday, killing 41"
            elif typ == "agreement":
                same = next((o for o in out if o.type == "agreement" and (
                    {p.name for p in o.participants} <= {p.name for p in m.participants} or
                    {p.name for p in m.participants} <= {p.name for p in o.participants})), None)
                if same is None:
                    out.append(m)  # "X signed with Y, while Z signed a mirror document"
                else:
                    same.signatories = _unique(same.signatories + m.signatories)
                    same.participants = _unique(same.participants + m.participants)
                out += _each_between(r, m)
            else:
                seen_types.add(typ)
                out.append(m)
    attacks.sort(key=lambda m: m.trigger.i)
    return out + _combine(attacks)


def _nearest_agreement_noun(tok: Token) -> Token | None:
    for a in tok.ancestors:
        if a.lemma_.lower() in AGREEMENT_NOUNS or a.lower_ in AGREEMENT_NOUNS:
            return a
    return None


def _each_between(r: Reader, m: Mention) -> list[Mention]:
    """ "signed a treaty between Israel and the UAE and a declaration between Israel and Bahrain":
    one agreement per document that names its own parties."""
    out: list[Mention] = []
    if m.trigger.pos_ != "VERB":
        return out
    for noun in m.trigger.subtree:
        if noun.lemma_.lower() not in AGREEMENT_NOUNS and noun.lower_ not in AGREEMENT_NOUNS:
            continue
        for prep in noun.subtree:
            owner = _nearest_agreement_noun(prep)
            if prep.lower_ == "between" and owner is not None and owner.i == noun.i:
                parties = r.ents_in(list(prep.subtree), "state")
                if len(parties) >= 2 and {p.name for p in parties} != {p.name for p in m.participants}:
                    extra = Mention(m.type, noun, participants=parties, place=m.place, date=m.date,
                                    date_in_sentence=m.date_in_sentence, fallback=m.fallback,
                                    fallback_local=m.fallback_local, section=m.section, separate=True,
                                    signatories=[p for p in m.signatories
                                                 if r.role_state(p) is None or r.role_state(p) in parties],
                                    rule=f"agreement:{noun.lemma_}-between")
                    out.append(extra)
    return out


def _combine(ms: list[Mention]) -> list[Mention]:
    """Mentions of one sentence that do not contradict each other's dates are one report."""
    groups: list[Mention] = []
    for m in ms:
        for g in groups:
            if g.modality == m.modality and (not g.date_in_sentence or not m.date_in_sentence or g.date == m.date):
                for f in ("place", "killed", "injured", "target"):
                    if getattr(g, f) is None:
                        setattr(g, f, getattr(m, f))
                if not g.date_in_sentence and m.date_in_sentence:
                    g.date, g.date_in_sentence = m.date, True
                g.perpetrators = _unique(g.perpetrators + m.perpetrators)
                g.blamed = _unique(g.blamed + m.blamed)
                g.weak = g.weak and m.weak
                break
        else:
            groups.append(m)
    return groups


def _mention(r: Reader, typ: str, t: Token, sent: Span, low: str) -> Mention | None:
    anchor = _anchor(t) if t.pos_ not in ("VERB",) else t
    clause = _clause(anchor)
    sent_toks = list(sent)
    modality, why = modality_of(t)
    m = Mention(typ, t, modality=modality, why=why, section=r.section(t), rule=f"{typ}:{t.lemma_}")
    local = _local(anchor, t)
    own = r.dates_in(list(t.subtree))
    dates = own or r.dates_in(local)
    if typ == "attack" and not own:
        # "ISIS claimed on Monday the attack ...": the claim's date is not the attack's
        dates = [d for d in dates if _governor(d.root).lemma_ not in _REPORTING]
        if not dates and t.pos_ == "VERB":
            dates = [d for d in r.dates_in(sent_toks)
                     if _governor(d.root).lemma_ not in _REPORTING and len(d.kb_id_) == 10]
    # "signed ... a day after X arrived": the relative date dates the arrival, not the signing before it
    dates = [d for d in dates if not (d[-1].lower_ in ("after", "before") and t.i < d.start)]
    if dates:
        m.date, m.date_in_sentence = dates[0].kb_id_, True
    days = [d for d in r.dates_in(sent_toks) if len(d.kb_id_) == 10 and _governor(d.root).lemma_ not in _SPEECH]
    local_fallback = days[0].kb_id_ if days else r.date_before(t)
    # "last week": a time but no day (a duration such as "20-year" is no time at all)
    vague = not dates and any(x.ent_type_ == "DATE" and x.ent_iob_ == "B" and re.match(
        r"(last|this|past|previous|earlier|recent)\b", x.doc[x.i:x.i + 3].text.lower()) for x in local)
    m.fallback = None if vague else (local_fallback or r.lead_date)
    # only a day named nearby may keep two reports apart; "since 1979" two sentences up may not
    m.fallback_local = local_fallback is not None and len(local_fallback) == 10 and not vague
    where = _where(t, anchor)
    places = r.ents_in(where, "place")
    if not places and t.pos_ == "VERB" and t.dep_ in ("amod", "compound"):  # misparsed verb: its window
        places = r.ents_in([x for x in sent if t.i < x.i <= t.i + 10 and x.head.lower_ in ("in", "at")
                            or (x.head.head.lower_ in ("in", "at") and t.i < x.i <= t.i + 10)], "place")
    if not places and typ == "agreement":
        places = r.ents_in([y for x in local if x.dep_ == "pobj" and x.head.lower_ in ("in", "at")
                            for y in x.subtree if y.ent_type_ == "GPE"], "place")
    if typ == "attack":
        target = [x for c in t.children if c.dep_ == "dobj" for x in c.subtree]
        places = r.ents_in(target, "place") or places or r.ents_in(local, "place") or (
            r.ents_in(sent_toks, "place") if t.pos_ == "VERB" else [])
    m.place = _best_place(places)
    m.weak = t.pos_ != "VERB" and not m.date_in_sentence
    m.separate = any(w.lower_ in ("separate", "also", "other", "another", "bilateral") for w in local)
    if typ == "meeting":
        if any(x.lower_ in PHONE_WORDS or (x.lemma_ == "call" and x.pos_ == "NOUN") for x in clause) \
                or re.search(r"\b(phone|telephone)\b", low):
            m.modality, m.why = "negated", "phone call, not a meeting"
        if any(c.lower_ in ("indirect", "proximity", "virtual", "online") for c in t.children):
            m.modality, m.why = "negated", f"{t.text} without the parties meeting"
        misparsed = t.pos_ == "VERB" and t.dep_ in ("amod", "compound") and t.i > 0 and (
            r.by_token.get(t.i - 1) is not None and r.by_token[t.i - 1].kind == "person")  # "after Trump hosted X"
        if misparsed:
            clause = [x for x in sent if t.i - 3 <= x.i <= t.i + 8]
        if t.pos_ == "VERB" and t.lemma_ in ("receive", "host", "welcome", "greet", "visit"):
            objs = [c for c in t.children if c.dep_ in ("dobj", "nsubjpass", "agent")]
            objs += [g for c in t.children if c.dep_ == "agent" for g in c.children]
            if misparsed:
                objs = [x for x in clause if x.i > t.i]
            if not any(r.by_token.get(o.i) is not None and r.by_token[o.i].kind in ("person", "state")
                       or o.lower_ in ("him", "her", "he", "she", "them", "leader", "king", "emir",
                                       "president", "minister", "prince")
                       for o in objs):
                return None
        people = r.ents_in(_outside_asides(clause, t), "person")
        # "the king" names a party outright; "he" stands in only for a missing one
        # "They last met in Kazan": a plural subject of the meeting verb is the pair last reported meeting
        if not people and r.last_pair and t.pos_ == "VERB" and any(
                c.dep_ == "nsubj" and c.lower_ == "they" for c in t.children):
            people = list(r.last_pair)
        people += r.resolve_anaphors(clause, people, pronouns=len(people) < 2)
        if len(people) < 2:
            # "Iran and Saudi Arabia held talks", "Armenian and Azerbaijani officials met": the parties are
            # states or bodies; only when the clause names no person at all, and a host verb's object is one
            if people or t.lemma_ == "visit" or t.lemma_ in _HOSTING and not any(
                    c.dep_ in ("dobj", "nsubjpass") and r.by_token.get(c.i) is not None
                    and r.by_token[c.i].kind in ("state", "organization") for c in t.children):
                return None  # "visited Qatar" is a trip, "Qatar hosts Al Udeid" a base: no meeting of parties
            scope = clause
            if t.pos_ != "VERB" and _anchor(t).lemma_ not in ("hold", "have", "conduct", "begin", "start", "open",
                                                              "resume", "take", "meet"):
                scope = list(t.subtree)  # "agreed after talks mediated by Qatar": the talks' own phrase only
            parties = _meeting_parties(r, _outside_asides(scope, t), people)
            if len(parties) < 2:
                return None
            m.participants = parties
            m.sides = frozenset(p.name for p in parties)
            return m
        m.participants = people
        sides = [r.role_state(p) for p in people]
        m.sides = frozenset(st.name for st in sides if st is not None and st.kind == "state")
        if m.modality == "asserted":
            r.last_pair = people[:2]
        m.host = _host(r, t, sent, people)
        return m
    if typ == "agreement":
        inside = {x.i for x in anchor.subtree}
        scope = local + [x for x in clause if x.i not in inside]
        people = r.ents_in(scope, "person")
        people += r.resolve_anaphors(scope, people, plural=True)
        signing = _signature_verb(t)
        signers = _signers(r, t) if t.lemma_ in ("sign", "ink") else _signers(r, signing) if signing else []
        party_toks = [x for x in scope if not _locative(x)]
        # "signed agreements establishing relations with the UAE and Bahrain": the document's counterparts
        party_toks += [y for c in t.children if c.dep_ in ("dobj", "nsubjpass") for x in c.subtree
                       if x.lower_ in ("with", "between") and x.dep_ == "prep" for y in x.subtree]
        parties = r.ents_in(party_toks, "state") + [e for e in r.ents_in(party_toks, "organization")
                                                     if not _is_media(e)]
        for p in signers or people:
            st = r.role_state(p)
            if st is not None and st not in parties:
                parties.append(st)
        if len(parties) < 2:
            two = re.search(r"\bthe (two|three) (countries|nations|neighbou?rs|sides|states|governments)\b", low)
            if two:
                # the states of the pair last reported meeting, else the states named last
                met = [st for p in r.last_pair for st in [r.role_state(p)] if st is not None and st.kind == "state"]
                prev = [e for e in _unique(met) + _states_before(r, t) if e not in parties]
                prev = _unique(prev)
                parties += prev[: (2 if two.group(1) == "two" else 3) - len(parties)]
        if len(parties) < 2 and not signers:
            for p in r.ents_in(sent_toks, "person"):
                st = r.role_state(p)
                if st is not None and st not in parties:
                    parties.append(st)
        if len(parties) == 1 and m.place is not None and parties[0].kind == "state":
            # "signed a pact on a visit to Tehran": Iran signed too; but a group signing "in Havana" signs
            # with someone else there (the host only mediates)
            host = r.host_state(m.place)
            if host is not None and host is not parties[0]:
                parties.append(host)
        m.participants = parties
        m.signatories = signers
        if not parties and not people:
            return None
        dur = re.search(r"\b(\d+|[a-z]+)-year\b", low)
        if dur:
            m.duration = words_to_int(dur.group(1))
        m.topics = _topics(r, t)
        return m
    # attack
    if re.search(r"\b(crash|accident)\b", low) and not re.search(r"\battack|strike|bomb", low):
        return None
    text = sent.text
    m.killed = killed_in(text)
    m.injured = injured_in(text)
    perps, blamed = _perpetrators(r, t, sent)
    m.perpetrators, m.blamed = perps, blamed
    if t.lower_ in ("attacks", "strikes", "bombings", "airstrikes") and not any(
            c.lower_ in ("the", "these", "two", "twin", "three") or c.dep_ == "nummod" for c in t.children) \
            and m.killed is None and not m.date_in_sentence:
        return None  # generic: "threatened attacks on Chadian soil"
    if m.killed is None and m.injured is None and m.place is None and not m.perpetrators \
            and not m.blamed and not m.date_in_sentence:
        return None
    m.target = _target(r, t)
    return m


_VICTIM_NOUNS = {"people", "person", "civilian", "soldier", "troop", "officer", "policeman", "worshipper",
                 "passenger", "child", "woman", "man", "member", "other", "fighter", "militant", "pilgrim"}


def _target(r: Reader, t: Token) -> str | None:
    """What an attack hit, as a nominal head ("hotel", "police station"): never a date, a pronoun,
    a party or the victims a kill verb counts."""
    verbs = [t]
    if t.dep_ in ("nsubj", "nsubjpass") and t.head.lemma_ in ("target", "hit", "strike", "attack", "destroy",
                                                                  "damage"):
        verbs.append(t.head)  # "the attack on Thursday targeted a police station"
    if t.dep_ == "dobj" and t.head.lemma_ in ("open", "carry", "launch", "conduct", "stage", "mount"):
        verbs.append(t.head)  # "opened fire at a synagogue", "carried out strikes on hideouts"
    cands: list[Token] = []
    for v in verbs:
        for c in v.children:
            if c.dep_ == "dobj" and v.pos_ == "VERB" and v.lemma_ not in ("kill", "massacre", "assassinate", "blow",
                                                                          "fire", "launch", "open", "carry"):
                cands.append(c)  # what was hit; but one fires missiles *at* a target
            elif c.dep_ == "prep" and c.lower_ in ("on", "at", "against", "inside", "outside", "near"):
                cands += [g for g in c.children if g.dep_ == "pobj"]
    for c in cands:
        if c.tag_ in ("PRP", "CD") or c.pos_ not in ("NOUN", "PROPN") or _is_time_word(c) \
                or any(d.start <= c.i < d.end for d in r.dates) or c.lemma_.lower() in _VICTIM_NOUNS:
            continue
        e = r.by_token.get(c.i)
        if e is not None and e.kind in ("person", "state", "organization"):
            continue
        if e is not None:  # a named site ("the Serena Hotel")
            return e.name
        mods = [x for x in c.children if x.dep_ == "compound" and x.i < c.i and r.by_token.get(x.i) is None
                and not _is_time_word(x)]
        start = min([c.i] + [x.i for x in mods])
        return c.doc[start:c.i + 1].text.lower()
    return None


_LOCATIVE_PREPS = {"in", "into", "across", "near", "inside", "throughout", "from", "to", "of", "at"}


def _locative(tok: Token) -> bool:
    """A state named as a location ("in northeastern Syria"), not as a party."""
    head = tok
    # "in Havana, Cuba", "in Syria and Iraq": an apposition or conjunct shares the phrase's role
    while head.dep_ in ("compound", "amod", "poss", "case", "conj", "appos") and head.head.i != head.i:
        head = head.head
    if head.dep_ == "pobj" and head.head.lower_ == "of" and head.head.head.lemma_.lower() in _ACTING_FOR:
        return False  # "the presidents of Kyrgyzstan and Tajikistan signed": the states act
    return head.dep_ == "pobj" and head.head.lower_ in _LOCATIVE_PREPS and head.head.head.lower_ not in (
        "between", "with")


#: Nouns for people or bodies that act for a state: "the leaders of X", "the government of X".
_ACTING_FOR = ROLE_HEADS | {"government", "delegation", "representative", "official", "leader", "envoy", "head",
                            "parliament", "authority", "authorities", "people", "army", "military"}


def _signers(r: Reader, t: Token) -> list[Entity]:
    """Who signed: the subject(s) of "sign", "with X", "by X"."""
    toks: list[Token] = []
    kids = list(t.children) + [g for c in t.children if c.dep_ == "dobj" for g in c.children if g.dep_ == "prep"]
    for c in kids:
        if c.dep_ in ("nsubj", "agent") or (c.dep_ == "prep" and c.lower_ in ("with", "by")):
            toks += [x for x in c.subtree if not any(a.dep_ in ("relcl", "acl") for a in x.ancestors
                                                     if a.i in {y.i for y in c.subtree} and a.i != c.i)]
    people = r.ents_in(toks, "person")
    if any(x.lower_ == "we" and x.dep_ == "nsubj" for x in toks):
        # "We have signed ...," Erdogan told ...: the speaker signed
        for v in t.sent:
            if v.lemma_ in _SPEECH:
                for c in v.children:
                    e = r.by_token.get(c.i)
                    if c.dep_ == "nsubj" and e is not None and e.kind == "person" and all(e is not p for p in people):
                        people.append(e)
    return people + r.resolve_anaphors(toks, people)


def _where(t: Token, anchor: Token) -> list[Token]:
    """Tokens of the "in X" / "at X" phrases that say where the trigger (or its verb) happened."""
    out: list[Token] = []
    heads = [t, anchor] + [c for c in t.children if c.dep_ in ("dobj", "nsubjpass")]
    # "On a visit to Tehran, X signed": the visit's destination is where it happened
    heads += [g for c in anchor.children if c.dep_ == "prep" for g in c.children
              if g.dep_ == "pobj" and g.lemma_ in ("visit", "trip", "tour")]
    # "met on the sidelines of the summit in Kazan", "during a forum in Astana": where the gathering was
    for c in [c for h in (t, anchor) for c in h.children if c.dep_ == "prep" and c.lower_ in ("on", "during", "at")]:
        for g in c.children:
            if g.dep_ == "pobj" and g.lemma_ in ("sideline", "sidelines", "margin", "margins"):
                g = next((x for p in g.children if p.lower_ == "of" for x in p.children if x.dep_ == "pobj"), g)
            if g.dep_ == "pobj" and g.lemma_ in _GATHERINGS:
                heads.append(g)
    for h in heads:
        for c in h.children:
            if c.dep_ == "prep" and (c.lower_ in ("in", "at", "inside", "near") or (
                    c.lower_ == "to" and h.lemma_ in ("visit", "trip", "tour"))):
                for g in c.children:
                    if g.dep_ == "pobj":
                        out += list(g.subtree)
    return out


_GATHERINGS = MEETING_NOUNS | {"forum", "gathering", "ceremony", "session", "assembly", "meeting", "congress",
                               "dialogue", "retreat", "reception", "dinner", "funeral", "inauguration"}
_SITE_WORDS = FACILITY_HEADS | {"house", "office", "kremlin", "hall", "building", "compound", "center", "centre"}


def _is_seat(e: Entity) -> bool:
    """A seat of government ("White House", "Kremlin"): a place researchers code as such."""
    forms = load_gazetteer().by_text()
    return any(forms.get(m.text) is not None and forms[m.text].via == "seat" for m in e.mentions)


_AREA_NOUNS = {"province", "district", "region", "governorate", "county", "city", "town", "village", "municipality",
               "prefecture", "state"}
_BUILDINGS = {"palace", "residence", "house", "hall", "building", "villa", "mansion", "compound", "castle", "fort",
              "office", "embassy", "consulate", "mosque", "church", "cathedral", "synagogue", "hotel", "hospital",
              "stadium", "prison", "kremlin", "centre", "center"}


def _is_site(e: Entity) -> bool:
    """A building or compound ("Miraflores Palace", or "Casa Rosada" named from "the Casa Rosada
    presidential palace"); a town named from "the Hodeidah port" stays a town."""
    forms = [n for n in e.surface_forms() if n.split()]
    return e.name.split()[-1].lower() in _SITE_WORDS or bool(forms) and all(
        n.split()[-1].lower() in _SITE_WORDS for n in forms) or any(
        n.split()[-1] in _BUILDINGS and n != e.name for n in forms)


def _best_place(places: list[Entity], prefer_town: bool = True) -> Entity | None:
    """Prefer a town over a building inside it: the scale a reader codes meetings at."""
    if not places:
        return None
    if prefer_town:
        towns = [p for p in places if not _is_site(p)]
        if towns:
            return towns[0]
    return places[0]


_MEDIA_WORDS = {"agency", "news", "press", "tv", "television", "radio", "times", "post", "reuters", "afp",
                "twitter", "facebook", "media", "channel", "network", "newspaper", "daily", "telegram"}


def _is_media(e: Entity) -> bool:
    """A news outlet or platform: it reports agreements, it does not sign them."""
    return bool(set(e.name.lower().replace("-", " ").split()) & _MEDIA_WORDS)


def _states_before(r: Reader, tok: Token) -> list[Entity]:
    out: list[Entity] = []
    for i in range(tok.i - 1, -1, -1):
        e = r.by_token.get(i)
        if e is not None and e.kind == "state" and e not in out:
            out.append(e)
    return out


def _np_head(tok: Token) -> Token:
    """The head of the noun phrase a name sits in: "the al-Shabaab group" -> "group"."""
    x = tok
    for _ in range(4):
        if x.dep_ in ("compound", "flat", "nmod", "appos") and x.head.i != x.i and x.head.pos_ in ("NOUN", "PROPN"):
            x = x.head
        else:
            break
    return x


def _in_modifier(tok: Token, e: Entity, r: Reader) -> bool:
    """A name inside a descriptive modifier ("the Iran-backed militia", "al-Qaeda-linked"): not the actor."""
    lo, hi = tok.i, tok.i
    while lo > 0 and r.by_token.get(lo - 1) is e:
        lo -= 1
    while hi + 1 < len(tok.doc) and r.by_token.get(hi + 1) is e:
        hi += 1
    for x in tok.doc[lo:hi + 1]:
        h = x.head
        if not lo <= h.i <= hi and h.dep_ in ("amod", "acl") and h.tag_ in ("VBN", "JJ", "VBG") \
                and r.by_token.get(h.i) is None:  # "Armenian and Azerbaijani": a conjunct, not a modifier
            return True
    return False


def _perpetrators(r: Reader, t: Token, sent: Span) -> tuple[list[Entity], list[Entity]]:
    """Who carried out an attack: who claimed it or is its agent; apart from whom others blamed."""
    perps: list[Entity] = []
    blamed: list[Entity] = []
    for tok in sent:
        e = r.by_token.get(tok.i)
        if e is None or e.kind not in ("state", "organization") or id(e) not in r.kept:
            continue
        if _in_modifier(tok, e, r):
            continue
        owner = r.by_token.get(tok.head.i)
        if e.kind == "state" and owner is not None and owner is not e and owner.kind == "organization":
            continue  # "the Pakistani Taliban": the demonym is part of the group's name
        if e.kind == "state" and tok.dep_ in ("poss", "amod", "compound") and any(
                (o := r.by_token.get(x.i)) is not None and o.kind == "organization" and id(o) in r.kept
                for x in tok.head.subtree if x.i <= tok.head.i):  # the phrase's own words, before its head
            continue  # "Yemen's Houthi rebels fired": the state says where the group is from
        head = tok.head
        np = _np_head(tok)  # "the al-Qaeda-linked al-Shabaab group claimed": the group's role is the name's
        # "ISIS claimed responsibility", "claimed by Hamas"
        if (head.lemma_ == "claim" and tok.dep_ in ("nsubj", "pobj", "agent")) or (
                tok.dep_ == "pobj" and head.lower_ == "by" and head.head.lemma_ == "claim") or (
                np.i != tok.i and np.head.lemma_ == "claim" and np.dep_ == "nsubj") or (
                np.i != tok.i and np.dep_ == "pobj" and np.head.lower_ == "by" and np.head.head.lemma_ == "claim"):
            perps.append(e)
        elif np.dep_ == "pobj" and np.head.lower_ == "on" and (np.head.head.lemma_ == "blame" or any(
                a.lemma_ == "blame" for a in np.head.ancestors)):
            blamed.append(e)  # "blamed the attack on ISIS", "was blamed on the group"
        elif np.dep_ == "dobj" and np.head.lemma_ == "blame" and np.lemma_.lower() not in ATTACK_NOUNS:
            blamed.append(e)  # "blamed the Houthi militia for the blast"
        elif (tok.dep_ == "nsubj" or np.dep_ == "nsubj") and np.head.lemma_ == "blame":
            continue
        elif np.dep_ == "pobj" and np.head.lower_ == "by" and np.head.head.i == t.i and t.pos_ == "NOUN":
            perps.append(e)  # "an airstrike by the Saudi-led coalition"
        elif np.dep_ == "nsubj" and np.head.lemma_ in ("carry", "launch", "conduct", "stage", "mount") and (
                t.head.i == np.head.i and t.dep_ == "dobj"):
            perps.append(e)  # "Pakistan carried out airstrikes", "the group launched an attack"
        elif (head.i == t.i and tok.dep_ in ("nsubj", "amod", "compound", "poss", "agent", "nmod")) or (
                head.head.i == t.i and head.dep_ in ("nsubj", "agent") and tok.dep_ in ("amod", "compound", "poss")) or tok.dep_ in ("amod", "compound", "nmod") and (head.i == t.i or (
                head.lemma_ in ATTACK_NOUNS | {"missile", "drone", "jet", "warplane", "force", "troops", "militant",
                                               "rebel", "gunman", "fighter", "aircraft", "plane"}
                and head.dep_ in ("nsubj", "agent") and head.head.i == t.i)):
            perps.append(e)
    if not perps:
        perps += _claimed_by_speaker(r, t)
    return _unique(perps), _unique(blamed)


def _claimed_by_speaker(r: Reader, t: Token) -> list[Entity]:
    """ "The BLA said its fighters had carried out the bombing": a group claims what its own men did."""
    verb = t if t.pos_ == "VERB" else t.head if t.dep_ in ("dobj", "nsubjpass") else None
    if verb is None:
        return []
    subj = [c for c in verb.children if c.dep_ == "nsubj"]
    if not subj or not any(g.lower_ in ("its", "their") and g.dep_ == "poss" for g in subj[0].children):
        return []
    for a in verb.ancestors:
        if a.lemma_ in _SPEECH | {"claim"}:
            for c in a.children:
                e = r.by_token.get(c.i)
                if c.dep_ == "nsubj" and e is not None and e.kind == "organization" and id(e) in r.kept:
                    return [e]
            break
    return []


def _unique(items: list[Entity]) -> list[Entity]:
    out: list[Entity] = []
    for e in items:
        if not any(e is o for o in out):
            out.append(e)
    return out


def names(entities: list[Entity]) -> list[str]:
    """Entity names, each once, in order."""
    return list(dict.fromkeys(e.name for e in entities))


def _to_event(r: Reader, ms: list[Mention]) -> Event:
    first = ms[0]
    doc = r.doc
    ev = Event(type=first.type)  # type: ignore[arg-type]
    ev.participants = names([p for m in ms for p in m.participants]) if first.type != "attack" else []
    if first.type == "meeting":
        # the fullest list, people before the states they represent
        ev.participants = names(max((m.participants for m in ms),
                                    key=lambda ps: (any(p.kind == "person" for p in ps), len(ps))))
    ev.signatories = names([p for m in ms for p in m.signatories])
    if first.type == "meeting":
        hosts = [m.host for m in ms if m.host is not None]
        ev.host = hosts[0].name if hosts else None
    ev.perpetrators = names([p for m in ms for p in m.perpetrators])
    ev.blamed = names([p for m in ms for p in m.blamed])
    if not ev.perpetrators and ev.blamed:
        ev.perpetrators = list(ev.blamed)  # attributed by those quoted: see the module docstring
    dated = [m for m in ms if m.date_in_sentence]
    dated.sort(key=lambda m: (m.section != "body", -len(m.date or ""), m.trigger.i))
    if dated:
        ev.date = dated[0].date
    placed = sorted([m for m in ms if m.place is not None],
                    key=lambda m: (("body", "caption", "headline").index(m.section), m.trigger.i))
    if placed:
        towns = [m for m in placed if not _is_site(m.place)]  # type: ignore[arg-type]
        best = towns[0] if towns and first.type != "attack" else placed[0]
        ev.place = best.place.name  # type: ignore[union-attr]
    for m in ms:
        if ev.killed is None and m.killed is not None:
            ev.killed = m.killed
        if ev.injured is None and m.injured is not None:
            ev.injured = m.injured
        if ev.target is None and m.target:
            ev.target = m.target
        if ev.duration_years is None and m.duration:
            ev.duration_years = m.duration
        for tp in m.topics:
            if tp not in ev.topics:
                ev.topics.append(tp)
    if ev.date is None and first.type != "attack":
        ev.date = first.fallback
    if ev.place is not None and first.type == "meeting" and r.main_place and ev.date == r.lead_date \
            and placed and _is_site(best.place) and not _is_seat(best.place):  # type: ignore[arg-type]
        ev.place = r.main_place  # "at the presidential palace" on the day the photo shows: its town
    if ev.place is None and first.type != "attack":
        p = r.place_before(first.trigger)
        ev.place = p.name if p else (r.main_place if ev.date in (r.base, r.lead_date) else None)
    ev.modality = first.modality
    ev.why = first.why
    for m in ms:
        s = m.trigger.sent
        ev.evidence.append(Evidence(sentence=s.text.strip(), start=s.start_char, end=s.end_char, rule=m.rule,
                                    confidence=0.8 if m.modality == "asserted" else 0.6))
    if ev.blamed and ev.perpetrators == ev.blamed:  # nobody claimed it: the blamed party stands in
        ev.evidence[0].rule += "+perpetrators-from-blame"
    ev.confidence = max(e.confidence for e in ev.evidence)
    del doc
    return ev


def _governor(tok: Token) -> Token:
    """The verb a phrase hangs on."""
    for _ in range(5):
        if tok.pos_ in ("VERB", "AUX") or tok.head.i == tok.i:
            return tok
        tok = tok.head
    return tok


def _own_date(m: Mention) -> str | None:
    if m.date_in_sentence:
        return m.date
    return m.fallback if m.fallback_local else None


def _nested(a: set[str], b: set[str]) -> bool:
    return bool(a and b and (a <= b or b <= a))


def _conflict(a: str | None, b: str | None) -> bool:
    """Two dates name different times; a bare year ("this year") does not contradict a day in it."""
    if not a or not b or a == b:
        return False
    return not ((len(a) == 4 and b.startswith(a)) or (len(b) == 4 and a.startswith(b)))


def _same_meeting(a: list[Mention], b: Mention) -> bool:
    pa = {p.name for p in a[0].participants}
    pb = {p.name for p in b.participants}
    da = next((m.date for m in a if m.date_in_sentence), a[0].fallback)
    if b.section == "body" and _conflict(da, _own_date(b)):
        return False
    if pa == pb:
        return True
    # "Putin met Erdogan" and "Russia and Turkey held talks": the same sides, named by people or by states
    sa, sb = a[0].sides, b.sides
    if min(len(sa), len(sb)) >= 2 and (sa <= sb or sb <= sa) and not b.separate and (
            a[0].date == b.date or not b.date_in_sentence):
        return True
    if (pa <= pb or pb <= pa) and not b.separate and (a[0].date == b.date or not b.date_in_sentence):
        return True
    if (pa <= pb or pb <= pa) and (a[0].section == "caption" or b.section in ("caption", "headline")):
        return True
    if b.section == "headline" and len(pa & pb) >= 1:
        return True
    return False


def _same_agreement(a: list[Mention], b: Mention) -> bool:
    pa = {p.name for m in a for p in m.participants}
    pb = {p.name for p in b.participants}
    da = next((m.date for m in a if m.date_in_sentence), a[0].fallback)
    if b.section == "body" and _conflict(da, _own_date(b)):
        return False
    if b.separate:
        return False
    return bool(pa and pb and (pa <= pb or pb <= pa)) or not pb


def _same_attack(a: list[Mention], b: Mention) -> bool:
    da = next((m.date for m in a if m.date_in_sentence), None)
    if b.date_in_sentence and b.section == "body" and _conflict(da, b.date):
        return False  # a photo's date is when it was taken, not when the attack was
    # "Turkish warplanes later struck PKK positions" after a PKK bombing: another side, another attack
    sides_a = {e.name for m in a for e in m.perpetrators + m.blamed}
    sides_b = {e.name for e in b.perpetrators + b.blamed}
    if sides_a and sides_b and not sides_a & sides_b and b.section == "body" and a[0].section == "body":
        return False
    return True


def _main_place(r: Reader) -> str | None:
    """Where the article's news happened: the first city its photo caption, else its lead, names."""
    for section in ("caption", "body"):
        for sent in r.doc.sents:
            if r.section(sent[0]) != section:
                continue
            for tok in sent:
                e = r.by_token.get(tok.i)
                if e is not None and e.kind == "place" and id(e) in r.kept and tok.ent_type_ == "GPE" \
                        and not _is_site(e):
                    return e.name
            if section == "body":
                break
    # no town: the seat of government the photo shows ("in the Kremlin"), else its first place
    caption_places = [e for sent in r.doc.sents if r.section(sent[0]) == "caption"
                      for e in r.ents_in(list(sent), "place")]
    seats = [e for e in caption_places if _is_seat(e)]
    if seats or caption_places:
        return (seats or caption_places)[0].name
    return None


def find_events(doc: Doc, entities: list[Entity], by_token: dict[int, Entity],
                sections: list[tuple[int, Section]]) -> tuple[list[Event], list[Event]]:
    """The article's events and non-events (planned, denied, hypothetical, negated)."""
    r = Reader(doc, entities, by_token, sections)
    mentions: list[Mention] = []
    for sent in doc.sents:
        mentions += read_sentence(r, sent)
    asserted = [m for m in mentions if m.modality == "asserted"]
    others = [m for m in mentions if m.modality != "asserted"]
    clusters: list[list[Mention]] = []
    same = {"meeting": _same_meeting, "agreement": _same_agreement, "attack": _same_attack}
    # body first, so captions and headlines join a body report rather than lead
    order = sorted(asserted, key=lambda m: (m.section != "body", m.trigger.i))
    for m in order:
        for c in clusters:
            if c[0].type == m.type and same[m.type](c, m):
                c.append(m)
                break
        else:
            if m.section != "headline" and not (m.weak and m.type == "meeting" and any(
                    c[0].type == "meeting" and _nested({p.name for p in c[0].participants},
                                                       {p.name for p in m.participants})
                    for c in clusters)):
                clusters.append([m])
    clusters.sort(key=lambda c: (c[0].section != "body", c[0].trigger.i))
    r.main_place = _main_place(r)
    events = [_to_event(r, c) for c in clusters]
    events.sort(key=lambda e: e.evidence[0].start)
    non_events = [_to_event(r, [m]) for m in others]
    return events, non_events
