"""Every cookbook query on the dev-corpus graph, checked against what the gold files
(../shared/eval/corpus/dev/*.gold.json, written by people) say is true.

Where the extractor is imperfect the test asserts the key gold facts are in the answer (subset
checks) and, apart, that no row contradicts gold; a check that cannot hold because of an
extraction miss is ``xfail(strict=True)`` with the miss named, so fixing the extractor turns it
into a failure to be promoted. The same queries through a real `oxigraph serve-read-only` over the
same store must give identical answers (test_server_answers_the_same)."""
from __future__ import annotations

import collections
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import DEV_CORPUS, QUERIES

pytestmark = pytest.mark.slow

ERDOGAN, PUTIN, MADURO = "Q39259", "Q7747", "Q58132"  # QIDs as the gold files give them
ISIS, USA, RUSSIA, TURKIYE = "Q2429253", "Q30", "Q159", "Q43"
WD = "http://www.wikidata.org/entity/"


def _gold() -> list[dict[str, Any]]:
    """Gold articles, each with a name -> QID map of its entities."""
    out = []
    for f in sorted(DEV_CORPUS.glob("*.gold.json")):
        for a in json.loads(f.read_text(encoding="utf-8"))["articles"]:
            qid = {e["name"]: e.get("wikidata") for k in ("people", "states", "places", "organizations")
                   for e in a.get(k, [])}
            out.append({**a, "qid": qid, "page": f.name.removesuffix(".gold.json")})
    return out


GOLD = _gold()


def gold_events(kind: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(a, e) for a in GOLD for e in a["events"] if e["type"] == kind]


def month(date: str | None) -> str | None:
    return date[:7] if date and len(date) >= 7 else None


# ---------------------------------------------------------------------------------------------
# meetings-between-states.rq
# ---------------------------------------------------------------------------------------------

def test_meetings_between_venezuela_and_iran(embedded) -> None:
    rows = embedded("meetings-between-states.rq")
    # seed-000: Maduro received Amir-Abdollahian in Caracas on 2023-02-03
    assert any(r["date"] == "2023-02-03" and {r["officialA"], r["officialB"]} >= {"Hossein Amir-Abdollahian"}
               and "Maduro" in (r["officialA"] or "") + (r["officialB"] or "") and r["place"] == "Caracas"
               for r in rows), rows
    # gold has no other Venezuela-Iran meeting
    assert {r["date"] for r in rows} == {"2023-02-03"}, rows


def test_meetings_between_russia_and_turkiye(embedded) -> None:
    rows = embedded("meetings-between-states.rq", {"wd:Q717 wd:Q794": f"wd:{RUSSIA} wd:{TURKIYE}"})
    # a-001, a-005: Putin and Erdoğan in Tehran 2018-09-07, Sochi 2018-09-17, Ankara 2019-09-16, Sochi 2019-10-22
    gold = {e["date"] for _, e in gold_events("meeting")
            if {"Vladimir Putin", "Recep Tayyip Erdoğan"} <= set(e["participants"])}
    assert gold == {"2018-09-07", "2018-09-17", "2019-09-16", "2019-10-22"}
    assert gold <= {r["date"] for r in rows}, rows
    sochi = [r for r in rows if r["date"] == "2018-09-17"]
    assert sochi and all("Putin" in r["officialA"] + r["officialB"] for r in sochi)


# ---------------------------------------------------------------------------------------------
# who-met-whom-most-often.rq
# ---------------------------------------------------------------------------------------------

def _gold_pair_counts() -> collections.Counter[frozenset[str]]:
    c: collections.Counter[frozenset[str]] = collections.Counter()
    for a, e in gold_events("meeting"):
        qs = {a["qid"].get(p) for p in e["participants"]} - {None}
        for x in qs:
            for y in qs:
                if x < y:
                    c[frozenset((x, y))] += 1
    return c


