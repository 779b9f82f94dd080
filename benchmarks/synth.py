"""Synthetic news pages at any scale, seeded: the benchmark's corpus.

    python benchmarks/synth.py OUT_DIR --articles 10000 [--seed 7] [--html-share 0.12]

writes ``OUT_DIR/pages/NNNN/*.txt|*.html`` (1,000 pages a folder) and ``OUT_DIR/manifest.jsonl``
(one line a page: its path, its article count, headlines and event kinds). Pages are made and
written one at a time, so memory does not grow with the corpus.

The pages follow the scraper layout of ``shared/eval/FORMAT.md``: headline; photo caption with
its credit (and usually an absolute date), printed twice; ``TT``; a share count (sometimes
absent); the headline and the caption pair again; body paragraphs; articles three blank lines
apart. About one page in eight is HTML (``<article>``, ``<h1>``, ``<figure><figcaption>``,
``<p>``) wrapped in the page noise a news site adds (menus, share widget, "Most read", scripts).

Each article tells one of three stories -- a meeting, an attack with casualty counts, an
agreement -- and mixes in what makes extraction work: other states and people, demonyms,
capitals, a planned (not held) meeting, a phone call (not a meeting), a denial, quotes and
background. Names are real: ``data/names.json`` is copied from the Wikidata subset
(``data/make_names.py``), so linking has real work to do. Article length matches the dev corpus
(about 250 words).

Determinism: page ``i`` of seed ``s`` depends only on ``(s, i)`` (``random.Random(f"{s}:{i}")``),
so any page can be regenerated alone and two runs with the same seed write identical bytes.
"""
from __future__ import annotations

import argparse
import html
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NAMES_FILE = HERE / "data" / "names.json"
PAGES_PER_FOLDER = 1000

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
TOPICS = ["trade", "energy", "defense", "security", "investment", "agriculture", "health", "education",
          "transport", "tourism", "water", "petroleum", "petrochemical", "mining", "banking", "culture",
          "counter-terrorism", "migration", "technology", "climate"]
TARGETS = ["market", "church", "mosque", "checkpoint", "military base", "bus station", "hotel", "police station",
           "wedding hall", "army convoy", "government building", "refugee camp"]
WEAPONS = [("suicide bombing", "Suicide Bombing"), ("car bomb", "Car Bomb"), ("drone strike", "Drone Strike"),
           ("missile strike", "Missile Strike"), ("shooting", "Shooting"), ("airstrike", "Airstrike"),
           ("rocket attack", "Rocket Attack"), ("roadside bomb", "Roadside Bomb")]
PHOTOGRAPHERS = ["KARIM SAHIB", "JOHN MACDOUGALL", "LUDOVIC MARIN", "ADEM ALTAN", "BULENT KILIC", "DELIL SOULEIMAN",
                 "AAREF WATAD", "FAYEZ NURELDINE", "OZAN KOSE", "SAUL LOEB", "MANDEL NGAN", "GIUSEPPE CACACE",
                 "AHMAD AL-RUBAYE", "MOHAMMED HUWAIS", "JACK GUEZ", "ANWAR AMRO", "SAID KHATIB", "MARCO LONGARI"]
PALACES = ["the presidential palace", "the Foreign Ministry", "the prime minister's office", "the royal palace",
           "the government headquarters", "a state guest house"]
CONTEXTS = ["rising tensions in the region", "a slowdown in global trade", "the war in Gaza",
            "fighting in neighbouring countries", "pressure over energy prices", "a wave of migration",
            "renewed talks on regional security", "disputes over shipping routes"]
SITE_NAV = ["Home", "World", "Middle East", "Gulf", "Business", "Opinion", "Sport", "Culture", "Podcasts"]


@lru_cache(maxsize=1)
def names() -> Names:
    return Names(json.loads(NAMES_FILE.read_text(encoding="utf-8")))


