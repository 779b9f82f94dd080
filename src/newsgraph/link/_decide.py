"""Deciding a link: score each candidate with what the article tells, then accept, or say NIL.

Pure functions over ``Item`` records; no I/O (spaCy's EntityLinker keeps ``predict`` apart from
writing; here the look-ups are apart from the deciding).

A candidate's score (0..~1.4) is

- **name match**: the best of the entity's surface forms: the item's label (1.0), an alias (0.92),
  a demonym of a state (0.9), another romanisation of a person's name (0.88, "Mohammed"/"Mohamed"),
  an alias less its title (0.85, "Salman" for "King Salman"), the capital of a state used for the
  state (0.72), a name the form is the start or end of (0.75, only from fuzzy search); a person's
  one-word form counts 0.72 of that ("Assad" or "Salman" alone says less than a full name), 0.85
  with its title ("President Assad"); +0.03 for each further form that agrees;
- **type** (never silently wrong): the item's instance-of must fit the entity's kind: human for a
  person, sovereign state/country for a state, a settlement, region or other geographic item for a
  place (an item with no instance-of but a country or coordinates counts, with a penalty), an
  organization for an organization. Candidates of another kind are kept as runner-ups with score 0
  and never accepted;
- **shadowing**: a form that is the label of a person, state, place or organization of another
  kind, but only an alias of this candidate, counts against it (-0.25: a "Jordan" that is a place
  is rarely the river whose alias it is);
- **conflict**: a person whose fullest name does not fit the candidate's names ("Mohammed bin
  Salman" vs "Salman bin Abdulaziz Al Saud") is not that candidate, whatever a short form says;
- **context**: citizenship in a state the article names (+0.1), in the state of the entity's role
  ("Iran's foreign minister": +0.15, another citizenship: -0.2), a role word found in the item's
  description or positions held (+0.1); a place in a state the article names (+0.05);
- **prominence**: sitelinks when the endpoint has them, else a small prior for older (lower) QIDs.

The best candidate is accepted when it scores at least ``THRESHOLD`` and leads the next one of a
different QID by ``MARGIN``; otherwise the entity is NIL with the reason in ``method``.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from .._models import NIL, Entity, Link, LinkCandidate
from ._names import demonym_states, name_tokens, norm, spelling_key, strip_title, tokens
from ._sources import Item

THRESHOLD = 0.7
MARGIN = 0.05
MAX_CANDIDATES = 5

HUMAN = {"Q5"}
STATE_CLASSES = {
    "Q3624078",  # sovereign state
    "Q6256",  # country
    "Q7275",  # state
    "Q15634554",  # state with limited recognition
    "Q1763527",  # constituent country
    "Q112099",  # island nation
    "Q123480",  # landlocked country
    "Q179164",  # unitary state
    "Q43702",  # federation
    "Q417175",  # kingdom (as a state)
}
ORG_CLASSES = {
    "Q43229", "Q4830453", "Q7278", "Q484652", "Q245065", "Q17149090", "Q7210356", "Q192283",
    "Q46970", "Q1331793", "Q2659904", "Q327333", "Q783794", "Q891723", "Q6881511", "Q163740",
    "Q15911314", "Q1616075", "Q11032", "Q1002697", "Q1752346", "Q176799", "Q31855", "Q3918",
    "Q7188", "Q35535", "Q8031011", "Q15925165", "Q2088357", "Q1200957", "Q11691", "Q1530022",
    "Q1194970", "Q20746389", "Q845392", "Q48204", "Q1127126", "Q1664720", "Q4358176",
}
PLACE_CLASSES = {
    "Q515", "Q486972", "Q5119", "Q1549591", "Q1637706", "Q200250", "Q532", "Q3957", "Q15284",
    "Q56061", "Q2221906", "Q4022", "Q23397", "Q165", "Q8502", "Q82794", "Q1620908", "Q35657",
    "Q10864048", "Q13220204", "Q13221722", "Q1076486", "Q34763", "Q23442", "Q39594", "Q44782",
    "Q1248784", "Q1071511", "Q41176", "Q16560", "Q33506", "Q3914", "Q12280", "Q34442", "Q11707",
    "Q62447", "Q1195098", "Q5107", "Q1307214", "Q15642541", "Q15617994", "Q7930989", "Q2983893",
    "Q1907114", "Q22674925", "Q123705", "Q1093829", "Q17343829", "Q702492", "Q88013", "Q15661340",
    "Q1785071", "Q41253", "Q7075", "Q32815", "Q24354", "Q1021645", "Q1145276", "Q27686",
}
#: Items that are names, pages or works, never a person, state, place or organization.
NOT_AN_ENTITY = {
    "Q4167410", "Q101352", "Q202444", "Q12308941", "Q11879590", "Q13406463", "Q4167836",
    "Q11424", "Q482994", "Q7366", "Q5398426", "Q134556", "Q7725634", "Q47461344", "Q3305213",
    "Q21191270", "Q17537576", "Q215380", "Q105543609", "Q571", "Q1344", "Q2188189",
}


def item_kind(item: Item) -> str:
    """person | state | place | organization | untyped | other, from what the item says of itself."""
    types = set(item.types)
    if types & HUMAN:
        return "person"
    if types & STATE_CLASSES:
        return "state"
    if types & ORG_CLASSES:
        return "organization"
    if types & PLACE_CLASSES:
        return "place"
    if types & NOT_AN_ENTITY:
        return "other"
    if not types:
        if item.citizenship or item.positions:
            return "person"
        if item.country or item.has_coord or item.capital_of:
            return "place"
        return "untyped"
    if item.has_coord:
        return "place"
    return "other-typed"


#: For each entity kind, the item kinds it may take and the penalty for each.
ACCEPT: dict[str, dict[str, float]] = {
    "person": {"person": 0.0},
    "state": {"state": 0.0},
    "place": {"place": 0.0, "untyped": 0.1},
    "organization": {"organization": 0.0, "other-typed": 0.15},
}


@dataclass
class Lookup:
    """What one surface form found: the form, how it was looked up, and the items."""

    form: str
    items: list[Item]
    source: str = "sparql"  # sparql | api
    coref: bool = False  # the form comes from another entity of the article with the same surname


@dataclass
class Context:
    """What the article tells beyond the entity itself."""

    states: set[str] = field(default_factory=set)  # QIDs of states the article names
    role_states: set[str] = field(default_factory=set)  # QIDs of the entity's role_of state


@dataclass
class Scored:
    item: Item
    score: float
    via: str
    source: str
    kind: str
    reject: str | None = None


def _match(form: str, item: Item, entity_kind: str) -> tuple[float, str]:
    """How well one surface form names the item: (quality, how)."""
    nf = norm(form)
    if not nf:
        return 0.0, ""
    label = norm(item.label)
    aliases = {norm(a) for a in item.aliases}
    cands: list[tuple[float, str]] = []
    if nf == label:
        cands.append((1.0, "label"))
    elif nf in aliases:
        cands.append((0.92, "alias"))
    if entity_kind == "person":
        stripped = norm(strip_title(form))
        if stripped != nf and stripped == label:
            cands.append((0.95, "label"))
        elif stripped != nf and stripped in aliases:
            cands.append((0.88, "alias"))
        elif stripped in {norm(strip_title(a)) for a in item.aliases}:
            cands.append((0.85, "titled-alias"))  # "Salman" for "King Salman"
        if not cands and len(stripped.split()) >= 2:
            key = spelling_key(stripped)
            if any(spelling_key(strip_title(n)) == key for n in item.names()):
                cands.append((0.88, "respelt"))  # "Mohammed bin Zayed" for "Mohamed bin Zayed"
    if entity_kind == "state":
        for st in demonym_states(form):
            ns = norm(st)
            if ns == label or ns in aliases:
                cands.append((0.9, "demonym"))
    if not cands and entity_kind == "person":
        # only fuzzy search (the API) offers these: "Lukashenka" for "Alexander Lukashenka"
        toks = name_tokens(form)
        for name in item.names():
            nt = name_tokens(name)
            if toks and len(toks) < len(nt) and (nt[-len(toks):] == toks or nt[:len(toks)] == toks):
                cands.append((0.75, "partial"))
                break
    if not cands:
        return 0.0, ""
    q, how = max(cands)
    if entity_kind == "person" and len(name_tokens(form)) == 1:
        q *= 0.72 if len(tokens(form)) == 1 else 0.85  # "Assad" < "President Assad" < "Bashar al-Assad"
    return q, how


def compatible(full: str, item: Item) -> bool:
    """Can the entity's fullest name be a name of this item? (equal, or a part at either end)."""
    toks = spelling_key(strip_title(full)).split()
    if not toks:
        return True
    for name in item.names():
        nt = spelling_key(strip_title(name)).split()
        if nt == toks:
            return True
        if len(toks) < len(nt) and (nt[-len(toks):] == toks or nt[:len(toks)] == toks):
            return True
    return False


