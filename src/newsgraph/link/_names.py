"""Names: normalisation, look-up variants, demonyms and titles.

Wikidata's label index is exact: ``"Kurdistan region"@en`` does not find ``"Kurdistan Region"@en``.
So every surface form is looked up under a few *variants* (as written, title-cased, without a
leading "the" or a title such as "President"), and matches are then compared on a *normalised*
form (case, accents and punctuation ignored) so that "Erdogan" and "Erdoğan" agree.

Demonyms ("Iranian", "Emirati") are not Wikidata labels of the state, and Wikidata's own demonym
property is not in every mirror, so the common ones are listed here: general knowledge, not
answers for a corpus.
"""
from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "ʼ": "'", "‐": "-", "‑": "-", "–": "-"})


def clean(text: str) -> str:
    """Whitespace collapsed, typographic apostrophes and dashes made plain."""
    return " ".join(text.translate(_APOSTROPHES).split())


def norm(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form: "Erdoğan's" -> "erdogan"."""
    text = unicodedata.normalize("NFKD", clean(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("ı", "i").casefold()
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"[^\w\s]", " ", text)
    text = " ".join(text.split())
    return text.removeprefix("the ")


def tokens(text: str) -> list[str]:
    return norm(text).split()


#: Titles and honorifics that may precede a name ("President Erdogan", "King Abdullah").
TITLES: tuple[str, ...] = tuple(sorted((
    "president", "vice president", "prime minister", "deputy prime minister", "foreign minister",
    "defence minister", "defense minister", "minister", "king", "queen", "crown prince", "prince",
    "princess", "sheikh", "sheik", "emir", "amir", "sultan", "ayatollah", "supreme leader", "pope",
    "chancellor", "general", "gen", "dr", "mr", "mrs", "ms", "sir", "senator", "sen", "secretary",
    "secretary of state", "secretary general", "speaker", "chairman", "leader", "premier", "mayor",
    "interim president", "former president", "late", "his majesty", "his highness", "colonel",
    "marshal", "field marshal", "imam", "rabbi", "cardinal", "archbishop", "governor", "ambassador",
), key=len, reverse=True))

_TITLE_RE = re.compile(r"^(?:(?:" + "|".join(re.escape(t) for t in TITLES) + r")\.?\s+)+", re.IGNORECASE)


_QUALIFIERS = {"us", "u s", "uk", "u k", "un", "eu", "former", "then", "late", "acting", "interim", "new",
               "outgoing", "incoming", "deputy", "vice", "crown"}


def _strip_qualifiers(text: str) -> str:
    """'Jordanian King Abdullah II' -> 'King Abdullah II'; "Saudi Arabia's King Salman" -> 'King Salman'.

    Only words before a title go: a demonym, a state's possessive, "former", "US"...
    """
    words = text.split(" ")
    for i in range(1, min(len(words), 5)):
        head, rest = words[:i], " ".join(words[i:])
        if not _TITLE_RE.match(rest + " "):
            continue
        if all(is_demonym(w) or norm(w) in _QUALIFIERS for w in head) or head[-1].endswith("'s"):
            return rest
    return text


def strip_title(text: str) -> str:
    """'President Recep Tayyip Erdogan' -> 'Recep Tayyip Erdogan' (kept when nothing would be left).

    Also drops what qualifies the title: 'Qatari Emir Tamim bin Hamad' -> 'Tamim bin Hamad'.
    """
    base = clean(text)
    out = _TITLE_RE.sub("", _strip_qualifiers(base))
    return out or base


def name_tokens(text: str) -> list[str]:
    """Normalised tokens of a person's name without titles."""
    return tokens(strip_title(text))


def _title_case(text: str) -> str:
    small = {"of", "the", "and", "al", "el", "bin", "bint", "ibn", "de", "da", "du", "von", "van"}
    words = text.split(" ")
    out = [w if (i and w.lower() in small) else (w[:1].upper() + w[1:]) for i, w in enumerate(words)]
    return " ".join(out)


#: Titles tried before a one-word name when the article gives no role ("Salman" -> "King Salman").
DEFAULT_TITLES = ("King", "President", "Sheikh")
_ROLE_TITLES = {"king", "queen", "president", "sheikh", "emir", "amir", "sultan", "prince", "crown prince",
                "pope", "ayatollah", "chancellor", "prime minister", "general", "supreme leader", "imam"}


def role_titles(roles: list[str]) -> list[str]:
    """Titles that may precede a name, from an entity's roles ("king" -> "King")."""
    out = []
    for r in roles:
        r = norm(r)
        for t in _ROLE_TITLES:
            if r == t or r.endswith(" " + t):
                out.append(" ".join(w.capitalize() for w in t.split()))
    return list(dict.fromkeys(out))


#: Romanisations of one Arabic/Persian name; a text and Wikidata often pick different ones.
_SPELLINGS = [
    ("Mohammed", "Mohamed", "Mohammad", "Muhammad"), ("Ahmed", "Ahmad"), ("Mahmoud", "Mahmud"),
    ("Abdel", "Abdul", "Abd al"), ("Hussein", "Hussain", "Husayn"), ("Khaled", "Khalid"),
    ("Yousef", "Youssef", "Yusuf"), ("Hassan", "Hasan"), ("Hossein", "Hosein"), ("Abdullah", "Abdallah"),
    ("Omar", "Umar"), ("Osman", "Othman", "Uthman"), ("Mustafa", "Mostafa", "Moustafa"),
    ("Saeed", "Said", "Sayed"), ("Faisal", "Faysal"), ("Jafar", "Jaafar", "Ja'far"), ("Qasem", "Qassem", "Kassem"),
    ("Ali", "Aly"), ("Ibrahim", "Ebrahim"), ("Ismail", "Ismael"), ("Abdulaziz", "Abdelaziz", "Abdul Aziz"),
    ("Zayed", "Zayid"), ("Moussa", "Musa", "Mousa"), ("Sheikh", "Shaikh", "Sheik"),
]
_SPELLING_OF = {w.casefold(): group for group in _SPELLINGS for w in group}


def spelling_key(text: str) -> str:
    """A normalised form that also ignores romanisation: 'Mohamed Abdel X' == 'Muhammad Abdul X'."""
    toks = norm(text).split()
    return " ".join(_SPELLING_OF[t][0].casefold() if t in _SPELLING_OF else t for t in toks)


def respellings(form: str, limit: int = 4) -> list[str]:
    """Other romanisations of a person's name, one word changed at a time (at most ``limit``)."""
    words = form.split(" ")
    out: list[str] = []
    for i, w in enumerate(words):
        group = _SPELLING_OF.get(w.casefold())
        if not group:
            continue
        for alt in group:
            if alt.casefold() != w.casefold():
                out.append(" ".join(words[:i] + [alt] + words[i + 1:]))
    return out[:limit]


_PARTICLE = re.compile(r"\b([Aa]l|[Ee]l)([- ])(?=\w)")


def particle_variants(form: str) -> list[str]:
    """Spellings of the Arabic article: 'al-Sharaa' -> 'Al-Sharaa', 'al Sharaa' (and back)."""
    if not _PARTICLE.search(form):
        return []
    out = []
    for upper, sep in ((False, "-"), (True, "-"), (False, " "), (True, " ")):
        def swap(m: re.Match[str], upper: bool = upper, sep: str = sep) -> str:
            word = m.group(1).lower()
            return (word.capitalize() if upper else word) + sep
        out.append(_PARTICLE.sub(swap, form))
    return [v for v in dict.fromkeys(out) if v != form]


def variants(form: str, kind: str, *, titles: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The literals to look a surface form up under, most literal first (small and bounded).

    ``titles``: for a person's one-word form, also "<Title> <form>" ("King Abdullah").
    """
    out: dict[str, None] = {}

    def add(v: str) -> None:
        if v and len(v) <= 200:
            out.setdefault(v, None)

    add(" ".join(form.split()))  # as written ("U.S.", "Syrian Arab Republic (1963–2024)")
    base = re.sub(r"'s$", "", clean(form)).strip(" ,;:")
    add(base)
    if base.endswith(".") and base.count(".") == 1:
        base = base[:-1]  # a sentence's full stop, not "U.S."
        add(base)
    if base.lower().startswith("the "):
        add(base[4:])
    if kind == "person":
        add(strip_title(base))
    tc = _title_case(base)
    if tc != base and not base.isupper():
        add(tc)
    if base.isupper() and len(base) > 4:  # "NEOM" -> "Neom"
        add(base.title())
    if kind == "state":
        for d in demonym_states(base):
            add(d)
    if kind in ("place", "organization") and not base.lower().startswith("the "):
        add("the " + base)  # "the Gulf", "the Hague"
    if kind in ("person", "organization", "place") and len(tokens(base)) >= 2:
        for v in particle_variants(strip_title(base) if kind == "person" else base):
            add(v)
    if kind == "person" and len(tokens(strip_title(base))) >= 2:
        for v in respellings(strip_title(base)):
            add(v)
    if kind == "person" and len(tokens(strip_title(base))) == 1:
        for t in titles:
            add(f"{t} {strip_title(base)}")
    return list(out)


# ---- demonyms -------------------------------------------------------------------------------
# demonym -> the state's common English name (Wikidata's label). Plurals are derived.
_DEMONYMS = {
    "Afghan": "Afghanistan", "Albanian": "Albania", "Algerian": "Algeria", "American": "United States",
    "Angolan": "Angola", "Argentine": "Argentina", "Argentinian": "Argentina", "Armenian": "Armenia",
    "Australian": "Australia", "Austrian": "Austria", "Azerbaijani": "Azerbaijan", "Azeri": "Azerbaijan",
    "Bahraini": "Bahrain", "Bangladeshi": "Bangladesh", "Belarusian": "Belarus", "Belgian": "Belgium",
    "Bolivian": "Bolivia", "Bosnian": "Bosnia and Herzegovina", "Brazilian": "Brazil", "British": "United Kingdom",
    "Bulgarian": "Bulgaria", "Burkinabe": "Burkina Faso", "Burmese": "Myanmar", "Burundian": "Burundi",
    "Cambodian": "Cambodia", "Cameroonian": "Cameroon", "Canadian": "Canada", "Chadian": "Chad",
    "Chilean": "Chile", "Chinese": "China", "Colombian": "Colombia", "Congolese": "Democratic Republic of the Congo",
    "Croatian": "Croatia", "Cuban": "Cuba", "Cypriot": "Cyprus", "Czech": "Czech Republic", "Danish": "Denmark",
    "Djiboutian": "Djibouti", "Dominican": "Dominican Republic", "Dutch": "Netherlands", "Ecuadorian": "Ecuador",
    "Egyptian": "Egypt", "Emirati": "United Arab Emirates", "Eritrean": "Eritrea", "Estonian": "Estonia",
    "Ethiopian": "Ethiopia", "Filipino": "Philippines", "Finnish": "Finland", "French": "France",
    "Gabonese": "Gabon", "Gambian": "The Gambia", "Georgian": "Georgia", "German": "Germany", "Ghanaian": "Ghana",
    "Greek": "Greece", "Guatemalan": "Guatemala", "Guinean": "Guinea", "Haitian": "Haiti", "Honduran": "Honduras",
    "Hungarian": "Hungary", "Icelandic": "Iceland", "Indian": "India", "Indonesian": "Indonesia",
    "Iranian": "Iran", "Iraqi": "Iraq", "Irish": "Ireland", "Israeli": "Israel", "Italian": "Italy",
    "Ivorian": "Ivory Coast", "Jamaican": "Jamaica", "Japanese": "Japan", "Jordanian": "Jordan",
    "Kazakh": "Kazakhstan", "Kenyan": "Kenya", "Kosovar": "Kosovo", "Kuwaiti": "Kuwait", "Kyrgyz": "Kyrgyzstan",
    "Lao": "Laos", "Laotian": "Laos", "Latvian": "Latvia", "Lebanese": "Lebanon", "Liberian": "Liberia",
    "Libyan": "Libya", "Lithuanian": "Lithuania", "Malagasy": "Madagascar", "Malawian": "Malawi",
    "Malaysian": "Malaysia", "Maldivian": "Maldives", "Malian": "Mali", "Maltese": "Malta",
    "Mauritanian": "Mauritania", "Mexican": "Mexico", "Moldovan": "Moldova", "Mongolian": "Mongolia",
    "Montenegrin": "Montenegro", "Moroccan": "Morocco", "Mozambican": "Mozambique", "Namibian": "Namibia",
    "Nepali": "Nepal", "Nepalese": "Nepal", "New Zealander": "New Zealand", "Nicaraguan": "Nicaragua",
    "Nigerien": "Niger", "Nigerian": "Nigeria", "North Korean": "North Korea", "Norwegian": "Norway",
    "Omani": "Oman", "Pakistani": "Pakistan", "Palestinian": "Palestine", "Panamanian": "Panama",
    "Paraguayan": "Paraguay", "Peruvian": "Peru", "Polish": "Poland", "Portuguese": "Portugal",
    "Qatari": "Qatar", "Romanian": "Romania", "Russian": "Russia", "Rwandan": "Rwanda", "Saudi": "Saudi Arabia",
    "Senegalese": "Senegal", "Serbian": "Serbia", "Singaporean": "Singapore", "Slovak": "Slovakia",
    "Slovenian": "Slovenia", "Somali": "Somalia", "South African": "South Africa", "South Korean": "South Korea",
    "South Sudanese": "South Sudan", "Spanish": "Spain", "Sri Lankan": "Sri Lanka", "Sudanese": "Sudan",
    "Swedish": "Sweden", "Swiss": "Switzerland", "Syrian": "Syria", "Taiwanese": "Taiwan", "Tajik": "Tajikistan",
    "Tanzanian": "Tanzania", "Thai": "Thailand", "Togolese": "Togo", "Tunisian": "Tunisia", "Turkish": "Turkey",
    "Turkmen": "Turkmenistan", "Ugandan": "Uganda", "Ukrainian": "Ukraine", "Uruguayan": "Uruguay",
    "Uzbek": "Uzbekistan", "Venezuelan": "Venezuela", "Vietnamese": "Vietnam", "Yemeni": "Yemen",
    "Zambian": "Zambia", "Zimbabwean": "Zimbabwe", "Sahrawi": "Sahrawi Arab Democratic Republic",
    "Bruneian": "Brunei", "Mauritian": "Mauritius", "Beninese": "Benin", "Sierra Leonean": "Sierra Leone",
    "Eswatini": "Eswatini", "Swazi": "Eswatini", "Basotho": "Lesotho", "Motswana": "Botswana",
    "Batswana": "Botswana", "Comorian": "Comoros", "Seychellois": "Seychelles", "Luxembourgish": "Luxembourg",
    "Macedonian": "North Macedonia", "Britons": "United Kingdom", "Kiwi": "New Zealand",
}
_DEMONYM_INDEX = {norm(k): v for k, v in _DEMONYMS.items()}


def demonym_states(form: str) -> list[str]:
    """State names a demonym form points to: 'Iranians' -> ['Iran']."""
    key = norm(form)
    if key in _DEMONYM_INDEX:
        return [_DEMONYM_INDEX[key]]
    if key.endswith("s") and key[:-1] in _DEMONYM_INDEX:
        return [_DEMONYM_INDEX[key[:-1]]]
    return []


def is_demonym(form: str) -> bool:
    return bool(demonym_states(form))
