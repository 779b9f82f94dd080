"""Linking entities to Wikidata items (issue 4).

    from newsgraph.link import make_linker
    linker = make_linker(settings)     # endpoints, cache, TTL, rate, User-Agent from Settings
    articles = linker(articles)        # sets entity.link on every entity
    linker.stats                       # http_requests, cache_hits, cache_misses, linked, nil, ...
    linker.relink(articles)            # decide again what was left when Wikidata was unreachable
    linker.close()

See ``_linker`` for the flow, ``_decide`` for the scoring, ``_http`` for the client's manners.
"""
from __future__ import annotations

from ._cache import LookupCache
from ._decide import THRESHOLD, item_kind
from ._http import Politeness
from ._linker import NAMES_PER_QUERY, Linker, make_linker
from ._sources import ApiSource, Item, SparqlSource

__all__ = [
           "NAMES_PER_QUERY",
           "THRESHOLD",
           "ApiSource",
           "Item",
           "Linker",
           "LookupCache",
           "Politeness",
           "SparqlSource",
           "item_kind",
           "make_linker",
]