def test_who_met_whom_most_often(embedded) -> None:
    rows = embedded("who-met-whom-most-often.rq")
    gold = _gold_pair_counts()
    top = frozenset((ERDOGAN, PUTIN))
    assert gold[top] == 4 and gold.most_common(1)[0] == (top, 4)
    first = rows[0]
    assert {first["personA"], first["personB"]} == {WD + ERDOGAN, WD + PUTIN} and first["meetings"] == "4", rows
    # b-003, b-017: Trump and Netanyahu twice
    assert any({r["personA"], r["personB"]} == {WD + "Q22686", WD + "Q43723"} and r["meetings"] == "2"
               for r in rows), rows


@pytest.mark.xfail(strict=True, reason="extraction miss: a meeting of Bashar al-Assad and Ahmed al-Sharaa, whom "
                   "gold never has meet (Sharaa's HTS ousted Assad)")
def test_who_met_whom_contradicts_no_gold_count(embedded) -> None:
    rows = embedded("who-met-whom-most-often.rq")
    gold = _gold_pair_counts()
    # no linked pair is counted more often than gold reports it
    for r in rows:
        if r["personA"].startswith(WD) and r["personB"].startswith(WD):
            pair = frozenset((r["personA"].removeprefix(WD), r["personB"].removeprefix(WD)))
            assert int(r["meetings"]) <= gold[pair], r


# ---------------------------------------------------------------------------------------------
# visits-hosted-by-state.rq
# ---------------------------------------------------------------------------------------------

def test_visits_hosted_by_venezuela(embedded) -> None:
    rows = embedded("visits-hosted-by-state.rq")
    assert any(r["guestState"] == WD + "Q794" and int(r["visits"]) >= 1 for r in rows), rows


# ---------------------------------------------------------------------------------------------
# attacks-per-country.rq
# ---------------------------------------------------------------------------------------------

def _by_country(rows: list[dict[str, Any]]) -> dict[str | None, dict[str, Any]]:
    return {r["countryName"]: r for r in rows}


def test_attacks_per_country_key_facts(embedded) -> None:
    rows = _by_country(embedded("attacks-per-country.rq"))
    # a-003: twin suicide attacks in N'Djamena, 23 killed, 101 injured
    chad = rows["Chad"]
    assert (chad["attacks"], chad["killed"], chad["injured"]) == ("1", "23", "101"), chad
    # a-009: three Istanbul attacks by the Islamic State: 39 (nightclub), 45 and 41 (airport) killed
    tr = rows["Türkiye"]
    assert (tr["attacks"], tr["killed"]) == ("3", str(39 + 45 + 41)), tr
    assert "ISIS" in tr["perpetrators"] or "Islamic State" in tr["perpetrators"], tr


@pytest.mark.xfail(strict=True, reason="extraction misses: the Damascus church attack (seed-000, 22 killed, "
                   "Islamic State) gets no country (the article names Türkiye and Syria, the sentence no "
                   "state), and the Istanbul nightclub attack's 69 injured are not read (Türkiye: 239, gold 308)")
def test_attacks_per_country_matches_gold(embedded) -> None:
    rows = _by_country(embedded("attacks-per-country.rq"))
    syria = rows.get("Syria")
    assert syria and int(syria["killed"]) >= 22 and "IS" in syria["perpetrators"], rows
    assert rows["Türkiye"]["injured"] == str(69 + 239), rows["Türkiye"]


# ---------------------------------------------------------------------------------------------
# claimed-vs-blamed.rq
# ---------------------------------------------------------------------------------------------

def _gold_perpetrators() -> collections.Counter[str]:
    c: collections.Counter[str] = collections.Counter()
    for a, e in gold_events("attack"):
        for p in e.get("perpetrators") or []:
            c[a["qid"].get(p) or p] += 1
    return c


def test_claimed_vs_blamed_key_facts(embedded) -> None:
    rows = {r["actor"]: r for r in embedded("claimed-vs-blamed.rq")}
    gold = _gold_perpetrators()
    # b-011: three US strikes (Soleimani's convoy, the 2019-12-29 strikes, and as reported again)
    assert int(rows[WD + USA]["claimedOrStated"]) == gold[USA] == 3
    # b-019: the missiles on Odesa by Russia
    assert int(rows[WD + RUSSIA]["claimedOrStated"]) == gold[RUSSIA] == 1
    assert int(rows[WD + ISIS]["claimedOrStated"]) >= 1


