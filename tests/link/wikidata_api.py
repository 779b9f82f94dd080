"""A small local stand-in for Wikidata's MediaWiki API, answering from the shared subset.

    server = WikidataAPI.start(subset_path, sparql_upstream="http://127.0.0.1:PORT/query")
    server.api_url       # http://127.0.0.1:N/w/api.php   wbsearchentities, wbgetentities
    server.sparql_url    # http://127.0.0.1:N/sparql      forwarded to the real oxigraph server
    server.faults.extend(["429", "503", "hang", "drop", "maxlag", "500"])   # the next requests fail so
    server.log           # every request: path, params, User-Agent
    server.stop()

It is real HTTP on loopback, so the linker's real client code (requests, SPARQLWrapper/urllib)
runs; the fault queue lets a test play a busy, broken or silent Wikidata. Answers follow
Wikidata's JSON shapes (only the fields the linker reads).
"""
from __future__ import annotations

import json
import socket
import threading
import time
import unicodedata
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

ENTITY = "http://www.wikidata.org/entity/"
PROP = "http://www.wikidata.org/prop/direct/"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
DESC = "http://schema.org/description"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


@dataclass
class Entity:
    qid: str
    label: str = ""
    aliases: list[str] = field(default_factory=list)
    description: str = ""
    claims: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "item", "id": self.qid,
            "labels": {"en": {"language": "en", "value": self.label}} if self.label else {},
            "aliases": {"en": [{"language": "en", "value": a} for a in self.aliases]} if self.aliases else {},
            "descriptions": {"en": {"language": "en", "value": self.description}} if self.description else {},
            "claims": {p: [{"mainsnak": {"snaktype": "value", "property": p, "datavalue": {
                "type": "wikibase-entityid", "value": {"entity-type": "item", "id": v}}}, "rank": "normal"}
                for v in vs] for p, vs in self.claims.items()},
            "sitelinks": {},
        }


def load_subset(path: Path) -> dict[str, Entity]:
    items: dict[str, Entity] = {}
    for q in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
        s, p, o = q.subject, q.predicate.value, q.object
        if not isinstance(s, ox.NamedNode) or not s.value.startswith(ENTITY):
            continue
        ent = items.setdefault(s.value[len(ENTITY):], Entity(s.value[len(ENTITY):]))
        if isinstance(o, ox.Literal) and o.language == "en":
            if p == LABEL:
                ent.label = o.value
            elif p == ALT:
                ent.aliases.append(o.value)
            elif p == DESC:
                ent.description = o.value
        elif isinstance(o, ox.NamedNode) and p.startswith(PROP) and o.value.startswith(ENTITY):
            ent.claims.setdefault(p[len(PROP):], []).append(o.value[len(ENTITY):])
    return items


class WikidataAPI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, items: dict[str, Entity], sparql_upstream: str | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.items = items
        self.sparql_upstream = sparql_upstream
        self.faults: deque[str] = deque()
        self.log: list[dict[str, Any]] = []
        self.hang_seconds = 2.5
        self._thread: threading.Thread | None = None

    @classmethod
    def start(cls, subset: Path, sparql_upstream: str | None = None) -> WikidataAPI:
        server = cls(load_subset(subset), sparql_upstream)
        server._thread = threading.Thread(target=server.serve_forever, name="wikidata-api", daemon=True)
        server._thread.start()
        return server

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base + "/w/api.php"

    @property
    def sparql_url(self) -> str:
        return self.base + "/sparql"

    def reset(self) -> None:
        self.faults.clear()
        self.log.clear()

    # ---- the API ----------------------------------------------------------------------------
    def search(self, text: str, limit: int) -> list[dict[str, Any]]:
        """Like wbsearchentities: labels and aliases that start with the text, or have a word that does."""
        q = _fold(text.strip())
        hits = []
        for ent in self.items.values():
            for kind, name in [("label", ent.label)] + [("alias", a) for a in ent.aliases]:
                f = _fold(name)
                words = f.replace("-", " ").split()
                if f.startswith(q) or any(" ".join(words[i:]).startswith(q) for i in range(len(words))):
                    hits.append((f != q, len(f), ent, kind, name))
                    break
        hits.sort(key=lambda h: (h[0], h[1], int(h[2].qid[1:])))
        return [{"id": e.qid, "label": e.label, "description": e.description,
                 "match": {"type": kind, "language": "en", "text": name}}
                for _, _, e, kind, name in hits[:limit]]


