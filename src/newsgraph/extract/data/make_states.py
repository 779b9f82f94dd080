"""Build ``states.json``, the gazetteer of sovereign states that the extractor ships.

Run at build time, never at run time::

    python -m newsgraph.extract.data.make_states ../shared/wikidata > src/newsgraph/extract/data/states.json

Sources, in order of trust:

1. ``entities.csv`` / ``wikidata-subset.nt`` of the shared Wikidata subset: every sovereign state
   (kind=state) with its QID, English label and aliases, and its capital (P36).
2. The ``countryinfo`` package (PyPI, restcountries data) for one demonym per state
   ("Venezuelan"), matched to Wikidata by name or alternative spelling.
3. ``CURATED`` below: the short names, demonym variants and plural forms that newswire English
   uses and neither source lists ("Saudi", "Emiratis", "US"). Keyed by QID, so it covers any
   state, not a corpus.

Plural demonyms ("Iranians") are derived by rule; names that are also common words or given
names ("Chad", "Jordan") are kept, and the extractor decides from context.
"""
from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

#: Wikidata's own current English names where its label lags (Q43's label is "Turkey").
NAME_OVERRIDES = {"Q43": "Türkiye", "Q30": "United States of America"}

#: Kind=state rows that are not current sovereign states in news English.
EXCLUDE = {"Ba'athist Syria", "Sahrawi Arab Democratic Republic", "Western Sahara", "Holy See"}

#: QID -> extra names, extra demonyms, extra capital/seat metonyms.
CURATED: dict[str, dict[str, list[str]]] = {
    "Q30": {"names": ["US", "U.S.", "USA", "U.S.A.", "America", "United States"],
            "demonyms": ["American", "Americans"], "seats": ["Washington", "White House"]},
    "Q145": {"names": ["UK", "U.K.", "Britain", "Great Britain"],
             "demonyms": ["British", "Briton", "Britons"], "seats": ["Downing Street", "Whitehall"]},
    "Q851": {"names": ["Saudi Arabia"], "demonyms": ["Saudi", "Saudis", "Saudi Arabian"]},
    "Q43": {"names": ["Turkey", "Türkiye", "Turkiye"], "demonyms": ["Turkish", "Turk", "Turks"]},
    "Q878": {"names": ["UAE", "U.A.E.", "Emirates"], "demonyms": ["Emirati", "Emiratis"]},
    "Q55": {"names": ["Holland"], "demonyms": ["Dutch"]},
    "Q142": {"demonyms": ["French"], "seats": ["Elysee", "Élysée", "Elysee Palace", "Élysée Palace"]},
    "Q183": {"demonyms": ["German", "Germans"]},
    "Q148": {"demonyms": ["Chinese"], "names": ["PRC"]},
    "Q159": {"demonyms": ["Russian", "Russians"], "seats": ["Kremlin"]},
    "Q212": {"seats": ["Kiev"]},
    "Q423": {"names": ["DPRK"], "demonyms": ["North Korean", "North Koreans"]},
    "Q884": {"names": ["ROK"], "demonyms": ["South Korean", "South Koreans"]},
    "Q219060": {"demonyms": ["Palestinian", "Palestinians"]},
    "Q1008": {"names": ["Côte d'Ivoire", "Cote d'Ivoire", "Ivory Coast"], "demonyms": ["Ivorian", "Ivorians"]},
    "Q974": {"names": ["DR Congo", "DRC"], "demonyms": ["Congolese"]},
    "Q928": {"demonyms": ["Filipino", "Filipinos", "Philippine"]},
    "Q36": {"demonyms": ["Polish", "Pole", "Poles"]},
    "Q29": {"demonyms": ["Spanish", "Spaniard", "Spaniards"]},
    "Q34": {"demonyms": ["Swedish", "Swede", "Swedes"]},
    "Q35": {"demonyms": ["Danish", "Dane", "Danes"]},
    "Q33": {"demonyms": ["Finnish", "Finn", "Finns"]},
    "Q27": {"demonyms": ["Irish"]},
    "Q39": {"demonyms": ["Swiss"]},
    "Q17": {"demonyms": ["Japanese"]},
    "Q836": {"names": ["Burma"], "demonyms": ["Burmese"]},
    "Q1045": {"demonyms": ["Somali", "Somalis"]},
    "Q414": {"demonyms": ["Argentine", "Argentinian", "Argentinians", "Argentines"]},
    "Q41": {"demonyms": ["Greek", "Greeks"]},
    "Q213": {"names": ["Czechia"], "demonyms": ["Czech", "Czechs"]},
    "Q214": {"demonyms": ["Slovak", "Slovaks"]},
    "Q215": {"demonyms": ["Slovenian", "Slovene", "Slovenians"]},
    "Q1032": {"demonyms": ["Nigerien", "Nigeriens"]},
    "Q822": {"demonyms": ["Lebanese"]},
    "Q796": {"demonyms": ["Iraqi", "Iraqis"]},
    "Q801": {"demonyms": ["Israeli", "Israelis"]},
    "Q794": {"demonyms": ["Iranian", "Iranians"], "names": ["Persia"]},
    "Q843": {"demonyms": ["Pakistani", "Pakistanis"]},
    "Q889": {"demonyms": ["Afghan", "Afghans"]},
    "Q805": {"demonyms": ["Yemeni", "Yemenis"]},
    "Q842": {"demonyms": ["Omani", "Omanis"]},
    "Q817": {"demonyms": ["Kuwaiti", "Kuwaitis"]},
    "Q846": {"demonyms": ["Qatari", "Qataris"]},
    "Q398": {"demonyms": ["Bahraini", "Bahrainis"]},
    "Q902": {"demonyms": ["Bangladeshi", "Bangladeshis"]},
    "Q668": {"demonyms": ["Indian", "Indians"]},
    "Q1028": {"demonyms": ["Moroccan", "Moroccans"]},
    "Q1049": {"demonyms": ["Sudanese"]},
    "Q258": {"demonyms": ["South African", "South Africans"]},
    "Q38": {"demonyms": ["Italian", "Italians"]},
    "Q96": {"demonyms": ["Mexican", "Mexicans"]},
    "Q155": {"demonyms": ["Brazilian", "Brazilians"]},
    "Q16": {"demonyms": ["Canadian", "Canadians"]},
    "Q408": {"demonyms": ["Australian", "Australians"]},
    "Q664": {"demonyms": ["New Zealander", "New Zealanders"]},
    "Q227": {"demonyms": ["Azerbaijani", "Azerbaijanis", "Azeri", "Azeris"]},
    "Q232": {"demonyms": ["Kazakh", "Kazakhs", "Kazakhstani"]},
    "Q863": {"demonyms": ["Tajik", "Tajiks"]},
    "Q813": {"demonyms": ["Kyrgyz"]},
    "Q874": {"demonyms": ["Turkmen"]},
    "Q265": {"demonyms": ["Uzbek", "Uzbeks"]},
    "Q115": {"demonyms": ["Ethiopian", "Ethiopians"]},
    "Q1036": {"demonyms": ["Ugandan", "Ugandans"]},
    "Q958": {"demonyms": ["South Sudanese"]},
    "Q1050": {"names": ["Swaziland"], "demonyms": ["Swazi", "Swazis"]},
    "Q574": {"names": ["Timor-Leste"], "demonyms": ["Timorese"]},
    "Q221": {"names": ["Macedonia"], "demonyms": ["Macedonian", "Macedonians"]},
    "Q1246": {"demonyms": ["Kosovar", "Kosovars"]},
    "Q237": {"names": ["Vatican"], "demonyms": []},
    "Q865": {"demonyms": ["Taiwanese"]},
}

