"""Word lists the extractor's rules use: general English news vocabulary, not any corpus's names.

Each list is a closed class (titles, trigger lemmas, modal markers) that a wire-service style
guide would give; none names a person, place or event.
"""
from __future__ import annotations

#: Titles and roles that precede a name ("Foreign Minister Hossein Amir-Abdollahian").
TITLE_WORDS = frozenset({
    "president", "vice", "prime", "minister", "foreign", "defense", "defence", "interior", "finance",
    "economy", "oil", "energy", "trade", "affairs", "deputy", "secretary", "general",
    "secretary-general", "state", "king", "queen", "crown", "prince", "princess", "emir", "sheikh",
    "sheik", "sultan", "chancellor", "premier", "leader", "supreme", "spokesman", "spokeswoman",
    "spokesperson", "envoy", "ambassador", "commander", "chief", "head", "gen.", "lieutenant",
    "colonel", "col.", "major", "admiral", "marshal", "infrastructure", "transport", "interim",
    "transitional", "newly", "appointed", "elected", "former", "late", "acting", "mayor", "governor",
    "senator", "congressman", "speaker", "chairman", "chair", "director", "minister-president", "mr",
    "mrs", "ms", "dr", "pope", "ayatollah", "imam", "cleric", "representative", "special", "un",
    "national", "security", "adviser", "advisor", "counterpart", "presidential", "foreign-minister",
    "information", "health", "justice", "agriculture", "education", "sheikha", "his", "her", "majesty",
    "highness", "captain", "capt", "capt.", "brigadier", "sergeant", "lt", "lt.", "maj", "maj.", "field"
})

#: Single title words that, on their own before a name, are roles worth keeping.
ROLE_HEADS = frozenset({
    "president", "minister", "king", "queen", "prince", "princess", "emir", "sheikh", "sultan",
    "chancellor", "premier", "leader", "spokesman", "spokeswoman", "envoy", "ambassador", "commander",
    "chief", "secretary", "secretary-general", "governor", "mayor", "speaker", "chairman", "director",
    "pope", "ayatollah", "general", "adviser", "advisor"
})

#: Honorifics that are not part of a person's name.
HONORIFICS = frozenset({
    "sheikh", "sheik", "king", "queen", "emir", "sultan", "prince", "princess", "crown", "president",
    "mr", "mrs", "ms", "dr", "gen", "general", "col", "lt", "ayatollah", "imam", "pope", "captain", "capt",
    "colonel", "major", "brigadier", "sergeant", "lieutenant", "admiral", "marshal"
})

#: Event triggers by lemma. Nouns and verbs are told apart by the rules that use them.
MEETING_VERBS = frozenset({
    "meet", "receive", "host", "welcome", "visit", "greet"
})
MEETING_NOUNS = frozenset({
    "talks", "meeting", "summit", "visit", "conference"
})
ATTACK_VERBS = frozenset({
    "attack", "strike", "bomb", "shoot", "kill", "explode", "hit", "shell", "target", "ambush",
    "massacre", "assassinate", "fire"
})
ATTACK_NOUNS = frozenset({
    "attack", "strike", "airstrike", "bombing", "bomb", "bomber", "shooting", "blast", "explosion",
    "massacre", "assault", "ambush", "raid", "gunman", "gunmen", "shelling"
})
AGREEMENT_VERBS = frozenset({
    "sign", "agree", "conclude", "ink", "initial"
})
AGREEMENT_NOUNS = frozenset({
    "agreement", "deal", "pact", "treaty", "memorandum", "accord", "accords", "declaration",
    "ceasefire", "truce", "memorandums", "memoranda", "mou"
})

#: Words that turn a meeting into something that is not one.
PHONE_WORDS = frozenset({
    "phone", "telephone", "videoconference", "video", "telephoned", "phoned", "phones"
})

#: Lemmas that govern a reported event without asserting it.
PLANNED_LEMMAS = frozenset({
    "plan", "hope", "expect", "intend", "schedule", "due", "set", "prepare", "propose", "invite",
    "urge", "call", "look", "want", "seek", "aim", "agree", "offer", "will", "would", "shall"
})
DENIAL_LEMMAS = frozenset({
    "deny", "dismiss", "reject", "refute"
})
HYPOTHETICAL_LEMMAS = frozenset({
    "could", "might", "may", "threaten", "warn", "vow", "fear", "risk"
})

#: Nouns after "the" that refer back to a person by role ("the king", "the emir").
ROLE_ANAPHORS = frozenset({
    "president", "king", "emir", "prince", "minister", "sultan", "premier", "chancellor", "leader",
    "sheikh"
})

#: Places that are facilities: a proper name followed by one of these is a site.
FACILITY_HEADS = frozenset({
    "palace", "airport", "airbase", "base", "residence", "mosque", "church", "cathedral", "synagogue",
    "square", "hotel", "embassy", "consulate", "terminal", "stadium", "camp", "prison", "hospital",
    "university", "office", "port"
})
