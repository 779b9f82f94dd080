"""Where candidates come from: Wikidata's SPARQL service and its MediaWiki API.

Both answer with ``Item`` records: what the disambiguation needs to know about a candidate
(label, aliases, description, instance-of, citizenship, country, positions held, which state has
it as capital, sitelinks when the endpoint has them).

- ``SparqlSource.lookup(literals)``: exact label/alias look-up, many literals per query
  (``VALUES ?lit {"Jordan"@en ...}`` against ``rdfs:label|skos:altLabel``). This is the look-up
  Wikidata's query service answers from its index; there is no full-text scan.
- ``ApiSource.search(name)`` (``wbsearchentities``, prefix/fuzzy) and ``ApiSource.get(qids)``
  (``wbgetentities``, at most 50 ids a call, with ``maxlag``).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import requests
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from ..errors import LinkingError
from ._http import Politeness, Retry, Throttle, parse_retry_after, requests_call, retrying, sparqlwrapper_call

ENTITY = "http://www.wikidata.org/entity/"
#: Label languages looked up: English, and "mul" (Wikidata's default label for names since 2024).
LANGS = ("en", "mul")
#: Classes whose instances can have a capital that makes the city a metonym of a state.
STATE_CLASSES = ("Q3624078", "Q6256")


@dataclass
class Item:
    """A Wikidata item as far as linking cares."""

    qid: str
    label: str = ""
    aliases: list[str] = field(default_factory=list)
    description: str = ""
    types: list[str] = field(default_factory=list)  # P31
    citizenship: list[str] = field(default_factory=list)  # P27
    country: list[str] = field(default_factory=list)  # P17
    positions: list[str] = field(default_factory=list)  # P39 (QIDs)
    position_labels: list[str] = field(default_factory=list)
    capital_of: list[str] = field(default_factory=list)  # states whose P36 is this item
    sitelinks: int | None = None
    has_coord: bool = False

    def names(self) -> list[str]:
        return [n for n in [self.label, *self.aliases] if n]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Item:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def _qid(uri: str) -> str | None:
    if uri.startswith(ENTITY):
        q = uri[len(ENTITY):]
        if q[:1] == "Q" and q[1:].isdigit():
            return q
    return None


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split("\t") if v]


def _literal(text: str, lang: str) -> str:
    return json.dumps(text, ensure_ascii=False) + "@" + lang


LOOKUP_QUERY = """\
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wikibase: <http://wikiba.se/ontology#>
SELECT ?lit ?item (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?desc)
  (GROUP_CONCAT(DISTINCT ?a; separator="\\t") AS ?aliases)
  (GROUP_CONCAT(DISTINCT STR(?t); separator="\\t") AS ?types)
  (GROUP_CONCAT(DISTINCT STR(?c); separator="\\t") AS ?cit)
  (GROUP_CONCAT(DISTINCT STR(?k); separator="\\t") AS ?country)
  (GROUP_CONCAT(DISTINCT STR(?p); separator="\\t") AS ?pos)
  (GROUP_CONCAT(DISTINCT ?pl; separator="\\t") AS ?posl)
  (GROUP_CONCAT(DISTINCT STR(?s); separator="\\t") AS ?capof)
  (SAMPLE(?sl) AS ?sitelinks) (SAMPLE(?co) AS ?coord)
