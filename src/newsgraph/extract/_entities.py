"""From an annotated Doc to the article's entities: people, states, places, organizations.

Decisions, in order:
1. States come from the gazetteer spans. A capital or seat of government ("Ankara", "Kremlin")
   counts as its state when it acts (subject or possessor: "Ankara said", "Moscow's position"),
   and as a place otherwise ("talks in Ankara").
2. People are PERSON entities with titles and honorifics cut off and kept as roles; a name the
   small model labels otherwise ("Maduro" as ORG) is a person when it repeats a known person's
   name within the article.
3. Mentions of one entity merge within the article: "Abdollahian" joins "Hossein
   Amir-Abdollahian", "Erdogan" joins "Recep Tayyip Erdoğan" (accents and "al-" ignored).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from spacy.tokens import Doc, Span, Token

from .._models import Entity, Mention, Section
from ._components import STATES_KEY
from ._gazetteer import Gazetteer, load_gazetteer
from ._lexicon import ATTACK_NOUNS, FACILITY_HEADS, HONORIFICS, ROLE_HEADS, TITLE_WORDS

_LOCATIVE = {"in", "at", "near", "into", "toward", "towards", "outside", "around", "between", "across", "inside"}
_GEO_HEADS = {"valley", "river", "sea", "mountains", "mountain", "desert", "strait", "bay", "gulf", "lake",
              "rainforest", "forest", "basin", "delta", "coast", "corridor",
              "island", "islands", "peninsula", "plateau", "heights", "strip", "bank", "province", "region"}
_GROUP_NOUNS = {"rebel", "militant", "fighter", "militia", "movement", "insurgent", "guerrilla", "gunman", "jihadist",
                "jihadi", "extremist", "insurgency", "faction"}
#: Religious, ethnic and regional words that describe people rather than name a group.
_DESCRIPTORS = {"Islamist", "Jihadist", "Shiite", "Shia", "Sunni", "Muslim", "Christian", "Jewish", "Arab",
                "Western", "European", "African", "Asian", "Kurdish", "Druze", "Alawite", "Islamic", "Catholic",
                "Orthodox", "Hindu", "Buddhist", "Tribal", "Bedouin", "Pashtun", "Baloch", "Tamil", "Uighur"}
_NOT_PEOPLE = {"accords", "accord", "agreement", "treaty", "pact", "declaration", "act", "plan"}
#: Nouns whose "between X and Y" names people, not places: "talks between Ruto and Museveni".
_BETWEEN_PEOPLE = {"meeting", "talk", "talks", "summit", "agreement", "deal", "pact", "treaty", "accord", "call",
                   "conversation", "handshake", "encounter", "rivalry", "dispute", "relationship", "exchange"}
#: Head nouns of buildings and venues: "State House", "Government Palace" name places, not people.
_VENUE_HEADS = FACILITY_HEADS | {"house", "hall", "building", "tower", "towers", "centre", "center", "compound",
                                 "castle", "fort", "villa", "mansion", "chancellery", "parliament", "court"}
#: Endings of adjectives of origin ("Tigrayan", "Kurdish", "Sudanese", "Slavic"), which describe people.
_ORIGIN_ADJECTIVE = re.compile(r"(?:[iey]an|ish|ese|ic)$")
_PARTICLES = {"al", "el", "al-", "el-", "bin", "ibn", "bint", "abu", "de", "da", "van", "von", "of", "the"}


def fold(text: str) -> str:
    """Accent-, case- and punctuation-insensitive form of a name."""
    text = unicodedata.normalize("NFKD", text.replace("ı", "i"))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[’'`]s\b", "", text)
    return " ".join(re.sub(r"[^\w\s-]", " ", text).split())


@lru_cache(maxsize=65536)
def name_tokens(text: str) -> list[str]:
    """Name parts that identify a person: "Amir-Abdollahian" -> ["amir", "abdollahian"]."""
    parts = re.split(r"[\s\-]+", fold(text))
    return [p for p in parts if p and p not in _PARTICLES]


@dataclass
class Found:
    """One mention of an entity, before merging."""

    kind: str  # an EntityKind, or "norp" until a nationality-tagged name is retyped
    text: str
    start: int  # char offsets in the doc
    end: int
    section: Section
    qid: str | None = None  # states: the gazetteer's QID
    name: str | None = None  # states and capitals: the canonical name
    roles: list[str] = field(default_factory=list)
    role_of: str | None = None
    token_i: int = 0
    token_end: int = 0


def section_of(char: int, sections: list[tuple[int, Section]]) -> Section:
    sec: Section = "headline"
    for start, name in sections:
        if char >= start:
            sec = name
    return sec


def is_metonym(span: Span) -> bool:
    """A capital or seat used for its government: it speaks, acts or owns ("Ankara said")."""
    root = span.root
    if root.dep_ in ("nsubj", "nsubjpass", "poss", "agent"):
        return True
    if root.dep_ == "conj" and root.head.dep_ in ("nsubj", "nsubjpass", "poss"):
        return True
    if root.dep_ == "pobj" and root.head.lower_ == "by" and root.head.head.tag_ == "VBN":
        return True
    if root.dep_ == "conj" and root.head.dep_ == "dobj":
        root = root.head
    if root.dep_ == "dobj" and root.head.lemma_ in _ADDRESSED:
        return True  # "accused Beijing of ...", "pressed Caracas to ...": a government is addressed
    return False


#: Verbs whose object is someone who can be addressed, blamed or persuaded: a capital there is its government.
_ADDRESSED = {"accuse", "urge", "press", "warn", "criticize", "criticise", "condemn", "blame", "pressure", "sanction",
              "ask", "thank", "praise", "support", "back", "reassure", "lobby", "threaten", "persuade", "push",
              "court", "rebuke", "fault", "implore", "encourage", "caution", "tell", "inform", "notify"}


def _strip_title(span: Span) -> tuple[Span, list[str]]:
    """Cut leading titles/honorifics off a PERSON span; return the rest and the cut words."""
    cut: list[str] = []
    start = span.start
    while start < span.end - 1 and (span.doc[start].lower_.rstrip(".") in HONORIFICS or
                                    span.doc[start].lower_ in TITLE_WORDS):
        cut.append(span.doc[start].lower_)
        start += 1
    end = span.end
    while end > start + 1 and span.doc[end - 1].tag_ == "POS":
        end -= 1
    return span.doc[start:end], cut


def _role_before(span: Span, state_at: dict[int, str]) -> tuple[list[str], str | None]:
    """Titles written before a name: "Iran's Foreign Minister X" -> (["foreign minister"], "Iran")."""
    doc = span.doc
    i = span.start - 1
    words: list[str] = []
    role_of = None
    while i >= 0 and i >= span.start - 8:
        tok = doc[i]
        low = tok.lower_.rstrip(".")
        if low in TITLE_WORDS or (tok.is_title and low in HONORIFICS):
            words.insert(0, low)
        elif low == "of" and words and i > 0 and doc[i - 1].lower_ in TITLE_WORDS:
            words.insert(0, low)  # "Secretary of State"
        elif tok.i in state_at:
            role_of = state_at[tok.i]
            break
        elif tok.tag_ == "POS" and i - 1 in state_at:
            role_of = state_at[i - 1]
            break
        elif tok.ent_type_ == "ORG" and not words:
            break
        elif tok.ent_type_ == "ORG":
            j = i
            while j > 0 and doc[j - 1].ent_iob_ == "I" and doc[j - 1].ent_type_ == "ORG":
                j -= 1
            role_of = doc[j:i + 1].text  # "UN Secretary-General X": the organization's
            break
        elif tok.lower_ in ("'s", "’s") or tok.is_punct:
            break
        else:
            break
        i -= 1
    roles = []
    if words:
        phrase = " ".join(w for w in words if w not in ("newly", "appointed", "his", "her", "late"))
        if any(w in ROLE_HEADS for w in words) or phrase:
            roles.append(phrase)
    return roles, role_of


def collect(doc: Doc, gazetteer: Gazetteer, sections: list[tuple[int, Section]]) -> list[Found]:
    """Every entity mention in the doc, typed, before merging."""
    found: list[Found] = []
    forms = gazetteer.by_text()
    state_at: dict[int, str] = {}
    state_tokens: set[int] = set()
    group_names: set[str] = set()  # names seen before a group noun ("Boko Haram fighters")
    for sp in doc.spans.get(STATES_KEY, []):
        qid = sp.kb_id_
        name = gazetteer.names.get(qid, sp.text)
        sec = section_of(sp.start_char, sections)
        state_tokens.update(range(sp.start, sp.end))
        if sp.label_ in ("capital", "seat") and not is_metonym(sp):
            form = forms.get(sp.text)
            found.append(Found("place", sp.text, sp.start_char, sp.end_char, sec,
                               name=(form.place if form else sp.text), token_i=sp.start, token_end=sp.end))
            continue
        for t in sp:
            state_at[t.i] = name
        found.append(Found("state", sp.text, sp.start_char, sp.end_char, sec, qid=qid, name=name,
                           token_i=sp.start, token_end=sp.end))
    for ent in _join_adjacent_people(doc):
        inside = sum(1 for t in ent if t.i in state_tokens)
        if inside and (inside == len(ent) or ent.label_ not in ("ORG", "FAC", "LOC")):
            continue  # the state itself; but "Saudi Press Agency" is an organization that names one
        sec = section_of(ent.start_char, sections)
        label = ent.label_
        if label in ("ORG", "GPE", "FAC", "NORP") and ent.start > 0 and doc[ent.start - 1].is_title \
                and doc[ent.start - 1].lower_ in HONORIFICS and ent[0].pos_ == "PROPN":
            label = "PERSON"  # "Sultan Qaboos", "King Salman"
            ent = doc[ent.start - 1:ent.end]
        elif label in ("ORG", "GPE", "NORP") and len(ent) >= 2 and ent[0].is_title \
                and ent[0].lower_ in HONORIFICS | TITLE_WORDS and all(t.pos_ == "PROPN" for t in ent) \
                and not all(t.lower_ in TITLE_WORDS | {"of", "for"} for t in ent):
            label = "PERSON"  # the model took the title in: "[Sultan Qaboos]", "[Brigadier General X]" as ORG
        if label == "ORG" and all(t.lower_ in TITLE_WORDS | {"of", "for", "the"} and not t.is_upper for t in ent):
            continue  # "State" of "Secretary of State", "Supreme" of "Supreme Leader": a title, not a body
        if len(ent) == 1 and ent.root.dep_ == "pobj" and ent.root.head.lower_ in ("on", "via") \
                and ent.root.head.head.lemma_ in _POSTING and label in ("PERSON", "ORG", "PRODUCT", "WORK_OF_ART"):
            label = "ORG"  # "wrote on Twitter", "said on Telegram": a platform, not a person
        nxt_tok = doc[ent.end] if ent.end < len(doc) else None
        if label in ("ORG", "PERSON") and (
                (len(ent) >= 2 and ent[-1].lower_ in _VENUE_HEADS - {"office"} and ent[-1].is_title)
                or (nxt_tok is not None and nxt_tok.lower_ in _GEO_HEADS and nxt_tok.dep_ != "compound"
                    and ent.root.head.i == nxt_tok.i)):
            label = "FAC"  # "Parliament House"; "the Amazon rainforest": a place, whatever the model said
        elif label == "PERSON" and nxt_tok is not None and nxt_tok.lemma_ in _GROUP_NOUNS \
                and ent.root.head.i == nxt_tok.i:
            label = "ORG"  # "Boko Haram jihadists": a group named by its members' name
            group_names.add(fold(ent.text))
        if label == "PERSON":
            core, cut = _strip_title(ent)
            if not core.text or not any(c.isupper() for c in core.text[:1]) or core[-1].lower_ in _NOT_PEOPLE:
                continue
            root = core.root
            while root.dep_ == "conj" and root.head.i != root.i:
                root = root.head
            if ent[-1].lower_ in _VENUE_HEADS and len(ent) >= 2:
                # "State House", "Government Palace": the model's PERSON is a building; its title-like
                # first word ("State") belongs to the name
                sp = ent[1:] if ent[0].lower_ == "the" else ent
                found.append(Found("place", sp.text, sp.start_char, sp.end_char, sec, token_i=sp.start,
                                   token_end=sp.end))
                continue
            titled = bool(cut) or bool(_role_before(ent, state_at)[0])
            if (root.dep_ == "pobj" and root.head.lower_ in _LOCATIVE and not titled
                    and root.head.head.lemma_.lower() not in _BETWEEN_PEOPLE) or core[-1].lower_ in _GEO_HEADS:
                found.append(Found("place", core.text, core.start_char, core.end_char, sec, token_i=core.start,
                                   token_end=core.end))
                continue
            roles, role_of = _role_before(ent, state_at)
            if cut:
                roles = [" ".join(cut)] + roles
            found.append(Found("person", core.text, core.start_char, core.end_char, sec, roles=roles,
                               role_of=role_of, token_i=core.start, token_end=core.end))
        elif label in ("GPE", "LOC", "FAC"):
            sp = ent
            if sp[0].lower_ == "the":
                sp = sp[1:]
            if not sp.text:
                continue
            if not any(t.text[:1].isupper() for t in sp):
                continue  # "the kingdom": a description, not a name
            if len(sp) == 1 and sp[0].is_sent_start and (sp[0].lower_ in _COMMON_ACTORS
                                                         or sp[0].lemma_.lower() in _COMMON_ACTORS):
                continue  # "Gunmen killed ...": a capitalised first word, not a place
            if len(sp) >= 2 and sp[-1].lower_ in _VENUE_HEADS:
                mods = {t.lower_ for t in sp[:-1]}
                if mods <= {"presidential", "royal", "imperial", "official"}:
                    continue  # "the Presidential Palace": a description, not a name
                if sp[-1].lower_ in ("office", "offices") and mods <= TITLE_WORDS | {"'s", "cabinet", "home"}:
                    found.append(Found("organization", sp.text, sp.start_char, sp.end_char, sec, token_i=sp.start,
                                       token_end=sp.end))
                    continue  # "the Foreign Office", "the Prime Minister's Office": a ministry
            found.append(Found("place", sp.text, sp.start_char, sp.end_char, sec, name=_proper_part(sp),
                               token_i=sp.start, token_end=sp.end))
        elif label == "NORP":
            nxt = doc[ent.end] if ent.end < len(doc) else None
            if nxt is not None and nxt.lemma_ in _GROUP_NOUNS and not _origin_adjective(ent) \
                    and ent[0].is_title:
                # "Houthi rebels", "Taliban fighters": an armed group named by its members' name
                group_names.add(fold(ent.text))
                found.append(Found("organization", ent.text, ent.start_char, ent.end_char, sec,
                                   token_i=ent.start, token_end=ent.end + 1))
            else:
                # a name the model took for a nationality ("Rouhani"); kept only if it is a person's
                found.append(Found("norp", ent.text, ent.start_char, ent.end_char, sec, token_i=ent.start,
                                   token_end=ent.end))
        elif label == "ORG":
            sp = ent
            if sp[0].lower_ == "the":
                sp = sp[1:]
            if not sp.text or sp[-1].lower_ in _NOT_PEOPLE:
                continue  # "the Abraham Accords" is a document, not a body
            if not any(t.is_title or t.is_upper or t.text[:1].isupper() for t in sp):
                continue  # "the health ministry": a description, not a name
            if _origin_adjective(sp) and sp.root.dep_ in ("amod", "compound", "nmod") and sp.root.head.pos_ == "NOUN":
                continue  # "Tigrayan", "Kurdish" alone describe people; a state's demonym is the state
            found.append(Found("organization", sp.text, sp.start_char, sp.end_char, sec, token_i=sp.start,
                               token_end=sp.end))
    found += _titled_names(doc, found, sections, state_at)
    found = _defined_acronyms(doc, found, sections)
    found += _acronyms(doc, found, sections)
    found += _led_coalitions(doc, found, sections)
    found = _retype_names(found, group_names)
    return found + _bare_surnames(doc, found, sections)


#: Common nouns for attackers and armed men, which the model tags as places when they open a sentence.
_COMMON_ACTORS = ATTACK_NOUNS | _GROUP_NOUNS | {"gunmen", "militants", "rebels", "fighters", "insurgents", "attackers",
                                               "assailants", "jihadists", "troops", "soldiers", "police"}


#: Lowercase words for administrative areas: "the Mastung district" is Mastung.
_AREA_WORDS = {"province", "district", "region", "governorate", "county", "city", "town", "village", "municipality",
               "prefecture"}


def _proper_part(sp: Span) -> str | None:
    """The name in "Qasr Al Watan palace", "Hodeidah port", "Mastung district": a lowercase building or
    area word is no part of it."""
    if not (sp[-1].is_lower and sp[-1].lower_ in _VENUE_HEADS | _AREA_WORDS):
        return None
    end = sp.end
    while end > sp.start + 1 and sp.doc[end - 1].is_lower:
        end -= 1
    name = sp.doc[sp.start:end].text
    return name if end < sp.end and name[:1].isupper() else None


#: Verbs of publishing: what one writes or posts "on" is a platform.
_POSTING = {"write", "post", "say", "tweet", "announce", "share", "publish", "comment", "state", "declare", "appear",
            "report", "broadcast", "air"}


def _led_coalitions(doc: Doc, found: list[Found], sections: list[tuple[int, Section]]) -> list[Found]:
    """ "the Saudi-led coalition", "the US-backed alliance": a body named by who leads it."""
    out: list[Found] = []
    for tok in doc:
        if tok.lemma_ not in ("coalition", "alliance"):
            continue
        for mod in tok.children:
            if mod.dep_ == "amod" and mod.lower_ in ("led", "backed") and mod.i < tok.i:
                lead = [c for c in mod.children if c.dep_ in ("npadvmod", "compound", "nmod") and c.is_title]
                if lead:
                    sp = doc[lead[0].i:tok.i + 1]
                    out.append(Found("organization", sp.text, sp.start_char, sp.end_char,
                                     section_of(sp.start_char, sections), token_i=tok.i, token_end=tok.i + 1))
    return out


def _defined_acronyms(doc: Doc, found: list[Found], sections: list[tuple[int, Section]]) -> list[Found]:
    """ "Jamaat Nusrat al-Islam wal-Muslimin (JNIM)": a name defined by the acronym after it is one body,
    whatever pieces the model made of it. The name is the shortest run of words before the bracket whose
    initials spell the acronym (Schwartz and Hearst's test); "X, known as the <name> (ACR)" names X too."""
    spans: list[tuple[int, int]] = []
    for tok in doc[1:-1]:
        if not (tok.text == "(" and doc[tok.i + 1].is_upper and doc[tok.i + 1].is_alpha and tok.i + 2 < len(doc)
                and doc[tok.i + 2].text == ")" and 2 <= len(doc[tok.i + 1]) <= 8):
            continue
        acr = doc[tok.i + 1].text.lower()
        words: list[int] = []  # capitalised words, walking back from the bracket
        j = tok.i - 1
        while j >= 0 and tok.i - j <= 12 and (doc[j].text in ("-", "'", "’") or _name_word(doc[j])
                                              or doc[j].lower_ in _NAME_PARTICLES):
            if _name_word(doc[j]):
                words.insert(0, j)
            j -= 1
        for k in range(len(words) - 1, -1, -1):
            if "".join(doc[w].lower_[0] for w in words[k:]) == acr and len(words) - k >= 2:
                spans.append((words[k], tok.i))
                break
    if not spans:
        return found
    out = [f for f in found if f.kind == "state" or not any(a < max(f.token_end, f.token_i + 1) and f.token_i < b
                                                            for a, b in spans)]
    for a, b in spans:
        sp = doc[a:b]
        name = sp.text
        out.append(Found("organization", name, sp.start_char, sp.end_char, section_of(sp.start_char, sections),
                         token_i=a, token_end=b))
        # "the Pakistani Taliban, known as the Tehreek-e-Taliban Pakistan (TTP)"
        k = a - 1
        if k >= 0 and doc[k].lower_ == "the":
            k -= 1
        if k >= 2 and doc[k].lower_ == "as" and doc[k - 1].lower_ == "known":
            k -= 2
            if k >= 0 and doc[k].lower_ == "also":
                k -= 1
            if k >= 0 and doc[k].text == ",":
                for f in out:
                    if f.kind == "organization" and f.token_end == k:
                        f.name = name
    return out


def _name_word(tok: Token) -> bool:
    """A capitalised word of a name, apostrophes allowed ("Jama'at")."""
    return tok.text[:1].isupper() and bool(re.fullmatch(r"[^\W\d_]+(?:['’][^\W\d_]+)*", tok.text))


_NAME_PARTICLES = {"al", "el", "e", "wal", "wa", "of", "the", "and", "for", "de", "la", "del", "i", "ul", "ad", "ash",
                   "as", "at", "an", "bin", "ibn", "abu"}


def _acronyms(doc: Doc, found: list[Found], sections: list[tuple[int, Section]]) -> list[Found]:
    """ "the National Liberation Army (ELN)": the acronym, wherever it recurs, names the same body."""
    aliases: dict[str, str] = {}
    for f in found:
        if f.kind == "organization" and f.token_end + 2 < len(doc) and doc[f.token_end].text == "(" \
                and doc[f.token_end + 2].text == ")":
            acr = doc[f.token_end + 1]
            if acr.is_upper and acr.is_alpha and 2 <= len(acr) <= 8 and len(name_tokens(f.text)) >= 2:
                aliases[acr.text] = f.name or f.text
    if not aliases:
        return []
    out: list[Found] = []
    at = {f.token_i: f for f in found}
    for tok in doc:
        long = aliases.get(tok.text)
        if long is None:
            continue
        here = at.get(tok.i)
        if here is not None and here.kind == "organization" and here.token_end == tok.i + 1:
            here.name = long  # the model found it: it joins the long name
        elif here is None and not any(g.token_i <= tok.i < max(g.token_end, g.token_i + 1) for g in found):
            out.append(Found("organization", tok.text, tok.idx, tok.idx + len(tok), section_of(tok.idx, sections),
                             name=long, token_i=tok.i, token_end=tok.i + 1))
    return out


def _origin_adjective(span: Span) -> bool:
    """A lone adjective of origin or faith ("Tigrayan", "Kurdish", "Shiite"): it names no body."""
    if len(span) != 1:
        return False
    text = span.text
    return text in _DESCRIPTORS or bool(_ORIGIN_ADJECTIVE.search(text.lower()))


def _bare_surnames(doc: Doc, found: list[Found], sections: list[tuple[int, Section]]) -> list[Found]:
    """A known person's surname standing alone where the model saw no entity ("Ruto told ...")."""
    surnames: set[str] = set()
    owners: dict[str, set[str]] = {}
    for f in found:
        toks = name_tokens(f.text) if f.kind == "person" else []
        if len(toks) >= 2:
            surnames.add(toks[-1])
            for part in toks:
                owners.setdefault(part, set()).add(toks[-1])
    # a given name also stands for its person ("Abiy" for Abiy Ahmed) when no one else in the article has it
    surnames |= {part for part, who in owners.items() if len(who) == 1 and len(part) >= 3}
    taken = {i for f in found for i in range(f.token_i, max(f.token_end, f.token_i + 1))}
    out = []
    if not surnames:
        return []
    for tok in doc:
        # the small model calls a lone name many things ("signed by Ruto and Abiy" as WORK_OF_ART)
        if not tok.is_title or tok.i in taken or tok.pos_ not in ("PROPN", "ADJ", "NOUN") \
                or tok.ent_type_ not in ("", "WORK_OF_ART", "PRODUCT", "LAW", "EVENT"):
            continue
        toks = name_tokens(tok.text)
        if len(toks) == 1 and toks[0] in surnames:
            out.append(Found("person", tok.text, tok.idx, tok.idx + len(tok.text), section_of(tok.idx, sections),
                             token_i=tok.i, token_end=tok.i + 1))
    return out


def _join_adjacent_people(doc: Doc) -> list[Span]:
    """ "Sheikh Mohammed bin Abdulrahman" + "Al Thani" side by side are one name."""
    state_words = load_gazetteer().by_text()
    out: list[Span] = []
    for ent in _repair(doc, state_words):
        if out and out[-1].label_ == "PERSON" and out[-1].end == ent.start and (
                ent.label_ == "PERSON" or (len(ent) == 1 and ent.label_ in ("GPE", "ORG", "NORP")
                                           and ent[0].pos_ == "PROPN" and ent.text not in state_words)):
            # "Khan" + "Muttaqi": a surname the model cut off (and mislabelled) is still the name's
            out[-1] = Span(doc, out[-1].start, ent.end, label="PERSON")
        else:
            out.append(ent)
    for k, ent in enumerate(out):
        # "[Amir Khan] Muttaqi": a capitalised name word right after a person, tagged as nothing
        end = ent.end
        while ent.label_ == "PERSON" and end < len(doc) and doc[end].pos_ == "PROPN" and doc[end].is_title \
                and not doc[end].ent_type_ and doc[end].lower_ not in TITLE_WORDS:
            end += 1
        if ent.label_ == "PERSON" and end < len(doc) and re.fullmatch(r"[IVX]{1,4}", doc[end].text) \
                and doc[end].ent_type_ in ("", "PERSON", "ORG", "GPE"):
            end += 1  # "King Abdullah II": the regnal number is part of the name
        # "President Mahamat [Idriss Deby]": a given name right before a person, tagged as nothing
        start = ent.start
        while ent.label_ == "PERSON" and start > 0 and doc[start - 1].pos_ == "PROPN" and doc[start - 1].is_title \
                and not doc[start - 1].ent_type_ and doc[start - 1].lower_.rstrip(".") not in TITLE_WORDS | HONORIFICS \
                and doc[start - 1].dep_ == "compound":
            start -= 1
        # "President [To] Lam": a capitalised word between a title and a name, whatever its part of speech
        if ent.label_ == "PERSON" and start > 1 and start == ent.start and doc[start - 1].is_title \
                and doc[start - 1].is_alpha and not doc[start - 1].is_sent_start and not doc[start - 1].ent_type_ \
                and doc[start - 1].pos_ in ("ADP", "PART", "ADV", "CCONJ", "SCONJ", "DET") \
                and doc[start - 2].lower_ in ROLE_HEADS and doc[start - 2].is_title:
            start -= 1
        if end > ent.end or start < ent.start:
            out[k] = Span(doc, start, end, label="PERSON")
    return [part for ent in out for part in _split_coordination(ent)]


_GROUP_NAME_WORDS = {"state", "front", "army", "movement", "party", "jihad", "brotherhood", "council", "forces",
                     "guard", "resistance", "union", "league", "alliance", "congress", "group", "organization"}


def _repair(doc: Doc, state_words: Mapping[str, object]) -> list[Span]:
    """Mend two common mislabels of the small model before entities are typed.

    - "[Islamic]NORP [State]ORG", "[Islamic]NORP State fighters": a group's name cut in two is one name;
    - "in [Kidal]NORP", "in [Odesa]LANGUAGE": a proper noun after "in"/"near"/"at" is a place.
    """
    ents = list(doc.ents)
    out: list[Span] = []
    i = 0
    while i < len(ents):
        ent = ents[i]
        if ent.label_ == "NORP" and ent.text not in state_words and ent[0].is_title:
            end = ent.end
            if i + 1 < len(ents) and ents[i + 1].start == ent.end and ents[i + 1].label_ == "ORG" \
                    and all(t.lower_ in _GROUP_NAME_WORDS for t in ents[i + 1]):
                end = ents[i + 1].end
                i += 1
            else:
                while end < len(doc) and not doc[end].ent_type_ and doc[end].pos_ == "PROPN" and doc[end].is_title \
                        and doc[end].lower_ in _GROUP_NAME_WORDS:
                    end += 1
            if end > ent.end:
                out.append(Span(doc, ent.start, end, label="ORG"))
                i += 1
                continue
        if ent.label_ in ("GPE", "LOC") and ent.end < len(doc) and doc[ent.end].pos_ == "PROPN" \
                and doc[ent.end].is_title and not doc[ent.end].ent_type_ and ent.text not in state_words \
                and not doc[ent.end].is_sent_start and doc[ent.end].lower_ not in TITLE_WORDS:
            end = ent.end  # "[Tal]GPE Abyad": the rest of a town's name the model left out
            while end < len(doc) and doc[end].pos_ == "PROPN" and doc[end].is_title and not doc[end].ent_type_:
                end += 1
            ent = Span(doc, ent.start, end, label=ent.label_)
        if ent.label_ in ("NORP", "LANGUAGE") and ent.text not in state_words and ent.root.pos_ == "PROPN" \
                and ent.root.dep_ == "pobj" and ent.root.head.lower_ in ("in", "near", "at", "outside", "inside"):
            ent = Span(doc, ent.start, ent.end, label="GPE")
        elif ent.label_ == "ORG" and len(ent) == 1 and ent[0].is_title and ent.root.dep_ == "pobj" \
                and ent.root.head.lower_ in ("near", "outside"):
            ent = Span(doc, ent.start, ent.end, label="GPE")  # "the village near [Djibo]ORG": a town
        out.append(ent)
        i += 1
    return out


def _split_coordination(ent: Span) -> list[Span]:
    """ "[Sadyr Japarov and Emomali Rahmon]", "[Japarov and Rahmon in Khujand]": the small model sometimes
    takes two names joined by "and" (and a place after "in") as one entity; each is its own."""
    if ent.label_ not in ("PERSON", "ORG"):
        return [ent]
    end = ent.end
    while end > ent.start + 1 and ent.doc[end - 1].pos_ in ("CCONJ", "ADP"):
        end -= 1  # "[Gitanas Nauseda and] Edgars Rinkevics"
    if end < ent.end:
        ent = Span(ent.doc, ent.start, end, label=ent.label_)
    if len(ent) < 3:
        return [ent]
    cuts = [t for t in ent[1:-1] if t.pos_ == "CCONJ" and t.lower_ == "and"]
    where = [t for t in ent[1:-1] if t.pos_ == "ADP" and t.lower_ in ("in", "at")]
    if not cuts:
        return [ent]
    place: Span | None = None
    end = ent.end
    if where and ent.label_ == "ORG":
        place = Span(ent.doc, where[0].i + 1, ent.end, label="GPE")
        end = where[0].i
    parts: list[Span] = []
    start = ent.start
    for c in [c for c in cuts if c.i < end] + [None]:
        stop = c.i if c is not None else end
        if stop > start:
            parts.append(Span(ent.doc, start, stop, label=ent.label_))
        start = (c.i + 1) if c is not None else end
    # only names on both sides: "Ministry of Trade and Industry" stays one organization
    if len(parts) < 2 or not all(all(t.pos_ == "PROPN" and t.is_title for t in p) and len(p) <= 4 for p in parts):
        return [ent]
    return parts + ([place] if place is not None and all(t.pos_ == "PROPN" for t in place) else [])


def _titled_names(doc: Doc, found: list[Found], sections: list[tuple[int, Section]],
                  state_at: dict[int, str] | None = None) -> list[Found]:
    """ "Sultan Qaboos", "King Salman": a title-cased honorific before a name the model missed."""
    taken = {i for f in found for i in range(f.token_i, max(f.token_end, f.token_i + 1))}
    out: list[Found] = []
    for tok in doc[:-1]:
        if not (tok.is_title and tok.lower_ in HONORIFICS | ROLE_HEADS):
            continue
        j = tok.i + 1
        body = section_of(tok.idx, sections) != "headline"  # a Title-Case headline capitalises every word
        while j < len(doc) and doc[j].is_title and j not in taken and (doc[j].pos_ == "PROPN" or (
                # "President To Lam": a capitalised word mid-sentence is a name part, whatever its usual part
                # of speech, when a name follows it
                body and j == tok.i + 1 and j + 1 < len(doc) and doc[j + 1].pos_ == "PROPN" and doc[j + 1].is_title
                and not doc[j].is_sent_start and doc[j].is_alpha)) \
                and doc[j].lower_ not in HONORIFICS | ROLE_HEADS and doc[j].ent_type_ in ("", "PERSON", "ORG", "NORP"):
            j += 1
        if j == tok.i + 1 or (j < len(doc) and doc[j].tag_ == "POS" and j == tok.i + 2 and False):
            continue
        if j < len(doc) and re.fullmatch(r"[IVX]{1,4}", doc[j].text) and j not in taken:
            j += 1  # "King Abdullah II"
        span = doc[tok.i + 1:j]
        if any(t.i in taken for t in span):
            continue
        sec = section_of(span.start_char, sections)
        roles, role_of = _role_before(span, state_at or {})
        out.append(Found("person", span.text, span.start_char, span.end_char, sec, roles=roles or [tok.lower_],
                         role_of=role_of, token_i=span.start, token_end=span.end))
        taken.update(range(span.start, span.end))
    return out


def _retype_names(found: list[Found], group_names: set[str] = frozenset()) -> list[Found]:  # type: ignore[assignment]
    """A name the model typed as ORG/place but that repeats a person's name is that person; a name it
    typed as a person but that the article also uses for a group ("Boko Haram fighters") is that group."""
    found = [Found("organization", f.text, f.start, f.end, f.section, token_i=f.token_i, token_end=f.token_end)
             if f.kind == "person" and not f.roles and fold(f.text) in group_names else f for f in found]
    person_parts: set[str] = set()
    for f in found:
        if f.kind == "person":
            toks = name_tokens(f.text)
            if len(toks) >= 2:
                person_parts.update(toks)
    out = []
    for f in found:
        if f.kind in ("organization", "place", "norp") and f.name is None:
            toks = name_tokens(f.text)
            if toks and all(t in person_parts for t in toks) and len(toks) <= 3:
                f = Found("person", f.text, f.start, f.end, f.section, token_i=f.token_i, token_end=f.token_end)
        if f.kind != "norp":
            out.append(f)
    return out


_NEUTRAL_TITLES = {"mr", "mrs", "ms", "dr", "sheikh", "sheik", "the", "his", "her", "former", "late", "acting",
                   "interim", "newly", "appointed", "deputy", "vice"}


def _role_heads(roles: list[str]) -> set[str]:
    """The title words that tell people apart ("king" vs "crown prince"); courtesy titles do not."""
    return {w for r in roles for w in r.split() if w in ROLE_HEADS and w not in _NEUTRAL_TITLES}


def _person_key_match(short: list[str], long: list[str]) -> bool:
    return bool(short) and len(short) < len(long) and all(t in long for t in short)


def merge(found: list[Found]) -> tuple[list[Entity], dict[int, Entity]]:
    """Merge mentions into entities. RETURNS the entities and a map token index -> entity name."""
    entities: list[Entity] = []
    by_token: dict[int, Entity] = {}
    # states: one per QID
    states: dict[str, Entity] = {}
    for f in found:
        if f.kind == "state" and f.qid:
            ent = states.setdefault(f.qid, Entity(kind="state", name=f.name or f.text))
            ent.mentions.append(Mention(f.text, f.start, f.end, f.section))
            _map(by_token, f, ent)
    entities += states.values()
    # people: longest forms first, shorter ones attach to the latest compatible longer one
    people = [f for f in found if f.kind == "person"]
    clusters: list[tuple[list[str], Entity]] = []
    for f in sorted(people, key=lambda f: (-len(name_tokens(f.text)), f.start)):
        toks = name_tokens(f.text)
        if not toks:
            continue
        target = None
        best: tuple[int, int] = (-1, -1)
        for ctoks, ent in clusters:
            if toks == ctoks or _person_key_match(toks, ctoks):
                # "Crown Prince Mohammed" joins the crown prince, not another Mohammed; else the latest.
                # "King Salman" never joins "Crown Prince Mohammed bin Salman": their titles differ.
                mine, theirs = _role_heads(f.roles), _role_heads(ent.roles)
                if toks != ctoks and mine and theirs and not mine & theirs:
                    continue
                shared = int(bool(mine & theirs))
                rank = (shared, _last_start(ent, f.start))
                if rank > best:
                    best, target = rank, (ctoks, ent)
        if target is None:
            ent = Entity(kind="person", name=f.text)
            clusters.append((toks, ent))
        elif target[1].mentions and all(m.section == "headline" for m in target[1].mentions) \
                and f.section != "headline" and toks == target[0]:
            target[1].name = f.text
        else:
            ent = target[1]
            if toks == target[0] and _accented(f.text) and not _accented(ent.name):
                ent.name = f.text
        ent.mentions.append(Mention(f.text, f.start, f.end, f.section))
        for r in f.roles:
            if r and r not in ent.roles:
                ent.roles.append(r)
        if f.role_of and not ent.role_of:
            ent.role_of = f.role_of
        _map(by_token, f, ent)
    for _, ent in clusters:
        ent.mentions.sort(key=lambda m: m.start)
        if _credible_person(ent):
            entities.append(ent)
    # places and organizations: same folded text, or a place given a canonical name
    for kind in ("place", "organization"):
        groups: dict[str, Entity] = {}
        for f in found:
            if f.kind != kind:
                continue
            key = fold(f.name or f.text)
            found_ent = groups.get(key)
            if found_ent is None:
                found_ent = groups[key] = Entity(kind=kind, name=f.name or f.text)
            ent = found_ent
            ent.mentions.append(Mention(f.text, f.start, f.end, f.section))
            _map(by_token, f, ent)
        if kind == "place":
            for gone, site in _join_sites(groups):
                for i, e in list(by_token.items()):
                    if e is gone:
                        by_token[i] = site
        for e in groups.values():
            e.mentions.sort(key=lambda m: m.start)
        # the Title-Case headline alone is no evidence ("UAE President Flies to Doha")
        entities += [e for e in groups.values() if any(m.section != "headline" for m in e.mentions)]
    return entities, by_token


def _join_sites(groups: dict[str, Entity]) -> list[tuple[Entity, Entity]]:
    """ "the Miraflores presidential palace" (named "Miraflores") and "Miraflores Palace" are one site; a town
    ("Kabul") never joins its airport, since only names cut from a building phrase are joined.
    RETURNS the (joined, kept) pairs."""
    joined: list[tuple[Entity, Entity]] = []
    for key, ent in list(groups.items()):
        forms = ent.surface_forms()
        if not forms or not all(f.split()[-1].islower() and f.split()[-1] in _VENUE_HEADS for f in forms):
            continue
        site = next((g for k, g in groups.items() if k != key and k.startswith(key + " ")
                     and k.split()[-1] in _VENUE_HEADS), None)
        if site is not None:
            site.mentions += ent.mentions
            del groups[key]
            joined.append((ent, site))
    return joined


def _map(by_token: dict[int, Entity], f: Found, ent: Entity) -> None:
    for i in range(f.token_i, max(f.token_end, f.token_i + 1)):
        by_token.setdefault(i, ent)


def _credible_person(ent: Entity) -> bool:
    """A person needs a full name or a title somewhere outside the Title-Case headline."""
    outside = [m for m in ent.mentions if m.section != "headline"]
    if not outside:
        return False
    return bool(ent.roles) or any(len(name_tokens(m.text)) >= 2 for m in outside)


def _last_start(ent: Entity, before: int) -> int:
    starts = [m.start for m in ent.mentions if m.start <= before]
    return max(starts) if starts else -1


def _accented(text: str) -> bool:
    return any(ord(c) > 127 for c in text)


def token_entity(tok: Token, by_token: dict[int, Entity]) -> Entity | None:
    return by_token.get(tok.i)