def _prior(item: Item) -> float:
    if item.sitelinks is not None:
        return 0.08 * min(1.0, math.log10(1 + item.sitelinks) / 3.0)
    try:
        n = int(item.qid[1:])
    except ValueError:
        return 0.0
    return 0.04 * (1.0 - min(1.0, math.log10(max(n, 1)) / 9.0))


def _role_match(entity: Entity, item: Item) -> bool:
    text = " " + norm(" ".join([item.description, *item.position_labels])) + " "
    return any(norm(r) and f" {norm(r)} " in text for r in entity.roles)


def fullest_name(entity: Entity) -> str | None:
    """The person's surface form with the most name tokens, if it has two or more."""
    forms = [entity.name, *entity.surface_forms()]
    best = max(forms, key=lambda f: len(name_tokens(f)), default=None)
    return best if best and len(name_tokens(best)) >= 2 else None


def score_candidates(entity: Entity, lookups: Iterable[Lookup], ctx: Context) -> list[Scored]:
    """Every candidate the look-ups found, scored (rejected ones carry ``reject`` and score 0)."""
    kind = entity.kind
    best: dict[str, Scored] = {}
    support: dict[str, int] = {}
    stubs: dict[str, Item] = {}
    shadow = 0.0  # the best name match of a real entity of another kind ("Jordan": the state)
    for lk in lookups:
        for item in lk.items:
            q, how = _match(lk.form, item, kind)
            ik = item_kind(item)
            if kind != "state" and ik != kind and ik in ACCEPT and ik not in ACCEPT.get(kind, {}):
                shadow = max(shadow, q)
            if kind == "state" and item_kind(item) != "state" and item.capital_of:
                # "Ankara said": a capital stands for its state
                for st in item.capital_of:
                    stub = stubs.setdefault(st, Item(qid=st, types=["Q3624078"]))
                    _keep(best, support, Scored(stub, 0.72, "capital", lk.source, "state"))
            if q <= 0:
                continue
            if lk.coref:
                q *= 0.95
                how = f"{how}+coref"
            _keep(best, support, Scored(item, q, how, lk.source, item_kind(item)))
    # a stub stands in for a state only when nothing named it directly
    for qid, sc in best.items():
        if sc.item is stubs.get(qid):
            for lk in lookups:
                for item in lk.items:
                    if item.qid == qid:
                        sc.item = item
    full = fullest_name(entity) if kind == "person" else None
    multi = [f for f in [entity.name, *entity.surface_forms()] if len(name_tokens(f)) >= 2]
    out = []
    for qid, sc in best.items():
        score = sc.score + min(0.06, 0.03 * (support.get(qid, 1) - 1))
        accept = ACCEPT.get(kind, {})
        if sc.kind not in accept:
            sc.reject = f"wrong type ({sc.kind} for a {kind})"
            sc.score = 0.0
            out.append(sc)
            continue
        score -= accept[sc.kind]
        if sc.score < shadow - 0.04:
            # the form is the very name of something else and only an alias of this one:
            # a place "Jordan" is the state's label, only an alias of the river
            score -= 0.25
            sc.via += "+shadowed"
        if (full and kind == "person" and not compatible(full, sc.item)
                and not any(_match(f, sc.item, kind)[0] > 0 for f in multi)):
            sc.reject = f"conflicts with {full!r}"
            sc.score = 0.0
            out.append(sc)
            continue
        if kind == "person":
            cit = set(sc.item.citizenship)
            if ctx.role_states:
                if cit & ctx.role_states:
                    score += 0.15
                elif cit:
                    score -= 0.2
            if cit & ctx.states:
                score += 0.1
            if entity.roles and _role_match(entity, sc.item):
                score += 0.1
        elif kind == "place" and set(sc.item.country) & ctx.states:
            score += 0.05
        score += _prior(sc.item)
        sc.score = round(score, 4)
        out.append(sc)
    out.sort(key=lambda s: (s.reject is None, s.score), reverse=True)
    return out