WHERE {
  VALUES ?lit { %s }
  ?item rdfs:label|skos:altLabel ?lit .
  FILTER(STRSTARTS(STR(?item), "http://www.wikidata.org/entity/Q"))
  OPTIONAL { ?item rdfs:label ?l . FILTER(LANG(?l) = "en") }
  OPTIONAL { ?item schema:description ?d . FILTER(LANG(?d) = "en") }
  OPTIONAL { ?item skos:altLabel ?a . FILTER(LANG(?a) = "en") }
  OPTIONAL { ?item wdt:P31 ?t }
  OPTIONAL { ?item wdt:P27 ?c }
  OPTIONAL { ?item wdt:P17 ?k }
  OPTIONAL { ?item wdt:P39 ?p . OPTIONAL { ?p rdfs:label ?pl . FILTER(LANG(?pl) = "en") } }
  OPTIONAL { ?s wdt:P36 ?item ; wdt:P31 ?sc . VALUES ?sc { %s } }
  OPTIONAL { ?item wikibase:sitelinks ?sl }
  OPTIONAL { ?item wdt:P625 ?co }
}
GROUP BY ?lit ?item
"""


class SparqlSource:
    """Exact label/alias look-ups against a SPARQL endpoint (Wikidata's, or a mirror of it)."""

    def __init__(self, endpoint: str, *, user_agent: str, polite: Politeness, throttle: Throttle,
                 on_request: Callable[[], None] | None = None) -> None:
        self.endpoint = endpoint
        self.user_agent = user_agent
        self.polite = polite
        self.throttle = throttle
        self.on_request = on_request

    def query(self, literals: Iterable[str]) -> str:
        values = " ".join(_literal(t, lang) for t in literals for lang in LANGS)
        classes = " ".join(f"wd:{c}" for c in STATE_CLASSES)
        return LOOKUP_QUERY % (values, classes)

    def lookup(self, literals: list[str]) -> dict[str, list[Item]]:
        """Items whose English (or "mul") label or alias is exactly each literal."""
        out: dict[str, list[Item]] = {t: [] for t in literals}
        if not literals:
            return out
        query = self.query(literals)

        def call() -> dict[str, Any]:
            sw = SPARQLWrapper(self.endpoint, agent=self.user_agent)
            sw.setMethod(POST)
            sw.setReturnFormat(JSON)
            sw.setTimeout(int(max(1, round(self.polite.timeout))))
            sw.setQuery(query)
            result = sparqlwrapper_call(sw.queryAndConvert, what=f"SPARQL {self.endpoint}")
            if not isinstance(result, dict) or "results" not in result:
                raise Retry("answer is not SPARQL JSON results")
            return result

        result = retrying(call, what=f"SPARQL {self.endpoint}", polite=self.polite,
                          throttle=self.throttle, on_request=self.on_request)
        for row in result["results"]["bindings"]:
            lit = row.get("lit", {}).get("value")
            qid = _qid(row.get("item", {}).get("value", ""))
            if lit is None or qid is None or lit not in out:
                continue
            if any(i.qid == qid for i in out[lit]):
                continue

            def v(name: str, row: dict[str, Any] = row) -> str:
                return str(row.get(name, {}).get("value", ""))

            sl = v("sitelinks")
            out[lit].append(Item(
                qid=qid, label=v("label"), description=v("desc"), aliases=_split(v("aliases")),
                types=[q for q in map(_qid, _split(v("types"))) if q],
                citizenship=[q for q in map(_qid, _split(v("cit"))) if q],
                country=[q for q in map(_qid, _split(v("country"))) if q],
                positions=[q for q in map(_qid, _split(v("pos"))) if q],
                position_labels=_split(v("posl")),
                capital_of=[q for q in map(_qid, _split(v("capof"))) if q],
                sitelinks=int(sl) if sl.isdigit() else None,
                has_coord=bool(v("coord")),
            ))
        return out


class ApiSource:
    """Wikidata's MediaWiki API: ``wbsearchentities`` and ``wbgetentities``."""

    MAX_IDS = 50

    def __init__(self, endpoint: str, *, user_agent: str, polite: Politeness, throttle: Throttle,
                 on_request: Callable[[], None] | None = None) -> None:
        self.endpoint = endpoint
        self.polite = polite
        self.throttle = throttle
        self.on_request = on_request
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.session.headers["Accept"] = "application/json"

    def close(self) -> None:
        self.session.close()

    def _get(self, params: dict[str, str]) -> dict[str, Any]:
        params = {**params, "format": "json", "maxlag": str(self.polite.maxlag)}
        what = f"{params['action']} {self.endpoint}"

        def call() -> dict[str, Any]:
            resp = requests_call(lambda: self.session.get(self.endpoint, params=params,
                                                          timeout=self.polite.timeout), what=what)
            try:
                data = resp.json()
            except ValueError as exc:
                raise Retry("unreadable JSON answer") from exc
            err = data.get("error") if isinstance(data, dict) else None
            if err:
                if err.get("code") == "maxlag":  # the servers are lagging: wait as told
                    delay = parse_retry_after(resp.headers.get("Retry-After"))
                    raise Retry("maxlag", delay=5.0 if delay is None else delay)
                raise LinkingError(f"{what}: {err.get('code')}: {err.get('info', '')}"[:300])
            if not isinstance(data, dict):
                raise Retry("answer is not a JSON object")
            return data

        return retrying(call, what=what, polite=self.polite, throttle=self.throttle,
                        on_request=self.on_request)

    def search(self, name: str, *, limit: int = 10) -> list[str]:
        """QIDs ``wbsearchentities`` offers for a name (English labels and aliases)."""
        data = self._get({"action": "wbsearchentities", "search": name, "language": "en",
                          "uselang": "en", "type": "item", "limit": str(limit)})
        return [str(h["id"]) for h in data.get("search", []) if isinstance(h, dict) and "id" in h]

    def get(self, qids: list[str]) -> dict[str, Item]:
        """Items for QIDs, at most 50 per request."""
        out: dict[str, Item] = {}
        qids = list(dict.fromkeys(qids))
        for i in range(0, len(qids), self.MAX_IDS):
            chunk = qids[i:i + self.MAX_IDS]
            data = self._get({"action": "wbgetentities", "ids": "|".join(chunk),
                              "props": "labels|aliases|descriptions|claims|sitelinks",
                              "languages": "en|mul"})
            for qid, ent in (data.get("entities") or {}).items():
                if isinstance(ent, dict) and "missing" not in ent:
                    out[qid] = item_from_entity(qid, ent)
        return out


def _claim_ids(ent: dict[str, Any], prop: str) -> list[str]:
    ids = []
    for claim in (ent.get("claims") or {}).get(prop, []):
        try:
            ids.append(str(claim["mainsnak"]["datavalue"]["value"]["id"]))
        except (KeyError, TypeError):
            continue
    return ids


def item_from_entity(qid: str, ent: dict[str, Any]) -> Item:
    """An Item from a ``wbgetentities`` entity (Wikidata's JSON)."""
    labels = ent.get("labels") or {}
    label = (labels.get("en") or labels.get("mul") or {}).get("value", "")
    aliases = [a.get("value", "") for lang in ("en", "mul") for a in (ent.get("aliases") or {}).get(lang, [])]
    desc = ((ent.get("descriptions") or {}).get("en") or {}).get("value", "")
    sitelinks = ent.get("sitelinks")
    return Item(qid=qid, label=label, aliases=[a for a in aliases if a], description=desc,
                types=_claim_ids(ent, "P31"), citizenship=_claim_ids(ent, "P27"),
                country=_claim_ids(ent, "P17"), positions=_claim_ids(ent, "P39"),
                sitelinks=len(sitelinks) if isinstance(sitelinks, dict) else None,
                has_coord=bool((ent.get("claims") or {}).get("P625")))
