"""The records that flow between newsgraph's stages.

    RawPage  --parse-->  Article  --extract-->  Article(+entities, events)  --link-->  (+wikidata)
                                                 --map--> quads --load--> store

Every record is a plain dataclass: stages read and write documented fields, nothing else.
Offsets (``start``/``end``) are character offsets into ``Article.text``.
"""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

EntityKind = Literal["person", "state", "place", "organization"]
EventType = Literal["meeting", "attack", "agreement"]
Modality = Literal["asserted", "planned", "denied", "hypothetical", "negated", "claimed"]
Section = Literal["headline", "caption", "body"]

ENTITY_KINDS: tuple[EntityKind, ...] = ("person", "state", "place", "organization")
EVENT_TYPES: tuple[EventType, ...] = ("meeting", "attack", "agreement")

#: The explicit "no Wikidata item" marker (spaCy's EntityLinker.NIL, our way).
NIL = "NIL"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stable_id(*parts: str, length: int = 16) -> str:
    """A short deterministic id from text parts (NFC-normalised, whitespace-collapsed)."""
    norm = "\x1f".join(" ".join(unicodedata.normalize("NFC", p).split()) for p in parts)
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:length]


@dataclass
class RawPage:
    """One page as fetched: the bytes exactly as received, plus how they were obtained."""

    source: str  # the path or URL the user gave (or the feed item's link)
    name: str  # file name used for per-page outputs (``extract`` writes ``<stem>.json``)
    content: bytes
    media_type: str  # "text/plain" | "text/html" | "application/rss+xml" | ...
    fetched_at: str  # ISO 8601 UTC
    sha256: str = ""
    http: dict[str, str] = field(default_factory=dict)  # status, etag, last-modified, final url
    feed: str | None = None  # the feed this page came from, if any
    archived: bool = False  # True: the bytes were left in the raw archive (read them back by sha256)

    def __post_init__(self) -> None:
        if not self.sha256:
            self.sha256 = sha256_hex(self.content)

    def without_content(self) -> RawPage:
        """This page with its bytes left in the raw archive (``RawArchive.read(sha256)`` gives them
        back): what a run holds for each page it has fetched and not yet parsed."""
        return replace(self, content=b"", archived=True)


@dataclass
class SetAside:
    """An input that could not be read, with the one-line reason a person sees."""

    source: str
    reason: str
    stage: str = "fetch"
    sha256: str | None = None


@dataclass
class Caption:
    text: str  # the caption without its credit
    credit: str | None = None  # "(Photo by X / AFP)" -> "Photo by X / AFP"; a credit is not a person
    date: str | None = None  # an absolute date the caption states, ISO


@dataclass
class Evidence:
    """Where a fact comes from: the sentence, its offsets in Article.text, the rule and a confidence."""

    sentence: str
    start: int
    end: int
    rule: str
    confidence: float = 1.0


@dataclass
class Mention:
    text: str
    start: int
    end: int
    section: Section = "body"


@dataclass
class LinkCandidate:
    qid: str
    label: str
    score: float


@dataclass
class Link:
    """The linker's decision for one entity: a QID, or NIL, with what it weighed."""

    qid: str  # "Q123" or NIL
    score: float
    method: str
    candidates: list[LinkCandidate] = field(default_factory=list)
    needs_relink: bool = False  # Wikidata was unreachable: decide again later


@dataclass
class Entity:
    kind: EntityKind
    name: str  # canonical English name (Wikidata's label where known)
    mentions: list[Mention] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)  # "foreign minister", "president"
    role_of: str | None = None  # the state a role belongs to ("Iran" for Iran's foreign minister)
    link: Link | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def wikidata(self) -> str | None:
        if self.link is None or self.link.qid == NIL:
            return None
        return self.link.qid

    def surface_forms(self) -> list[str]:
        seen: dict[str, None] = {}
        for m in self.mentions:
            seen.setdefault(m.text, None)
        return list(seen)


@dataclass
class Event:
    type: EventType
    participants: list[str] = field(default_factory=list)  # entity names of the same article
    place: str | None = None
    date: str | None = None  # ISO, as precise as the text allows: "2022-06", "2023-02-03"
    # attacks
    killed: int | None = None
    injured: int | None = None
    perpetrators: list[str] = field(default_factory=list)  # claimed responsibility or stated as fact
    blamed: list[str] = field(default_factory=list)  # blamed by someone else
    target: str | None = None
    # agreements
    signatories: list[str] = field(default_factory=list)
    duration_years: int | None = None
    topics: list[str] = field(default_factory=list)
    # meetings
    host: str | None = None
    modality: Modality = "asserted"
    why: str | None = None  # for non-asserted statements: why it is not an event
    evidence: list[Evidence] = field(default_factory=list)
    confidence: float = 1.0


@dataclass
class Article:
    """One article of a page. ``text`` = headline, captions and body joined by blank lines."""

    id: str
    headline: str
    body: list[str]  # paragraphs
    captions: list[Caption] = field(default_factory=list)
    published: str | None = None  # ISO date
    page_name: str = ""
    page_sha256: str = ""
    source: str = ""
    index: int = 0  # position on the page
    fetched_at: str | None = None
    text: str = ""
    body_start: int = 0  # offset of the first body paragraph in ``text``
    entities: list[Entity] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    non_events: list[Event] = field(default_factory=list)  # planned/denied/hypothetical/negated
    extractor: str | None = None  # name and version of what filled entities/events

    def __post_init__(self) -> None:
        if not self.text:
            parts = [self.headline] + [c.text for c in self.captions]
            head = "\n\n".join(p for p in parts if p)
            self.body_start = len(head) + 2 if head else 0
            self.text = "\n\n".join([head, *self.body]) if head else "\n\n".join(self.body)

    @staticmethod
    def make_id(headline: str, body: list[str]) -> str:
        """Same headline and body -> same id, whatever page or run it came from."""
        return stable_id(headline, *body)

    def entities_of(self, kind: EntityKind) -> list[Entity]:
        return [e for e in self.entities if e.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