class Names:
    """The name lists of ``data/names.json``, indexed for the story builders."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.states: list[dict[str, str]] = doc["states"]
        self.state = {s["qid"]: s for s in self.states}
        self.people: list[dict[str, str]] = doc["people"]
        self.places: list[dict[str, str]] = doc["places"]
        self.militants: list[dict[str, str]] = doc["militants"]
        self.bodies: list[dict[str, str]] = doc["bodies"]
        self.agencies: list[dict[str, str]] = doc["agencies"]
        self.places_in: dict[str, list[dict[str, str]]] = {}
        for p in self.places:
            self.places_in.setdefault(p["state"], []).append(p)
        # the states news is mostly about: those with a named leader in the list
        self.led_states = sorted({p["state"] for p in self.people})


@dataclass
class Person:
    name: str
    short: str
    title: str
    state: dict[str, str]

    @property
    def styled(self) -> str:  # "Egyptian President Abdel Fattah el-Sisi"
        return f"{self.state['demonym']} {self.title} {self.name}"


@dataclass
class Story:
    """One article: what the page writer prints, plus what the manifest records."""

    kind: str
    headline: str
    caption: str
    body: list[str]
    published: date
    events: list[str] = field(default_factory=list)
    share: int | None = None


# ---- small helpers -------------------------------------------------------------------------
def _fmt_date(d: date, rng: random.Random) -> str:
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}" if rng.random() < 0.7 else f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _title_case(text: str) -> str:
    small = {"a", "an", "the", "of", "in", "on", "at", "to", "and", "for", "with", "as", "by"}
    words = text.split(" ")
    return " ".join(w if (i and w.lower() in small) or not w[:1].islower() else w[:1].upper() + w[1:]
                    for i, w in enumerate(words))


def _person(rng: random.Random, nm: Names, *, not_state: set[str] = frozenset()) -> Person:  # type: ignore[assignment]
    pool = [p for p in nm.people if p["state"] not in not_state]
    p = rng.choice(pool)
    return Person(p["name"], p["short"], p["title"], nm.state[p["state"]])


def _official(rng: random.Random, nm: Names, state: dict[str, str]) -> Person:
    """A leader of ``state`` if the list has one, else its (unnamed-by-list) foreign minister."""
    named = [p for p in nm.people if p["state"] == state["qid"]]
    if named and rng.random() < 0.8:
        p = rng.choice(named)
        return Person(p["name"], p["short"], p["title"], state)
    return Person(f"{state['demonym']} Foreign Minister", "the foreign minister", "Foreign Minister", state)


def _city(rng: random.Random, nm: Names, state: dict[str, str]) -> str:
    places = nm.places_in.get(state["qid"])
    if places and rng.random() < 0.5:
        return str(rng.choice(places)["name"])
    return state["capital"]


def _credit(rng: random.Random, nm: Names, state: dict[str, str]) -> str:
    agency = rng.choice(nm.agencies)["short"]
    r = rng.random()
    if r < 0.4:
        return f"Photo by {rng.choice(PHOTOGRAPHERS)} / {agency}"
    if r < 0.6:
        return f"{state['short']} Presidency/Handout via {agency}"
    if r < 0.75:
        return f"{rng.choice(PHOTOGRAPHERS).title()}/{agency}"
    return agency


def _caption(rng: random.Random, nm: Names, text: str, when: date, state: dict[str, str]) -> str:
    stamp = f" on {_fmt_date(when, rng)}" if rng.random() < 0.85 else ""
    return f"{text}{stamp}. ({_credit(rng, nm, state)})"


def _background(rng: random.Random, nm: Names, a: dict[str, str], b: dict[str, str], k: int = 1) -> list[str]:
    """``k`` different background paragraphs about states ``a`` and ``b`` (context, not events)."""
    other = rng.choice(nm.states)
    body = rng.choice(nm.bodies)
    agency = rng.choice(nm.agencies)
    options = [
        (f"{a['short']} has sought closer ties with {b['short']} in recent years amid {rng.choice(CONTEXTS)}, "
        f"while keeping its distance from {other['short']}, diplomats in {a['capital']} said."),
        (f"The {body['name']} has called on its members to coordinate their positions ahead of a summit "
        f"planned for later this year, and {a['demonym']} officials said they would take part."),
        (f"{a['demonym']} and {b['demonym']} officials have met several times since {rng.randrange(2012, 2024)}, "
        f"and trade between the two countries has grown steadily, according to official figures."),
        (f"Analysts in {b['capital']} said the talks reflected {rng.choice(CONTEXTS)} and the wish of both "
        f"governments to show they still have friends abroad."),
        (f"{other['demonym']} officials, who were not present, said they followed the talks closely and "
        f"would study any proposals that came out of them."),
        (f"Relations between {a['short']} and {b['short']} have had their ups and downs over the past decade, "
        f"but both governments have said in recent months that they want to turn the page and work together "
        f"on the issues that matter most to their citizens."),
        (f"{agency['name']} quoted a senior {a['demonym']} official as saying that the {body['name']} would be "
        f"kept informed, and that the outcome would be presented to the other member states."),
        (f"The economy of {b['short']} has struggled with high inflation and unemployment, and its leaders have "
        f"looked abroad for investment, loans and markets for its exports, economists in {b['capital']} said."),
    ]
    return rng.sample(options, k)


# ---- the three stories ---------------------------------------------------------------------
def meeting(rng: random.Random, nm: Names, published: date) -> Story:
    host = _person(rng, nm)
    guest = _person(rng, nm, not_state={host.state["qid"]})
    when = published - timedelta(days=rng.choice([0, 1, 1, 2]))
    day = WEEKDAYS[when.weekday()]
    city = _city(rng, nm, host.state)
    t1, t2, t3 = rng.sample(TOPICS, 3)
    hs, gs = host.state, guest.state
    headline = rng.choice([
        f"{host.short}, {guest.short} Discuss {t1} Cooperation in {city}",
        f"{host.short} Receives {gs['demonym']} {guest.title} in {city}",
        f"{hs['short']}, {gs['short']} Leaders Hold Talks on {t1} and {t2}",
        f"{host.short} Meets {guest.short}, Vows Closer {t1} Ties",
    ])
    caption = _caption(rng, nm, rng.choice([
        f"{host.styled} (R) meets with {guest.styled} (L) in {city}",
        f"{host.title} {host.name} receives {guest.title} {guest.name} at {rng.choice(PALACES)} in {city}, {hs['short']},",
        f"{host.styled} and {guest.styled} shake hands before their talks in {city}",
    ]).rstrip(","), when, hs)
    body = [
        (f"{host.styled} received {guest.styled} in {city} on {day}, and the two discussed {t1} and {t2}, "
        f"according to a statement released by {rng.choice(PALACES)}."),
        (f"{host.short} and {guest.short} held talks that lasted more than two hours and covered {t3}, "
        f"regional developments and ways to expand {t1} between {hs['short']} and {gs['short']}."),
        (f"\"We agreed to strengthen our cooperation in {t1} and {t2} for the benefit of both peoples,\" "
        f"{guest.short} told reporters after the meeting, calling it productive."),
    ]
    events = ["meeting"]
    extra = rng.random()
    if extra < 0.3:
        n = rng.choice(["two", "three", "four", "five"])
        body.append(f"During the visit, ministers from the two countries signed {n} memoranda of understanding "
                    f"on {t2} and {t3}, the {hs['demonym']} news agency reported.")
        events.append("agreement")
    elif extra < 0.6:
        body.append(f"{host.short} is expected to travel to {gs['capital']} next month for a further round of talks, "
                    f"but no date has been set, officials said.")
    else:
        third = _person(rng, nm, not_state={hs["qid"], gs["qid"]})
        body.append(f"Earlier in the week, {host.short} spoke by phone with {third.styled} about {t3} "
                    f"and the situation in the region.")
    body += _background(rng, nm, hs, gs, rng.choice([3, 4]))
    return Story("meeting", _title_case(headline), caption, body, published, events)


def attack(rng: random.Random, nm: Names, published: date) -> Story:
    state = nm.state[rng.choice(nm.led_states)] if rng.random() < 0.7 else rng.choice(nm.states)
    city = _city(rng, nm, state)
    weapon, weapon_title = rng.choice(WEAPONS)
    target = rng.choice(TARGETS)
    killed = rng.choice([rng.randrange(2, 15), rng.randrange(15, 80)])
    injured = rng.randrange(killed, killed * 3 + 5) if rng.random() < 0.7 else None
    group = rng.choice(nm.militants)
    when = published - timedelta(days=rng.choice([0, 1, 1, 2]))
    day = WEEKDAYS[when.weekday()]
    leader = _official(rng, nm, state)
    headline = rng.choice([
        f"{killed} Killed in {weapon_title} on {target.title()} in {city}",
        f"{group['short']} Claims {weapon_title} That Killed {killed} in {city}",
        f"{weapon_title} Kills {killed} in {state['short']}'s {city}",
        f"{leader.short if leader.short[:1].isupper() else state['short']} Condemns Deadly {weapon_title} in {city}",
    ])
    caption = _caption(rng, nm, rng.choice([
        f"Security forces inspect the site of a {weapon} at a {target} in {city}, {state['short']},",
        f"Rescuers search the rubble after a {weapon} hit a {target} in {city}",
        f"People gather outside a hospital in {city} where the wounded were taken",
    ]).rstrip(","), when, state)
    wounded = f" and wounded {injured} others" if injured is not None else ""
    body = [
        (f"A {weapon} on a {target} in {city} killed {killed} people{wounded} on {day}, "
        f"{state['demonym']} officials said, in one of the deadliest attacks in the country this year."),
        rng.choice([
            f"{group['name']} claimed responsibility for the attack in a statement on its news channel.",
            (f"No group immediately claimed responsibility, but the {state['demonym']} government blamed "
            f"{group['short']} militants for the attack."),
        ]),
        (f"{leader.styled if leader.short[:1].isupper() else 'The ' + leader.name} condemned the attack and ordered "
        f"an investigation, vowing that those responsible would be brought to justice."),
        (f"Witnesses said ambulances rushed the wounded to hospitals across {city}, and security forces sealed off "
        f"the area around the {target} for several hours."),
    ]
    if rng.random() < 0.4:
        body.append(f"{group['short']} denied any role in an earlier blast in {_city(rng, nm, state)} that "
                    f"officials had also blamed on the group.")
    other = rng.choice(nm.states)
    body.append(f"{other['short']} and the {rng.choice(nm.bodies)['name']} condemned the attack, and "
                f"{other['demonym']} officials offered their condolences to the families of the victims.")
    if rng.random() < 0.5:
        body.append(f"It was the deadliest attack in {city} since {rng.randrange(2010, published.year)}, "
                    f"when dozens were killed in a series of bombings.")
    body += _background(rng, nm, state, other, rng.choice([2, 3]))
    return Story("attack", _title_case(headline), caption, body, published, ["attack"])


def agreement(rng: random.Random, nm: Names, published: date) -> Story:
    a = _person(rng, nm)
    b = _official(rng, nm, nm.state[rng.choice([q for q in nm.led_states if q != a.state["qid"]])])
    sa, sb = a.state, b.state
    city = rng.choice([sa["capital"], sb["capital"]])
    years = rng.choice([2, 5, 10, 15, 20, 25])
    t1, t2, t3 = rng.sample(TOPICS, 3)
    when = published - timedelta(days=rng.choice([0, 1, 1, 2]))
    day = WEEKDAYS[when.weekday()]
    kind = rng.choice(["agreement", "accord", "pact", "deal", "memorandum of understanding"])
    headline = rng.choice([
        f"{sa['short']}, {sb['short']} Sign {years}-Year {t1} {kind.split()[0]}",
        f"{a.short}, {b.short if b.short[:1].isupper() else sb['short']} Sign {t1} {kind.split()[0]} in {city}",
        f"{sa['short']} and {sb['short']} Seal {t1} and {t2} {kind.split()[0]}",
    ])
    caption = _caption(rng, nm, rng.choice([
        f"{a.styled} and {b.styled} sign {_a(kind)} in {city}",
        f"{a.styled} (R) and {b.styled} (L) exchange documents after signing {_a(kind)} in {city}",
    ]), when, sa)
    body = [
        (f"{sa['short']} and {sb['short']} signed {_a(str(years) + '-year')} {kind} on {t1}, {t2} and {t3} cooperation in "
        f"{city} on {day}, officials said."),
        (f"The {kind} was signed by {a.styled} and {b.styled if b.short[:1].isupper() else 'the ' + b.name} "
        f"at {rng.choice(PALACES)}, in a ceremony broadcast on state television."),
        (f"Under the {kind.split()[0]}, the two countries will set up joint committees on {t1} and {t2} and "
        f"meet every year to review progress, the {sa['demonym']} news agency reported."),
        (f"\"This {kind.split()[0]} opens major fronts for our cooperation,\" {a.short} said at a joint news "
        f"conference, adding that {t3} would follow."),
    ]
    if rng.random() < 0.5:
        body.append(f"{sb['demonym']} officials denied reports that a military pact had also been concluded, "
                    f"saying the talks had been limited to {t1}.")
    else:
        body.append(f"A further agreement on {t3} could be signed next year if talks between the two "
                    f"governments go well, diplomats said.")
    body += _background(rng, nm, sa, sb, rng.choice([3, 4]))
    return Story("agreement", _title_case(headline), caption, body, published, ["agreement"])


STORIES = {"meeting": meeting, "attack": attack, "agreement": agreement}
WEIGHTS = {"meeting": 0.45, "attack": 0.3, "agreement": 0.25}


def story(rng: random.Random, nm: Names) -> Story:
    published = date(2015, 1, 1) + timedelta(days=rng.randrange(11 * 365))
    kind = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    s = STORIES[kind](rng, nm, published)
    s.share = rng.randrange(1, 400) if rng.random() < 0.7 else None
    return s


# ---- page writers --------------------------------------------------------------------------
def text_article(s: Story) -> str:
    head = [s.headline, "", s.caption, s.caption, "TT"]
    if s.share is not None:
        head.append(str(s.share))
    head += ["", s.headline, "", s.caption, s.caption, ""]
    return "\n".join(head) + "\n" + "\n\n".join(s.body)


def text_page(stories: list[Story]) -> str:
    return "\n\n\n\n".join(text_article(s) for s in stories) + "\n"


def html_page(stories: list[Story], rng: random.Random) -> str:
    e = html.escape
    first = stories[0]
    nav = "".join(f'<li><a href="/{n.lower().replace(" ", "-")}">{n}</a></li>' for n in SITE_NAV)
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{e(first.headline)} | The Daily Wire Service</title>",
        f'<meta property="og:title" content="{e(first.headline)}">',
        '<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}</script>',
        "</head>", '<body class="page-node-type-article">',
        (f'<header class="site-header"><nav class="main-nav"><ul>{nav}</ul></nav>'
        '<form class="search" action="/search"><input type="text" name="q"><button>Search</button></form></header>'),
        '<main id="main-content">',
    ]
    for s in stories:
        stamp = f"{s.published.isoformat()}T{rng.randrange(6, 23):02d}:{rng.randrange(60):02d}:00+00:00"
        parts += [
            '<article class="node-article">',
            f'  <h1 class="article-title">{e(s.headline)}</h1>',
            (f'  <div class="article-meta"><time datetime="{stamp}">{s.published.day} '
            f'{MONTHS[s.published.month - 1]} {s.published.year}</time></div>'),
            (f'  <figure class="article-image"><img src="/img/{rng.randrange(10**6)}.jpg" alt="{e(s.headline)}">'
            f"<figcaption>{e(s.caption)}</figcaption></figure>"),
            ('  <div class="share-widget"><span class="share-label">Share</span> '
            f'<span class="share-count">{s.share or ""}</span> <a href="#">Facebook</a> <a href="#">X</a></div>'),
            '  <div class="article-body">',
            *[f"    <p>{e(p)}</p>" for p in s.body],
            "  </div>",
            "</article>",
        ]
    most_read = "".join(f'<li><a href="/node/{rng.randrange(10**6)}">{e(rng.choice(SITE_NAV))} news update</a></li>'
                        for _ in range(4))
    parts += [
        f'<aside class="most-read"><h3>Most Read</h3><ol>{most_read}</ol></aside>', "</main>",
        '<footer class="site-footer"><a href="/about">About Us</a> <a href="/privacy">Privacy Policy</a></footer>',
        '<script src="/js/app.min.js"></script>', "</body>", "</html>", "",
    ]
    return "\n".join(parts)


@dataclass
class Page:
    name: str  # relative path under pages/: "0003/p0003141.txt"
    content: bytes
    headlines: list[str]
    events: list[list[str]]

    @property
    def articles(self) -> int:
        return len(self.headlines)


def make_page(seed: int, index: int, n_articles: int, *, html_share: float = 0.12) -> Page:
    """Page ``index`` of corpus ``seed``, holding ``n_articles`` articles (1-3)."""
    rng = random.Random(f"{seed}:{index}")
    nm = names()
    is_html = rng.random() < html_share
    if is_html:
        n_articles = min(n_articles, 2)  # a site's page: the story, sometimes a second one
    stories = [story(rng, nm) for _ in range(n_articles)]
    content = html_page(stories, rng) if is_html else text_page(stories)
    name = f"{index // PAGES_PER_FOLDER:04d}/p{index:07d}.{'html' if is_html else 'txt'}"
    return Page(name, content.encode("utf-8"), [s.headline for s in stories], [s.events for s in stories])


def iter_pages(n_articles: int, seed: int = 0, *, html_share: float = 0.12) -> Iterator[Page]:
    """Pages holding exactly ``n_articles`` articles in all, one page at a time."""
    left, index = n_articles, 0
    while left > 0:
        want = random.Random(f"{seed}:{index}:count").choice([1, 1, 2, 2, 2, 3])
        page = make_page(seed, index, min(want, left), html_share=html_share)
        left -= page.articles
        index += 1
        yield page


def write_corpus(out_dir: Path, n_articles: int, seed: int = 0, *, html_share: float = 0.12) -> dict[str, Any]:
    """Write the corpus (pages/ and manifest.jsonl) into ``out_dir``; return a summary."""
    out_dir = Path(out_dir)
    pages_dir = out_dir / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"seed": seed, "articles": 0, "pages": 0, "html_pages": 0, "bytes": 0,
                               "events": {"meeting": 0, "attack": 0, "agreement": 0}}
    with (out_dir / "manifest.jsonl").open("w", encoding="utf-8") as manifest:
        for page in iter_pages(n_articles, seed, html_share=html_share):
            path = pages_dir / page.name
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(page.content)
            manifest.write(json.dumps({"page": page.name, "articles": page.articles, "headlines": page.headlines,
                                       "events": page.events}, ensure_ascii=False) + "\n")
            summary["articles"] += page.articles
            summary["pages"] += 1
            summary["html_pages"] += page.name.endswith(".html")
            summary["bytes"] += len(page.content)
            for kinds in page.events:
                for k in kinds:
                    summary["events"][k] += 1
    (out_dir / "corpus.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--html-share", type=float, default=0.12, help="share of pages written as HTML")
    args = ap.parse_args(argv)
    print(json.dumps(write_corpus(args.out_dir, args.articles, args.seed, html_share=args.html_share)))


if __name__ == "__main__":
    main()