def _keep(best: dict[str, Scored], support: dict[str, int], sc: Scored) -> None:
    qid = sc.item.qid
    support[qid] = support.get(qid, 0) + 1
    cur = best.get(qid)
    if cur is None or sc.score > cur.score:
        best[qid] = sc


def decide(entity: Entity, lookups: list[Lookup], ctx: Context) -> Link:
    """The link for one entity: the accepted QID, or NIL with the reason."""
    scored = score_candidates(entity, lookups, ctx)
    candidates = [LinkCandidate(qid=s.item.qid, label=s.item.label, score=s.score)
                  for s in scored[:MAX_CANDIDATES]]
    ok = [s for s in scored if s.reject is None]
    if not scored:
        return Link(qid=NIL, score=0.0, method="nil:no-candidate", candidates=candidates)
    if not ok:
        return Link(qid=NIL, score=0.0, method=f"nil:{scored[0].reject}", candidates=candidates)
    top = ok[0]
    if top.score < THRESHOLD:
        return Link(qid=NIL, score=top.score, method="nil:below-threshold", candidates=candidates)
    if len(ok) > 1 and top.score - ok[1].score < MARGIN and not (top.via == ok[1].via == "capital"):
        # (a capital several states claim -- Amsterdam: the Netherlands and the Kingdom of the
        # Netherlands -- stands for the most prominent of them)
        return Link(qid=NIL, score=top.score, method="nil:ambiguous", candidates=candidates)
    return Link(qid=top.item.qid, score=top.score, method=f"{top.source}:{top.via}", candidates=candidates)
