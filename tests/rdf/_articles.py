"""Hand-made Articles for the rdf tests (built in code, no extraction involved)."""
from __future__ import annotations

from newsgraph import NIL, Article, Caption, Entity, Event, Evidence, Link, LinkCandidate, Mention


def _ev(text: str, sentence: str, rule: str, confidence: float = 0.9) -> Evidence:
    start = text.index(sentence)
    return Evidence(sentence=sentence, start=start, end=start + len(sentence), rule=rule, confidence=confidence)


def _m(text: str, surface: str, section: str = "body") -> Mention:
    start = text.index(surface)
    return Mention(text=surface, start=start, end=start + len(surface), section=section)  # type: ignore[arg-type]


def meeting_article(*, fetched_at: str = "2023-02-04T08:00:00Z") -> Article:
    body = [
        "Venezuelan President Nicolas Maduro received Iranian Foreign Minister Hossein Amir-Abdollahian in Caracas on Friday.",
        "Maduro and Abdollahian discussed oil cooperation. The two sides plan to meet again next month in Tehran.",
    ]
    a = Article(id=Article.make_id("Maduro receives Iran's foreign minister", body),
                headline="Maduro receives Iran's foreign minister", body=body,
                captions=[Caption(text="Maduro greets Amir-Abdollahian in Caracas", credit="Photo by JHONN ZERPA",
                                  date="2023-02-03")],
                published="2023-02-04", page_name="dev-001.txt", page_sha256="ab" * 32,
                source="https://news.example.org/dev-001", fetched_at=fetched_at,
                extractor="newsgraph.RuleExtractor.v1 0.1.0")
    t = a.text
    maduro = Entity(kind="person", name="Nicolas Maduro", mentions=[_m(t, "Nicolas Maduro"), _m(t, "Maduro", "headline")],
                    roles=["president"], role_of="Venezuela",
                    link=Link(qid="Q58132", score=0.97, method="wikidata-search+context",
                              candidates=[LinkCandidate("Q58132", "Nicolás Maduro", 0.97),
                                          LinkCandidate("Q96207183", "Nicolás Maduro Guerra", 0.21)]))
    abdo = Entity(kind="person", name="Hossein Amir-Abdollahian",
                  mentions=[_m(t, "Hossein Amir-Abdollahian"), _m(t, "Abdollahian")],
                  roles=["foreign minister"], role_of="Iran",
                  link=Link(qid="Q5908639", score=0.91, method="wikidata-search+context"))
    ven = Entity(kind="state", name="Venezuela", mentions=[_m(t, "Venezuelan")],
                 link=Link(qid="Q717", score=0.99, method="wikidata-search"))
    iran = Entity(kind="state", name="Iran", mentions=[_m(t, "Iranian")], link=Link(qid="Q794", score=0.99, method="wikidata-search"))
    caracas = Entity(kind="place", name="Caracas", mentions=[_m(t, "Caracas")], link=Link(qid="Q1533", score=0.95, method="wikidata-search"))
    tehran = Entity(kind="place", name="Tehran", mentions=[_m(t, "Tehran")],
                    link=Link(qid=NIL, score=0.0, method="wikidata-search", needs_relink=True))
    a.entities = [maduro, abdo, ven, iran, caracas, tehran]
    a.events = [Event(type="meeting", participants=["Nicolas Maduro", "Hossein Amir-Abdollahian"], host="Nicolas Maduro",
                      place="Caracas", date="2023-02-03", evidence=[_ev(t, body[0], "meeting.received")], confidence=0.9)]
    a.non_events = [Event(type="meeting", participants=["Nicolas Maduro", "Hossein Amir-Abdollahian"], place="Tehran",
                          modality="planned", why="planned for next month, not held",
                          evidence=[_ev(t, "The two sides plan to meet again next month in Tehran.", "meeting.planned")])]
    return a


def attack_article() -> Article:
    body = ["A suicide bomber killed 22 people at a church in Damascus on Sunday, the interior ministry said.",
            "Islamic State claimed the attack; Syrian officials also blamed Hezbollah."]
    a = Article(id=Article.make_id("Church bombing in Damascus", body), headline="Church bombing in Damascus", body=body,
                published="2025-06-23", page_name="dev-002.txt", page_sha256="cd" * 32, source="/data/pages/dev-002.txt",
                fetched_at="2025-06-23T10:00:00Z", extractor="newsgraph.RuleExtractor.v1 0.1.0")
    t = a.text
    a.entities = [
        Entity(kind="place", name="Damascus", mentions=[_m(t, "Damascus")], link=Link("Q3766", 0.98, "wikidata-search")),
        Entity(kind="state", name="Syria", mentions=[_m(t, "Syrian")], link=Link("Q858", 0.99, "wikidata-search")),
        Entity(kind="organization", name="Islamic State", mentions=[_m(t, "Islamic State")], link=Link("Q2429253", 0.9, "wikidata-search")),
        Entity(kind="organization", name="Hezbollah", mentions=[_m(t, "Hezbollah")], link=Link("Q41053", 0.9, "wikidata-search")),
    ]
    a.events = [Event(type="attack", place="Damascus", date="2025-06-22", killed=22, perpetrators=["Islamic State"],
                      blamed=["Hezbollah"], target="church", modality="claimed",
                      evidence=[_ev(t, body[0], "attack.killed")])]
    return a