class _Handler(BaseHTTPRequestHandler):
    server: WikidataAPI
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), headers=headers)

    def _fault(self) -> bool:
        """Play the next queued fault, if any; True when the request was answered by it."""
        try:
            fault = self.server.faults.popleft()
        except IndexError:
            return False
        if fault.startswith("429"):
            retry = fault.partition(":")[2] or "1"
            self._json({"error": "too many requests"}, 429, {"Retry-After": retry})
        elif fault in ("500", "502", "503", "504"):
            self._json({"error": "server error"}, int(fault), {"Retry-After": "0"} if fault == "503" else None)
        elif fault == "hang":
            time.sleep(self.server.hang_seconds)
            self.close_connection = True
        elif fault == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        elif fault == "maxlag":
            self._json({"error": {"code": "maxlag", "info": "Waiting for a database server: 6 seconds lagged."}},
                       200, {"Retry-After": "0", "X-Database-Lag": "6"})
        elif fault == "400":
            self._send(400, b"Parse error: unexpected token", "text/plain")
        elif fault == "garbage":
            self._send(200, b"<html>not json</html>", "text/html")
        return True

    def _record(self, params: dict[str, str]) -> None:
        self.server.log.append({"path": urlsplit(self.path).path, "method": self.command, "params": params,
                                "user_agent": self.headers.get("User-Agent", "")})

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self._record(params)
        if self._fault():
            return
        if parts.path == "/sparql":
            return self._proxy(self.path.partition("?")[2].encode(), "application/x-www-form-urlencoded", "GET")
        if parts.path != "/w/api.php":
            return self._json({"error": "not found"}, 404)
        action = params.get("action")
        if action == "wbsearchentities":
            limit = min(int(params.get("limit", "7")), 50)
            return self._json({"searchinfo": {"search": params.get("search", "")},
                               "search": self.server.search(params.get("search", ""), limit), "success": 1})
        if action == "wbgetentities":
            ids = [i for i in params.get("ids", "").split("|") if i]
            if len(ids) > 50:
                return self._json({"error": {"code": "toomanyvalues", "info": "Too many values (limit 50)"}})
            ents = {i: (self.server.items[i].to_json() if i in self.server.items else {"id": i, "missing": ""})
                    for i in ids}
            return self._json({"entities": ents, "success": 1})
        return self._json({"error": {"code": "badvalue", "info": f"unknown action {action!r}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self._record({"body": body.decode("utf-8", "replace")})
        if self._fault():
            return
        if urlsplit(self.path).path != "/sparql":
            return self._json({"error": "not found"}, 404)
        self._proxy(body, self.headers.get("Content-Type", "application/x-www-form-urlencoded"), "POST")

    def _proxy(self, body: bytes, ctype: str, method: str) -> None:
        up = self.server.sparql_upstream
        if not up:
            return self._json({"error": "no SPARQL upstream"}, 502)
        url = up if method == "POST" else f"{up}?{body.decode()}"
        req = urllib.request.Request(url, data=body if method == "POST" else None, method=method,
                                     headers={"Content-Type": ctype,
                                              "Accept": self.headers.get("Accept", "application/sparql-results+json")})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                self._send(resp.status, resp.read(), resp.headers.get("Content-Type", "application/json"))
        except urllib.error.HTTPError as exc:
            self._send(exc.code, exc.read(), "text/plain")
