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

DIRECT = QUERIES.parent / "tests" / "cookbook" / "direct"  # the rankings as they were before the summary graph


def _normalised(rows: list[dict[str, Any]]) -> list[tuple[tuple[str, Any], ...]]:
    """Rows as sorted tuples; "a; b" lists (GROUP_CONCAT, in no set order) as sets."""
    def cell(v: Any) -> Any:
        return frozenset(v.split("; ")) if isinstance(v, str) and "; " in v else v
    return sorted((tuple((k, cell(v)) for k, v in r.items()) for r in rows), key=repr)



def _cli(dev_data_dir: Path, sparql: str) -> dict[str, Any]:
    from click.testing import CliRunner

    from newsgraph.cli import cli

    r = CliRunner().invoke(cli, ["query", sparql, "--data-dir", str(dev_data_dir), "--format", "json"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return dict(json.loads(r.stdout))


def _plain(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [{v: (b[v]["value"] if v in b else None) for v in doc["head"]["vars"]} for b in doc["results"]["bindings"]]


def _all_values(dev_data_dir: Path, pattern: str) -> str:
    """Every value of ?d in the store, as a VALUES body of typed literals (a researcher listing dates)."""
    doc = _cli(dev_data_dir, f"SELECT DISTINCT ?d WHERE {{ {pattern} }}")
    terms = [f'"{b["d"]["value"]}"' + (f'^^<{b["d"]["datatype"]}>' if "datatype" in b["d"] else "")
             for b in doc["results"]["bindings"]]
    assert terms
    return " ".join(terms)


@pytest.fixture(scope="module")
def all_months(dev_data_dir: Path) -> str:
    """Every month (and year) of the summary graph's month index: the keyed listings asked for all of them."""
    return _all_values(dev_data_dir, "?e ng:eventMonth ?d")


@pytest.fixture(scope="module")
def all_published(dev_data_dir: Path) -> dict[str, str]:
    """non-events.rq asked for every publication date of the store."""
    return {'"2023-12-06"^^xsd:date': _all_values(dev_data_dir, "?a schema:datePublished ?d")}


def gold_events(kind: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(a, e) for a in GOLD for e in a["events"] if e["type"] == kind]


def month(date: str | None) -> str | None:
    return date[:7] if date and len(date) >= 7 else None


# ---------------------------------------------------------------------------------------------
# meetings-between-states.rq
# ---------------------------------------------------------------------------------------------

def test_meetings_between_venezuela_and_iran(embedded, all_months) -> None:
    assert embedded("meetings-between-states.rq")  # as shipped: February 2023
    rows = embedded("meetings-between-states.rq", {'"2023-02"': all_months})
    # seed-000: Maduro received Amir-Abdollahian in Caracas on 2023-02-03
    assert any(r["date"] == "2023-02-03" and {r["officialA"], r["officialB"]} >= {"Hossein Amir-Abdollahian"}
               and "Maduro" in (r["officialA"] or "") + (r["officialB"] or "") and r["place"] == "Caracas"
               for r in rows), rows
    # gold has no other Venezuela-Iran meeting
    assert {r["date"] for r in rows} == {"2023-02-03"}, rows


def test_meetings_between_russia_and_turkiye(embedded, all_months) -> None:
    rows = embedded("meetings-between-states.rq", {"wd:Q717 wd:Q794": f"wd:{RUSSIA} wd:{TURKIYE}", '"2023-02"': all_months})
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

def test_agreements_of_iran_key_facts(embedded, all_months) -> None:
    rows = embedded("agreements-of-state.rq", {'"2022-06"': all_months})
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


def test_agreements_of_iran_matches_gold(embedded, all_months) -> None:
    gold_topics = {t.lower() for _, e in gold_events("agreement") if "Iran" in e["participants"]
                   for t in e.get("topics") or []}
    rows = embedded("agreements-of-state.rq", {'"2022-06"': all_months})
    for r in rows:
        assert set(filter(None, (r["topics"] or "").split("; "))) <= gold_topics, r
    russia = [r for r in rows if r["partners"] == "Russia"]
    assert russia and {"Vladimir Putin", "Masoud Pezeshkian"} <= set((russia[0]["signatories"] or "").split("; "))


# ---------------------------------------------------------------------------------------------
# events-of-person.rq
# ---------------------------------------------------------------------------------------------

def _gold_events_of(name: str) -> set[tuple[str, str]]:
    """(type, date) of the gold events of a person that have a date (the query lists them by month)."""
    return {(e["type"].capitalize(), e["date"]) for a in GOLD for e in a["events"] if e.get("date")
            if name in (e.get("participants") or []) + (e.get("signatories") or [])
            + (e.get("perpetrators") or [])}


def test_events_of_erdogan(embedded, all_months) -> None:
    rows = embedded("events-of-person.rq", {"wd:Q58132": f"wd:{ERDOGAN}", '"2023-02"': all_months})
    got = {(r["type"], r["date"]) for r in rows if r["date"]}  # gold's undated events have no date to match
    gold = _gold_events_of("Recep Tayyip Erdoğan")
    assert ("Meeting", "2025-02-04") in gold and ("Agreement", "2019-10-22") in gold
    assert gold <= got, gold - got
    assert got <= gold, got - gold  # nothing gold does not list
    assert all(r["sentence"] and r["start"] and r["end"] for r in rows)
    assert any("Putin and Erdogan met on Monday" in r["sentence"] for r in rows)


def test_events_of_maduro(embedded, all_months) -> None:
    rows = embedded("events-of-person.rq", {'"2023-02"': all_months})  # the default person is Maduro
    got = {(r["type"], r["date"], r["role"]) for r in rows if r["date"]}
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

def test_non_events_key_facts(embedded, all_published) -> None:
    rows = embedded("non-events.rq", all_published)

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
def test_non_events_contradict_no_gold_event(embedded, all_published) -> None:
    for r in embedded("non-events.rq", all_published):
        s = r["sentence"] or ""
        assert "reached an understanding" not in s and "looks on" not in s, r


# ---------------------------------------------------------------------------------------------
# entities-to-relink.rq
# ---------------------------------------------------------------------------------------------

ALL_PAGES = {"ORDER BY DESC(?m) LIMIT 100 }": "ORDER BY DESC(?m) LIMIT 100000 }",
             "\nLIMIT 100 OFFSET 0": "\nLIMIT 100000 OFFSET 0"}  # entities-to-relink.rq in one page


def test_entities_to_relink_key_facts(embedded) -> None:
    rows = embedded("entities-to-relink.rq", ALL_PAGES)
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

def test_non_events_by_date_are_the_listing_of_the_dated_articles(embedded, all_published, dev_data_dir) -> None:
    """Narrowed to every publication date, the query lists what the whole listing (the query before
    it was narrowed, tests/cookbook/direct/) lists for the articles that have a date."""
    narrowed = embedded("non-events.rq", all_published)
    dated = {r["h"] for r in _plain(_cli(dev_data_dir, "SELECT ?h WHERE { ?a schema:datePublished ?d ; schema:headline ?h }"))}
    direct = [r for r in _plain(_cli(dev_data_dir, (DIRECT / "non-events.rq").read_text(encoding="utf-8")))
              if r["headline"] in dated]
    keep = ("statement", "aboutType", "modality", "why", "participants", "sentence", "headline")
    assert direct and _normalised([{k: r[k] for k in keep} for r in narrowed]) == _normalised(
        [{k: r[k] for k in keep} for r in direct])


def test_provenance_of_events(embedded, dev_data_dir) -> None:
    dates = _all_values(dev_data_dir, "?e a ng:Event ; ng:date ?d")
    rows = embedded("provenance-of-events.rq", {'"2023-02-03"^^xsd:date': dates})
    # narrowed to every event date: what the whole listing (before it was narrowed) gives for dated events
    direct = _plain(_cli(dev_data_dir, (DIRECT / "provenance-of-events.rq").read_text(encoding="utf-8")))
    dated = {r["e"] for r in _plain(_cli(dev_data_dir, "SELECT DISTINCT ?e WHERE { ?e a ng:Event ; ng:date ?d }"))}
    keep = ("event", "headline", "source", "sha256", "fetchedAt", "extractedAt", "extractor", "conforms", "warnings")
    assert _normalised([{k: r[k] for k in keep} for r in rows]) == _normalised(
        [{k: r[k] for k in keep} for r in direct if r["event"] in dated])
    pages = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in DEV_CORPUS.iterdir() if not p.name.endswith(".gold.json")}
    seen = set()
    for r in rows:
        name = Path(r["source"].removeprefix("file://")).name
        assert name in pages, r
        assert r["sha256"] == pages[name], r
        assert r["fetchedAt"] and r["extractedAt"] and r["extractor"] and r["conforms"] == "true", r
        seen.add(name.rsplit(".", 1)[0])
    # every page whose gold has a dated event shows up
    assert {a["page"] for a in GOLD if any(e.get("date") for e in a["events"])} <= seen


# ---------------------------------------------------------------------------------------------
# the server path
# ---------------------------------------------------------------------------------------------

CASES = [(q, None) for q in sorted(p.name for p in QUERIES.glob("*.rq"))] + [
    ("events-of-person.rq", {"wd:Q58132": f"wd:{ERDOGAN}", '"2023-02"': '"2025-02" "2019-10"'}),
    ("meetings-between-states.rq", {"wd:Q717 wd:Q794": f"wd:{RUSSIA} wd:{TURKIYE}", '"2023-02"': '"2018-09"'}),
]


@pytest.mark.server
@pytest.mark.parametrize(("name", "subs"), CASES, ids=[c[0] + ("+param" if c[1] else "") for c in CASES])
def test_server_answers_the_same(name: str, subs: dict[str, str] | None, embedded, served) -> None:
    local = embedded(name, subs)
    assert local, f"{name} answers nothing on the dev-corpus graph"
    assert served(name, subs) == local


# ---------------------------------------------------------------------------------------------
# the summary graph: the rankings that read it answer as the direct queries over every event
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "param", "key"), [
    ("events-of-person.rq", '"2023-02"', "event"), ("agreements-of-state.rq", '"2022-06"', "agreement"),
    ("meetings-between-states.rq", '"2023-02"', "meeting")])
