"""Build ``names.json``, the real names the page generator writes into synthetic articles.

Run at build time, never by the benchmark itself (which must not need ``../shared``)::

    python benchmarks/data/make_names.py ../shared/wikidata/entities.csv > benchmarks/data/names.json

Sources: the shared Wikidata subset (``entities.csv``: label, aliases, description, country) and,
when present, the extractor's state gazetteer (``src/newsgraph/extract/data/states.json``) for
demonyms and capitals. Only names a newswire would use in the three event stories are kept:
current states with a capital, people with an office ("President of Egypt since 2014"),
cities and sites, and organizations split into the roles they play in a story.
"""
from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATES_JSON = HERE.parents[1] / "src" / "newsgraph" / "extract" / "data" / "states.json"

#: Office at the start of a person's description -> the title a caption uses.
_OFFICE = re.compile(r"^(President|Prime Minister|King|Queen|Emir|Sultan|Chancellor|Premier|Supreme Leader|"
                     r"Head of Government|Chairman|Crown Prince and Prime Minister|German Foreign Minister|"
                     r"Palestinian Prime Minister|Vice President and Prime Minister)\b")
_MILITANT = re.compile(r"militant|jihadist|armed group", re.IGNORECASE)
_AGENCY = re.compile(r"news agency", re.IGNORECASE)
_CITY = re.compile(r"^(capital|city|port city|largest city|town|holy city|Shia holy city|resort city|"
                   r"city and emirate|city on|southern suburb|city claimed)", re.IGNORECASE)


def _aliases(row: dict[str, str]) -> list[str]:
    return [a for a in row["aliases_en"].split("|") if a]


def build(entities_csv: Path) -> dict[str, object]:
    rows = list(csv.DictReader(entities_csv.open(encoding="utf-8")))
    gaz = {}
    if STATES_JSON.is_file():
        gaz = {s["qid"]: s for s in json.loads(STATES_JSON.read_text(encoding="utf-8"))["states"]}
    states, people, places, militants, bodies, agencies = [], [], [], [], [], []
    for r in rows:
        kind, desc = r["kind"], r["description_en"]
        if kind == "state":
            g = gaz.get(r["qid"])
            if not g or not g.get("capital") or not g.get("demonyms"):
                continue
            short = next((n for n in g["names"] if n.isascii()), g["name"])  # "Turkey", "United States"
            states.append({"qid": r["qid"], "name": g["name"], "short": short, "demonym": g["demonyms"][0],
                           "capital": g["capital"]["name"].split(",")[0]})
        elif kind == "person":
            m = _OFFICE.match(desc)
            if not m or "NOT" in desc or not r["country"]:
                continue
            title = m.group(1).replace("German ", "").replace("Palestinian ", "")
            title = {"Crown Prince and Prime Minister": "Crown Prince",
                     "Vice President and Prime Minister": "Prime Minister", "Head of Government": "Prime Minister"
                     }.get(title, title)
            surname = min((a for a in _aliases(r) if " " not in a and len(a) > 3), key=len, default=None)
            last = r["label_en"].split()[-1]
            if surname is None and len(r["label_en"].split()) > 1 and not re.fullmatch(r"[IVX]+", last):
                surname = last  # second references use the surname: "Ghrieb", "Salam"
            people.append({"qid": r["qid"], "name": r["label_en"], "short": surname or r["label_en"],
                           "title": title, "state": r["country"]})
        elif kind == "place":
            if _CITY.match(desc) and r["country"]:
                places.append({"qid": r["qid"], "name": r["label_en"], "state": r["country"]})
        elif kind == "organization":
            label = r["label_en"]
            acronyms = [a for a in _aliases(r) if a.isupper() and 3 <= len(a) <= 5]
            short = label if " " not in label else (acronyms or [label])[0]  # "Hamas", "ISIS", "NATO"
            if _AGENCY.search(desc):
                short = min([label, *_aliases(r)], key=len)  # "AFP", "AP", "Reuters"
            entry = {"qid": r["qid"], "name": label, "short": short}
            if _AGENCY.search(desc):
                agencies.append(entry)
            elif _MILITANT.search(desc):
                militants.append(entry)
            elif not r["country"] and not re.search(r"party|movement", desc, re.IGNORECASE):
                bodies.append(entry)  # intergovernmental bodies: summits, statements
    state_ids = {s["qid"] for s in states}
    people = [p for p in people if p["state"] in state_ids]
    places = [p for p in places if p["state"] in state_ids]
    return {"source": "shared/wikidata/entities.csv (+ extractor states.json demonyms); see make_names.py",
            "states": states, "people": people, "places": places, "militants": militants,
            "bodies": bodies, "agencies": agencies}


if __name__ == "__main__":
    src = Path(sys.argv[1] if len(sys.argv) > 1 else HERE.parents[2] / "shared" / "wikidata" / "entities.csv")
    json.dump(build(src), sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")