@pytest.mark.xfail(strict=True, reason="extraction misses: the Houthis (a-011) named 'Houthi' and left unlinked, "
                   "and the Islamic State found in 4 of its 6 gold attacks")
def test_claimed_vs_blamed_matches_gold(embedded) -> None:
    rows = embedded("claimed-vs-blamed.rq")
    gold = _gold_perpetrators()
    for r in rows:
        actor = r["actor"].removeprefix(WD)
        assert actor in gold, r
    assert int({r["actor"]: r for r in rows}[WD + ISIS]["claimedOrStated"]) == gold[ISIS] == 6


# ---------------------------------------------------------------------------------------------
# casualties-by-month.rq
# ---------------------------------------------------------------------------------------------

def _gold_casualties() -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for _, e in gold_events("attack"):
        m = month(e.get("date"))
        if m:
            k, i = out.get(m, (0, 0))
            out[m] = (k + (e.get("killed") or 0), i + (e.get("injured") or 0))
    return out


def test_casualties_by_month_key_facts(embedded) -> None:
    rows = {r["month"]: (int(r["killed"]), int(r["injured"])) for r in embedded("casualties-by-month.rq")}
    gold = _gold_casualties()
    for m in ("2015-06", "2016-06", "2018-03", "2018-09", "2019-12", "2020-01"):
        assert rows.get(m) == gold[m], (m, rows.get(m), gold[m])
    assert gold["2016-06"] == (45 + 41, 239)  # a-009: 45 earlier, 41 at the airport (239 injured)


@pytest.mark.xfail(strict=True, reason="extraction misses: 2017-01 nightclub injured (69) not read; Doha strike "
                   "read as 5 killed (b-015: 6); Tower 22 (b-013, undated in gold) dated 2023-10 and the "
                   "Damascus church attack (seed-000, undated) dated 2025-02")
def test_casualties_by_month_matches_gold(embedded) -> None:
    rows = {r["month"]: (int(r["killed"]), int(r["injured"])) for r in embedded("casualties-by-month.rq")}
    assert rows == _gold_casualties()


# ---------------------------------------------------------------------------------------------
# agreements-of-state.rq
# ---------------------------------------------------------------------------------------------

def test_agreements_of_iran_key_facts(embedded) -> None:
    rows = embedded("agreements-of-state.rq")
    # seed-000: the 20-year Venezuela-Iran pact of June 2022, signed by Maduro
    ven = [r for r in rows if r["partners"] == "Venezuela"]
    assert len(ven) == 1, rows
    assert ven[0]["date"] == "2022-06" and ven[0]["durationYears"] == "20"
    assert "Maduro" in ven[0]["signatories"]
    assert set(ven[0]["topics"].split("; ")) == {"petroleum", "petrochemical", "defense"}
    # b-007: with Iraq on 2024-09-11 and in 2023; with Russia on 2025-01-17
    gold = {(e["date"], p) for _, e in gold_events("agreement") if "Iran" in e["participants"]
            for p in e["participants"] if p != "Iran"}
    assert gold == {("2022-06", "Venezuela"), ("2024-09-11", "Iraq"), ("2023", "Iraq"), ("2025-01-17", "Russia")}
    assert gold <= {(r["date"], r["partners"]) for r in rows}, rows


def test_agreements_of_iran_matches_gold(embedded) -> None:
    gold_topics = {t.lower() for _, e in gold_events("agreement") if "Iran" in e["participants"]
                   for t in e.get("topics") or []}
    rows = embedded("agreements-of-state.rq")
    for r in rows:
        assert set(filter(None, (r["topics"] or "").split("; "))) <= gold_topics, r
    russia = [r for r in rows if r["partners"] == "Russia"]
    assert russia and {"Vladimir Putin", "Masoud Pezeshkian"} <= set((russia[0]["signatories"] or "").split("; "))


# ---------------------------------------------------------------------------------------------
# events-of-person.rq
# ---------------------------------------------------------------------------------------------