#: Demonyms that are also ordinary words or ambiguous between states: never matched.
AMBIGUOUS_DEMONYMS = {"Dominican", "Dominicans", "Congolese", "Chinese American",
                      "Channel Islander", "Djibouti", "Kittian and Nevisian", "Guinean", "Guineans"}


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"^the ", "", text)
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _plural(demonym: str) -> list[str]:
    if re.search(r"(ese|ish|ch|ss|sh|x|s|i-Kiribati)$", demonym):
        return []
    return [demonym + "s"]


def _countryinfo_records() -> list[dict[str, Any]]:
    import countryinfo  # build-time only

    data_dir = Path(countryinfo.__file__).parent / "data"
    out = []
    for path in sorted(data_dir.glob("*.json")):
        rec = json.loads(path.read_text(encoding="utf-8"))
        if rec.get("name"):
            out.append(rec)
    return out


def build(wikidata_dir: Path) -> list[dict[str, Any]]:
    with open(wikidata_dir / "entities.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_qid = {r["qid"]: r for r in rows}
    capital: dict[str, str] = {}
    p36 = re.compile(r"<http://www\.wikidata\.org/entity/(Q\d+)> <http://www\.wikidata\.org/prop/direct/P36> "
                     r"<http://www\.wikidata\.org/entity/(Q\d+)>")
    with open(wikidata_dir / "wikidata-subset.nt", encoding="utf-8") as fh:
        for line in fh:
            m = p36.match(line)
            if m:
                capital[m.group(1)] = m.group(2)
    ci_index: dict[str, dict[str, Any]] = {}
    for rec in _countryinfo_records():
        for key in [rec["name"], *(rec.get("altSpellings") or [])]:
            ci_index.setdefault(_norm(key), rec)
    states = []
    for row in rows:
        if row["kind"] != "state" or row["label_en"] in EXCLUDE:
            continue
        qid, label = row["qid"], row["label_en"]
        aliases = [a for a in row["aliases_en"].split("|") if a]
        ci = next((ci_index[_norm(k)] for k in [label, *aliases] if _norm(k) in ci_index), None)
        extra = CURATED.get(qid, {})
        demonyms: list[str] = []
        if ci and ci.get("demonym"):
            demonyms += [d.strip() for d in re.split(r"[,/]", ci["demonym"]) if d.strip()]
        demonyms += extra.get("demonyms", [])
        demonyms += [p for d in list(demonyms) for p in _plural(d)]
        demonyms = [d for d in dict.fromkeys(demonyms) if d not in AMBIGUOUS_DEMONYMS and d != label]
        names = list(dict.fromkeys([label, *aliases, *extra.get("names", []),
                                    *([NAME_OVERRIDES[qid]] if qid in NAME_OVERRIDES else [])]))
        cap = None
        if qid in capital and capital[qid] in by_qid:
            crow = by_qid[capital[qid]]
            cap = {"qid": crow["qid"], "name": crow["label_en"],
                   "aliases": [a for a in crow["aliases_en"].split("|") if a]}
        states.append({
            "qid": qid,
            "name": NAME_OVERRIDES.get(qid, label),
            "names": names,
            "demonyms": demonyms,
            "capital": cap,
            "seats": extra.get("seats", []),
        })
    return states


def main(argv: list[str]) -> int:
    wikidata_dir = Path(argv[1] if len(argv) > 1 else "../shared/wikidata")
    states = build(wikidata_dir)
    missing = [s["name"] for s in states if not s["demonyms"]]
    if missing:
        print(f"no demonym for: {', '.join(missing)}", file=sys.stderr)
    json.dump({"source": "shared/wikidata entities.csv + countryinfo demonyms + curated table",
               "states": states}, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