def test_listings_by_month_are_the_whole_listing(name: str, param: str, key: str, embedded, all_months,
                                                 dev_data_dir) -> None:
    """Asked for every month of the index ("undated" included, tests/rdf/test_summary.py), a listing
    narrowed by month gives what the whole listing (the query before it was narrowed,
    tests/cookbook/direct/) gives."""
    narrowed = embedded(name, {param: all_months})
    direct = _plain(_cli(dev_data_dir, (DIRECT / name).read_text(encoding="utf-8")))
    assert direct and _normalised(narrowed) == _normalised(direct)



def test_entities_to_relink_pages_are_the_whole_list_cut(embedded, dev_data_dir) -> None:
    whole = embedded("entities-to-relink.rq", ALL_PAGES)
    page2 = embedded("entities-to-relink.rq", {"ORDER BY DESC(?m) LIMIT 100 }": "ORDER BY DESC(?m) LIMIT 20 }",
                                               "\nLIMIT 100 OFFSET 0": "\nLIMIT 10 OFFSET 10"})
    assert len(whole) > 20 and [r["entity"] for r in page2] == [r["entity"] for r in whole[10:20]]


SUMMARY_RANKINGS = ["attacks-per-country.rq", "casualties-by-month.rq", "claimed-vs-blamed.rq",
                    "entities-to-relink.rq", "events-per-month.rq", "who-met-whom-most-often.rq"]