def _gold_events_of(name: str) -> set[tuple[str, str]]:
    return {(e["type"].capitalize(), e["date"]) for a in GOLD for e in a["events"]
            if name in (e.get("participants") or []) + (e.get("signatories") or [])
            + (e.get("perpetrators") or [])}


def test_events_of_erdogan(embedded) -> None:
    rows = embedded("events-of-person.rq", {"wd:Q58132": f"wd:{ERDOGAN}"})
    got = {(r["type"], r["date"]) for r in rows}
    gold = _gold_events_of("Recep Tayyip Erdoğan")
    assert ("Meeting", "2025-02-04") in gold and ("Agreement", "2019-10-22") in gold
    assert gold <= got, gold - got
    assert got <= gold, got - gold  # nothing gold does not list
    assert all(r["sentence"] and r["start"] and r["end"] for r in rows)
    assert any("Putin and Erdogan met on Monday" in r["sentence"] for r in rows)


def test_events_of_maduro(embedded) -> None:
    rows = embedded("events-of-person.rq")  # the default parameter is Maduro
    got = {(r["type"], r["date"], r["role"]) for r in rows}
    assert ("Meeting", "2023-02-03", "participant") in got, rows
    assert ("Agreement", "2022-06", "signatory") in got, rows
    assert {(t, d) for t, d, _ in got} == _gold_events_of("Nicolás Maduro")


def test_events_of_person_as_shipped(embedded) -> None:
    # the default is Nicolás Maduro, wd:Q58132 as gold and the Wikidata subset have it (it was
    # wd:Q57413, Alassane Ouattara)
    assert f"wd:{MADURO}" in (QUERIES / "events-of-person.rq").read_text(encoding="utf-8")
    assert ("Meeting", "2023-02-03") in {(r["type"], r["date"]) for r in embedded("events-of-person.rq")}


# ---------------------------------------------------------------------------------------------
# events-per-month.rq, events-by-cameo-code.rq
# ---------------------------------------------------------------------------------------------

def _gold_per_month() -> collections.Counter[tuple[str, str]]:
    c: collections.Counter[tuple[str, str]] = collections.Counter()
    for a in GOLD:
        for e in a["events"]:
            if month(e.get("date")):
                c[(month(e["date"]), e["type"].capitalize())] += 1
    return c


def test_events_per_month_key_facts(embedded) -> None:
    rows = {(r["month"], r["type"]): int(r["events"]) for r in embedded("events-per-month.rq")}
    gold = _gold_per_month()
    for key in (("2023-02", "Meeting"), ("2022-06", "Agreement"), ("2025-02", "Meeting"),
                ("2018-09", "Meeting"), ("2016-06", "Attack"), ("2020-09", "Agreement")):
        assert rows.get(key) == gold[key], (key, rows.get(key), gold[key])


@pytest.mark.xfail(strict=True, reason="extraction misses: e.g. the 2018-12 Rimbo talks and the 2024-06 Dead Sea "
                   "meeting not found; Tower 22 and the Damascus church attack given dates gold does not have")
def test_events_per_month_matches_gold(embedded) -> None:
    rows = {(r["month"], r["type"]): int(r["events"]) for r in embedded("events-per-month.rq")}
    assert rows == dict(_gold_per_month())


def test_events_by_cameo_code_crosswalk(embedded) -> None:
    rows = embedded("events-by-cameo-code.rq")
    codes = {(r["scheme"], r["code"], r["class"]) for r in rows}
    assert {("CAMEO", "057", "Agreement"), ("CAMEO", "04", "Meeting"), ("CAMEO", "18", "Attack"),
            ("PLOVER", "CONSULT", "Meeting"), ("PLOVER", "AGREE", "Agreement"),
            ("PLOVER", "ASSAULT", "Attack")} <= codes
    per_class = {r["class"]: int(r["events"]) for r in rows}
    assert all(per_class[c] > 0 for c in ("Meeting", "Attack", "Agreement"))


@pytest.mark.xfail(strict=True, reason="extraction misses: 36 meetings, 20 attacks, 23 agreements found; gold "
                   "has 40, 21, 26")