def agreement_article() -> Article:
    body = ["Venezuela and Iran signed a 20-year cooperation agreement in Tehran last June.",
            "Maduro signed the accord covering petroleum, petrochemical and defense cooperation."]
    a = Article(id=Article.make_id("Venezuela and Iran sign 20-year pact", body), headline="Venezuela and Iran sign 20-year pact",
                body=body, published="2022-07-01", page_name="dev-003.html", page_sha256="ef" * 32,
                source="https://news.example.org/dev-003", fetched_at="2022-07-01T09:00:00Z",
                extractor="newsgraph.RuleExtractor.v1 0.1.0")
    t = a.text
    a.entities = [
        Entity(kind="state", name="Venezuela", mentions=[_m(t, "Venezuela")], link=Link("Q717", 0.99, "wikidata-search")),
        Entity(kind="state", name="Iran", mentions=[_m(t, "Iran")], link=Link("Q794", 0.99, "wikidata-search")),
        Entity(kind="place", name="Tehran", mentions=[_m(t, "Tehran")], link=Link("Q3616", 0.97, "wikidata-search")),
        Entity(kind="person", name="Nicolas Maduro", mentions=[_m(t, "Maduro")], roles=["president"], role_of="Venezuela",
               link=Link("Q58132", 0.95, "wikidata-search")),
    ]
    a.events = [Event(type="agreement", participants=["Venezuela", "Iran"], signatories=["Nicolas Maduro"], place="Tehran",
                      date="2022-06", duration_years=20, topics=["petroleum", "petrochemical", "defense"],
                      evidence=[_ev(t, body[0], "agreement.signed")])]
    return a


def visit_article() -> Article:
    body = ["Iranian President Ebrahim Raisi hosted Venezuelan President Nicolas Maduro in Tehran on Monday.",
            "Foreign Minister Hossein Amir-Abdollahian joined the talks."]
    a = Article(id=Article.make_id("Raisi hosts Maduro in Tehran", body), headline="Raisi hosts Maduro in Tehran", body=body,
                published="2023-06-13", page_name="dev-004.txt", page_sha256="12" * 32,
                source="https://news.example.org/dev-004", fetched_at="2023-06-13T07:30:00+02:00",
                extractor="newsgraph.RuleExtractor.v1 0.1.0")
    t = a.text
    a.entities = [
        Entity(kind="person", name="Ebrahim Raisi", mentions=[_m(t, "Ebrahim Raisi"), _m(t, "Raisi", "headline")],
               roles=["president"], role_of="Iran", link=Link("Q5608364", 0.96, "wikidata-search")),
        Entity(kind="person", name="Nicolas Maduro", mentions=[_m(t, "Nicolas Maduro")], roles=["president"],
               role_of="Venezuela", link=Link("Q58132", 0.97, "wikidata-search")),
        Entity(kind="person", name="Hossein Amir-Abdollahian", mentions=[_m(t, "Hossein Amir-Abdollahian")],
               roles=["foreign minister"], role_of="Iran", link=Link("Q5908639", 0.9, "wikidata-search")),
        Entity(kind="state", name="Iran", mentions=[_m(t, "Iranian")], link=Link("Q794", 0.99, "wikidata-search")),
        Entity(kind="state", name="Venezuela", mentions=[_m(t, "Venezuelan")], link=Link("Q717", 0.99, "wikidata-search")),
        Entity(kind="place", name="Tehran", mentions=[_m(t, "Tehran")], link=Link("Q3616", 0.97, "wikidata-search")),
    ]
    a.events = [Event(type="meeting", participants=["Ebrahim Raisi", "Nicolas Maduro", "Hossein Amir-Abdollahian"],
                      host="Ebrahim Raisi", place="Tehran", date="2023-06-12", evidence=[_ev(t, body[0], "meeting.hosted")])]
    return a


def border_attack_article() -> Article:
    body = ["Syria's neighbours watched the border closely.",
            "A drone strike killed 3 soldiers near the border on Monday, Turkish officials said."]
    a = Article(id=Article.make_id("Drone strike kills 3 soldiers", body), headline="Drone strike kills 3 soldiers", body=body,
                published="2025-07-01", page_name="dev-005.txt", page_sha256="34" * 32, source="/data/pages/dev-005.txt",
                fetched_at="2025-07-01T06:00:00Z", extractor="newsgraph.RuleExtractor.v1 0.1.0")
    t = a.text
    a.entities = [
        Entity(kind="state", name="Syria", mentions=[_m(t, "Syria")], link=Link("Q858", 0.99, "wikidata-search")),
        Entity(kind="state", name="Türkiye", mentions=[_m(t, "Turkish")], link=Link("Q43", 0.99, "wikidata-search")),
    ]
    a.events = [Event(type="attack", date="2025-06-30", killed=3, evidence=[_ev(t, body[1], "attack.killed")])]
    return a


def all_articles() -> list[Article]:
    """The small hand-made corpus the cookbook queries are tested on."""
    return [meeting_article(), attack_article(), agreement_article(), visit_article(), border_attack_article()]