@pytest.mark.parametrize("name", SUMMARY_RANKINGS)
def test_summary_rankings_answer_as_the_direct_queries(name: str, embedded, dev_data_dir) -> None:
    direct_text = (DIRECT / name).read_text(encoding="utf-8")
    if name == "who-met-whom-most-often.rq":
        # the whole ranking: a key's name is a label of one of the people linked to it (the direct
        # query takes it from the people of that pair's meetings only), and ties at the 20th row are
        # cut by name; so compare every pair and count, and the counts of the top 20
        whole = embedded(name, {"ORDER BY DESC(?m) LIMIT 20 }": "ORDER BY DESC(?m) LIMIT 100000 }",
                                "\nLIMIT 20\n": "\nLIMIT 100000\n"})
        direct = _plain(_cli(dev_data_dir, direct_text.replace("\nLIMIT 20", "\nLIMIT 100000")))
        assert {(r["personA"], r["personB"], r["meetings"]) for r in whole} == {
            (r["personA"], r["personB"], r["meetings"]) for r in direct}
        assert [r["meetings"] for r in embedded(name)] == [r["meetings"] for r in direct[:20]]
        return
    direct = _plain(_cli(dev_data_dir, direct_text))
    summary = embedded(name, ALL_PAGES if name == "entities-to-relink.rq" else None)
    assert summary and _normalised(summary) == _normalised(direct)