def test_events_by_cameo_code_counts_match_gold(embedded) -> None:
    per_class = {r["class"]: int(r["events"]) for r in embedded("events-by-cameo-code.rq")}
    gold = collections.Counter(e["type"].capitalize() for a in GOLD for e in a["events"])
    assert per_class == dict(gold)


# ---------------------------------------------------------------------------------------------
# non-events.rq
# ---------------------------------------------------------------------------------------------

def test_non_events_key_facts(embedded) -> None:
    rows = embedded("non-events.rq")

    def has(kind: str, words: str) -> bool:
        return any(r["aboutType"] == kind and words in (r["sentence"] or "") for r in rows)
    # b-001 planned: Sharaa due in Ankara; b-005 planned: Raisi due in Moscow; a-011 denied by the UAE;
    # a-009 planned: Erdoğan and Putin agreed to meet in person
    assert has("Meeting", "Sharaa would travel to Ankara"), rows
    assert has("Meeting", "Raisi would hold talks with Putin"), rows
    assert has("Attack", "United Arab Emirates denied"), rows
    assert has("Meeting", "to meet in person"), rows
    assert all(r["modality"] in {"Planned", "Denied", "Hypothetical", "Negated"} for r in rows)


@pytest.mark.xfail(strict=True, reason="extraction misses: gold events read as non-events (a-015: the Taiz and "
                   "prisoner-exchange understanding, and the Rimbo handshake 'as UN Secretary-General looks on')")
def test_non_events_contradict_no_gold_event(embedded) -> None:
    for r in embedded("non-events.rq"):
        s = r["sentence"] or ""
        assert "reached an understanding" not in s and "looks on" not in s, r


# ---------------------------------------------------------------------------------------------
# entities-to-relink.rq
# ---------------------------------------------------------------------------------------------

def test_entities_to_relink_key_facts(embedded) -> None:
    rows = embedded("entities-to-relink.rq")
    labels = {r["label"] for r in rows}
    # gold: no Wikidata item for these in the subset
    for name in ("Hossein Amir-Abdollahian", "Hassan Rouhani", "Boko Haram"):
        assert name in {n for a in GOLD for n, q in a["qid"].items() if q is None}
        assert name in labels, name
    assert all(r["needsRelink"] == "false" for r in rows)  # Wikidata (local) answered every look-up
    # no entity gold links to Wikidata is listed as NIL under its gold name
    linked = {n for a in GOLD for n, q in a["qid"].items() if q}
    assert not labels & linked & {"Nicolás Maduro", "Recep Tayyip Erdoğan", "Vladimir Putin", "Iran", "Venezuela"}


# ---------------------------------------------------------------------------------------------
# provenance-of-events.rq
# ---------------------------------------------------------------------------------------------

def test_provenance_of_events(embedded) -> None:
    rows = embedded("provenance-of-events.rq")
    pages = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in DEV_CORPUS.iterdir() if not p.name.endswith(".gold.json")}
    seen = set()
    for r in rows:
        name = Path(r["source"].removeprefix("file://")).name
        assert name in pages, r
        assert r["sha256"] == pages[name], r
        assert r["fetchedAt"] and r["extractedAt"] and r["extractor"] and r["conforms"] == "true", r
        seen.add(name.rsplit(".", 1)[0])
    # every page whose gold has an event shows up
    assert {a["page"] for a in GOLD if a["events"]} <= seen


# ---------------------------------------------------------------------------------------------
# the server path
# ---------------------------------------------------------------------------------------------

CASES = [(q, None) for q in sorted(p.name for p in QUERIES.glob("*.rq"))] + [
    ("events-of-person.rq", {"wd:Q58132": f"wd:{ERDOGAN}"}),
    ("meetings-between-states.rq", {"wd:Q717 wd:Q794": f"wd:{RUSSIA} wd:{TURKIYE}"}),
]


@pytest.mark.server
@pytest.mark.parametrize(("name", "subs"), CASES, ids=[c[0] + ("+param" if c[1] else "") for c in CASES])
def test_server_answers_the_same(name: str, subs: dict[str, str] | None, embedded, served) -> None:
    local = embedded(name, subs)
    assert local, f"{name} answers nothing on the dev-corpus graph"
    assert served(name, subs) == local
