"""The linking stage: ``make_linker(settings)`` returns a ``Linker``; ``linker(articles)`` links.

    requires = ["article.entities"]          (kind, name, mentions, roles, role_of)
    assigns  = ["entity.link"]               (Link: QID or NIL, score, method, candidates, needs_relink)

How a batch of articles is linked:

1. every entity's surface forms (plus, for a person known only by a surname, the fuller form of
   another person of the article with that surname) become look-up literals (``_names.variants``);
2. literals already in the cache are answered from it; the rest go to the SPARQL endpoint, up to
   ``NAMES_PER_QUERY`` distinct names (with their variants) in one query; when an API endpoint is set,
   forms that SPARQL found nothing for are also tried with ``wbsearchentities`` (+ ``wbgetentities``
   for the facts, 50 ids a call). Every answer, including "nothing", is cached;
3. states are decided first, then places and organizations, then people (whose context includes
   the article's states and the state of their role);
4. if Wikidata cannot be reached, the entities whose look-ups are missing get
   ``Link(NIL, needs_relink=True, method="unreachable")``; ``relink`` decides them again later.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, overload

from .._models import NIL, Article, Entity, Link
from ..errors import LinkingError, WikidataUnavailable
from ..settings import Settings
from ._cache import LookupCache
from ._decide import Context, Lookup, decide
from ._http import Politeness, Throttle
from ._names import (
    DEFAULT_TITLES,
    clean,
    demonym_states,
    name_tokens,
    norm,
    role_titles,
    strip_title,
    variants,
)
from ._sources import ApiSource, Item, SparqlSource

log = logging.getLogger(__name__)

#: After Wikidata failed, how long (s) the rest of the run links without asking it (-> relink).
DOWN_FOR = 60.0
#: Bumped when what a cached answer holds changes, so old rows are simply not found.
CACHE_VERSION = "v1"
#: Names (surface forms, each with its few variants) per SPARQL query, and a hard cap on literals.
NAMES_PER_QUERY = 50
MAX_LITERALS_PER_QUERY = 400
KIND_ORDER = {"state": 0, "place": 1, "organization": 2, "person": 3}


@dataclass
class _Plan:
    """The look-ups one entity needs: (form, literals, coref?)."""

    entity: Entity
    forms: list[tuple[str, list[str], bool]] = field(default_factory=list)
    role_literals: list[str] = field(default_factory=list)


class _Answers(dict[str, "list[Item] | None"]):
    """SPARQL answers by literal (None: could not be looked up), plus ``api``: search answers by form."""

    def __init__(self) -> None:
        super().__init__()
        self.api: dict[str, list[Item] | None] = {}


def api_key(form: str, kind: str) -> str:
    """What a form is searched for with wbsearchentities ("Iranian" -> "Iran")."""
    if kind == "person":
        return strip_title(form)
    if kind == "state" and demonym_states(form):
        return demonym_states(form)[0]
    return clean(form)


class Linker:
    """Links entities to Wikidata items; see the module docstring."""

    requires: ClassVar[tuple[str, ...]] = ("article.entities",)
    assigns: ClassVar[tuple[str, ...]] = ("entity.link",)

    def __init__(self, *, sparql: str | None, api: str | None, cache: LookupCache, user_agent: str,
                 polite: Politeness) -> None:
        if not sparql and not api:
            raise LinkingError("linking needs a SPARQL endpoint or a MediaWiki API endpoint (both are empty)")
        self.stats: dict[str, int] = {"http_requests": 0, "cache_hits": 0, "cache_misses": 0,
                                      "entities": 0, "linked": 0, "nil": 0, "unreachable": 0,
                                      "lookups": 0, "errors": 0}
        self.cache = cache
        self.polite = polite
        throttle = Throttle(polite.requests_per_second)
        self.sparql = (SparqlSource(sparql, user_agent=user_agent, polite=polite, throttle=throttle,
                                    on_request=self._count) if sparql else None)
        self.api = (ApiSource(api, user_agent=user_agent, polite=polite, throttle=throttle,
                              on_request=self._count) if api else None)
        self._sparql_key = f"{CACHE_VERSION} sparql {sparql}\x1f"
        self._api_key = f"{CACHE_VERSION} api-search {api}\x1f"
        self._down_until = 0.0  # Wikidata failed: do not ask again before this (monotonic) time

    @property
    def _down(self) -> bool:
        return time.monotonic() < self._down_until

    def _went_down(self) -> None:
        self._down_until = time.monotonic() + DOWN_FOR

    def _count(self) -> None:
        self.stats["http_requests"] += 1

    # ---- the stage ------------------------------------------------------------------------
    @overload
    def __call__(self, articles: Article) -> Article: ...
    @overload
    def __call__(self, articles: Sequence[Article]) -> list[Article]: ...

    def __call__(self, articles: Article | Sequence[Article]) -> Article | list[Article]:
        """Set ``entity.link`` on every entity of the articles; returns them."""
        single = isinstance(articles, Article)
        batch = [articles] if isinstance(articles, Article) else list(articles)
        for article, links in zip(batch, self.predict(batch)):
            for entity, link in zip(article.entities, links):
                entity.link = link
        return batch[0] if single else batch

    def predict(self, articles: Sequence[Article]) -> list[list[Link]]:
        """The links for every entity of every article, without changing the articles."""
        plans = [[self._plan(e, a) for e in a.entities] for a in articles]
        answers = self._resolve([p for ps in plans for p in ps])
        return [self._decide_article(ps, answers) for ps in plans]

    def relink(self, items: Iterable[Article | Entity]) -> int:
        """Decide again every entity marked ``needs_relink`` (or never linked); returns how many
        now have a decision. One batch of look-ups for all of them.

        Articles give the disambiguation its context (the other states of the article); bare
        entities are decided on their own.
        """
        self._down_until = 0.0
        articles = [item if isinstance(item, Article)
                    else Article(id="relink", headline="", body=[], entities=[item]) for item in items]
        articles = [a for a in articles if any(e.link is None or e.link.needs_relink for e in a.entities)]
        done = 0
        for article, links in zip(articles, self.predict(articles)):
            for entity, link in zip(article.entities, links):
                if entity.link is None or entity.link.needs_relink:
                    entity.link = link
                    done += not link.needs_relink
        return done

    def close(self) -> None:
        if self.api:
            self.api.close()
        self.cache.close()

    def __enter__(self) -> Linker:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- planning -------------------------------------------------------------------------
    def _plan(self, entity: Entity, article: Article) -> _Plan:
        plan = _Plan(entity)
        forms = list(dict.fromkeys([entity.name, *entity.surface_forms()]))
        titles = (role_titles(entity.roles) or list(DEFAULT_TITLES)) if entity.kind == "person" else []
        for form in forms:
            if norm(form):
                plan.forms.append((form, variants(form, entity.kind, titles=titles), False))
        if entity.kind == "person" and all(len(name_tokens(f)) <= 1 for f in forms):
            # "Erdogan" alone: borrow the fuller form of another person of the article
            surnames = {name_tokens(f)[-1] for f in forms if name_tokens(f)}
            fuller = {max((f for f in [o.name, *o.surface_forms()]), key=lambda f: len(name_tokens(f)))
                      for o in article.entities
                      if o is not entity and o.kind == "person"
                      and any(len(name_tokens(f)) >= 2 and name_tokens(f)[-1] in surnames
                              for f in [o.name, *o.surface_forms()])}
            if len(fuller) == 1:
                f = fuller.pop()
                plan.forms.append((f, variants(f, "person"), True))
        if entity.kind == "person" and entity.role_of:
            plan.role_literals = variants(entity.role_of, "state")
        return plan

    # ---- look-ups -------------------------------------------------------------------------
    def _resolve(self, plans: list[_Plan]) -> _Answers:
        """Literal -> items (None when it could not be looked up). Cache first, then Wikidata.

        Queries are packed by *names* (surface forms): up to ``NAMES_PER_QUERY`` names with all
        their variants in one query (and never more than ``MAX_LITERALS_PER_QUERY`` literals).
        """
        by_name: dict[str, list[str]] = {}
        for p in plans:
            for form, lits, _ in p.forms:
                by_name.setdefault(form, []).extend(lits)
            if p.entity.role_of:
                by_name.setdefault(p.entity.role_of, []).extend(p.role_literals)
        literals = list(dict.fromkeys(lit for lits in by_name.values() for lit in lits))
        self.stats["lookups"] += len(literals)
        answers = _Answers()
        if self.sparql:
            keys = {self._sparql_key + lit: lit for lit in literals}
            cached = self._cached(keys)
            for key, lit in keys.items():
                if key in cached:
                    answers[lit] = [Item.from_json(d) for d in cached[key]]
            self.stats["cache_hits"] += len(answers)
            self.stats["cache_misses"] += len(literals) - len(answers)
            chunk: list[str] = []
            names = 0
            for lits in by_name.values():
                todo = [lit for lit in dict.fromkeys(lits) if lit not in answers and lit not in chunk]
                if not todo:
                    continue
                if chunk and (names >= NAMES_PER_QUERY or len(chunk) + len(todo) > MAX_LITERALS_PER_QUERY):
                    answers.update(self._sparql_lookup(chunk))
                    chunk, names = [], 0
                chunk.extend(todo)
                names += 1
            if chunk:
                answers.update(self._sparql_lookup(chunk))
        if self.api:
            self._api_fallback(plans, answers)
        return answers

    def _sparql_lookup(self, literals: list[str]) -> dict[str, list[Item] | None]:
        assert self.sparql is not None
        if self._down:
            return {lit: None for lit in literals}
        try:
            found = self.sparql.lookup(literals)
        except WikidataUnavailable as exc:
            log.warning("Wikidata unreachable, entities are left for relink: %s", exc)
            self._went_down()
            return {lit: None for lit in literals}
        except LinkingError as exc:  # the endpoint refused the query: report, finish the run
            log.error("Wikidata refused the look-up, entities are left for relink: %s", exc)
            self.stats["errors"] += 1
            self._went_down()
            return {lit: None for lit in literals}
        self._store({self._sparql_key + lit: [i.to_json() for i in items] for lit, items in found.items()})
        return dict(found)

    def _cached(self, keys: Iterable[str]) -> dict[str, Any]:
        try:
            return self.cache.get_many(keys)
        except LinkingError as exc:  # an unreadable cache costs speed, not the run
            log.warning("link cache not read: %s", exc)
            self.stats["errors"] += 1
            return {}

    def _store(self, rows: dict[str, Any]) -> None:
        try:
            self.cache.put_many(rows)
        except LinkingError as exc:  # a full disk or a locked file costs speed, not the run
            log.warning("link cache not written: %s", exc)
            self.stats["errors"] += 1

    def _api_fallback(self, plans: list[_Plan], answers: _Answers) -> None:
        """wbsearchentities for forms the exact look-up found nothing for (or all forms, API-only)."""
        assert self.api is not None
        forms: dict[str, None] = {}
        for p in plans:
            for form, lits, _ in p.forms:
                if p.entity.kind == "state" and self.sparql:
                    continue  # states are named exactly; demonyms and capitals are handled above
                got = [answers.get(lit) for lit in lits]
                if self.sparql and (any(g is None for g in got) or any(g for g in got)):
                    continue  # unreachable, or found exactly
                forms.setdefault(api_key(form, p.entity.kind))
        if not forms:
            return
        keys = {self._api_key + f: f for f in forms}
        cached = self._cached(keys)
        self.stats["cache_hits"] += len(cached)
        self.stats["cache_misses"] += len(keys) - len(cached)
        for key, form in keys.items():
            if key in cached:
                answers.api[form] = [Item.from_json(d) for d in cached[key]]
        todo = [f for f in forms if self._api_key + f not in cached]
        if not todo or self._down:
            for f in todo:
                answers.api[f] = None
            return
        try:
            hits = {f: self.api.search(f) for f in todo}
            items = self.api.get([q for qs in hits.values() for q in qs])
        except LinkingError as exc:
            log.warning("Wikidata API unreachable or refused, entities are left for relink: %s", exc)
            self._went_down()
            for f in todo:
                answers.api[f] = None
            return
        store = {}
        for f, qs in hits.items():
            found = [items[q] for q in qs if q in items]
            answers.api[f] = found
            store[self._api_key + f] = [i.to_json() for i in found]
        self._store(store)

    # ---- deciding -------------------------------------------------------------------------
    def _lookups(self, plan: _Plan, answers: _Answers) -> list[Lookup] | None:
        """The look-ups of one entity, or None if some could not be made (Wikidata unreachable)."""
        out = []
        for form, lits, coref in plan.forms:
            items: dict[str, Item] = {}
            source = "sparql"
            for lit in lits:
                got = answers.get(lit, [])
                if got is None:
                    return None
                for it in got:
                    items.setdefault(it.qid, it)
            key = api_key(form, plan.entity.kind)
            if self.api and not items and key in answers.api:
                got = answers.api[key]
                if got is None:
                    return None
                for it in got:
                    items.setdefault(it.qid, it)
                source = "api"
            out.append(Lookup(form=form, items=list(items.values()), source=source, coref=coref))
        return out

    def _decide_article(self, plans: list[_Plan], answers: _Answers) -> list[Link]:
        links: dict[int, Link] = {}
        ctx = Context()
        order = sorted(range(len(plans)), key=lambda i: KIND_ORDER.get(plans[i].entity.kind, 9))
        state_by_name: dict[str, str] = {}
        for i in order:
            plan = plans[i]
            entity = plan.entity
            lookups = self._lookups(plan, answers)
            if lookups is None:
                links[i] = Link(qid=NIL, score=0.0, method="unreachable", needs_relink=True)
                continue
            ectx = ctx
            if entity.kind == "person" and entity.role_of:
                ectx = Context(states=ctx.states, role_states=self._role_states(plan, answers, state_by_name))
            link = decide(entity, lookups, ectx)
            links[i] = link
            if entity.kind == "state" and link.qid != NIL:
                ctx.states.add(link.qid)
                for f in [entity.name, *entity.surface_forms()]:
                    state_by_name[norm(f)] = link.qid
        out = [links[i] for i in range(len(plans))]
        for link in out:
            self.stats["entities"] += 1
            if link.needs_relink:
                self.stats["unreachable"] += 1
            elif link.qid == NIL:
                self.stats["nil"] += 1
            else:
                self.stats["linked"] += 1
        return out

    def _role_states(self, plan: _Plan, answers: _Answers,
                     state_by_name: dict[str, str]) -> set[str]:
        role_of = plan.entity.role_of or ""
        if norm(role_of) in state_by_name:
            return {state_by_name[norm(role_of)]}
        role_entity = Entity(kind="state", name=role_of)
        lookups = [Lookup(form=role_of, items=[i for lit in plan.role_literals for i in (answers.get(lit) or [])])]
        link = decide(role_entity, lookups, Context())
        return {link.qid} if link.qid != NIL else set()


def make_linker(settings: Settings, *, timeout: float | None = None, attempts: int = 4,
                backoff: float = 1.0, max_retry_after: float = 60.0, cache_path: str | None = None) -> Linker:
    """A Linker from settings: endpoints, cache, TTL, request rate and User-Agent.

    ``NEWSGRAPH_WIKIDATA_API`` empty means SPARQL only (how the offline evaluation runs).
    The keyword arguments tune the client (tests make time-outs and back-offs short).
    """
    polite = Politeness(requests_per_second=settings.link_requests_per_second,
                        timeout=timeout if timeout is not None else settings.fetch_timeout,
                        attempts=attempts, backoff=backoff, max_retry_after=max_retry_after)
    try:
        cache = LookupCache(cache_path or settings.cache_path, ttl_days=settings.link_cache_ttl_days)
    except LinkingError as exc:  # an unreadable cache costs speed, not the run
        log.warning("%s; linking with an in-memory cache", exc)
        cache = LookupCache(":memory:", ttl_days=settings.link_cache_ttl_days)
    return Linker(sparql=settings.wikidata_sparql or None, api=settings.wikidata_api or None, cache=cache,
                  user_agent=settings.user_agent, polite=polite)
