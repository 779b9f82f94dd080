"""A polite HTTP client for Wikidata: one place for throttling, retries and exception mapping.

Wikidata's rules (https://www.mediawiki.org/wiki/API:Etiquette, the WDQS user manual): a
descriptive User-Agent, few and batched requests, ``maxlag`` on the API, and backing off when told
to. Here:

- ``Throttle``: at most ``rate`` requests per second from this process (shared by all threads).
- ``retrying(call)``: runs ``call()``; on HTTP 429/503 with ``Retry-After`` waits that long (capped),
  on other 5xx, time-outs and dropped connections waits ``backoff * 2**attempt``; after
  ``attempts`` tries raises ``WikidataUnavailable``. A 4xx other than 429 is a ``LinkingError``
  at once (our query is wrong; retrying will not help).

Third-party exceptions (requests, urllib, SPARQLWrapper) are translated here and nowhere else,
with ``raise ... from exc`` (httpx's ``map_exceptions``).
"""
from __future__ import annotations

import email.utils
import http.client
import threading
import time
import urllib.error
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
from SPARQLWrapper import SPARQLExceptions

from ..errors import LinkingError, WikidataUnavailable

T = TypeVar("T")

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


def _sleep(seconds: float) -> None:
    """Back-off waits go through here (one seam, so tests can see what was waited)."""
    time.sleep(seconds)


class Retry(Exception):
    """Internal: the call failed in a way worth retrying (after ``delay`` seconds if given)."""

    def __init__(self, reason: str, *, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


@dataclass
class Politeness:
    """How hard we may press the endpoint; defaults suit Wikidata's public services."""

    requests_per_second: float = 5.0
    timeout: float = 20.0
    attempts: int = 4
    backoff: float = 1.0  # first back-off in seconds, doubled each attempt
    max_retry_after: float = 60.0  # a longer Retry-After means: give up for this run
    maxlag: int = 5


class Throttle:
    """At most ``rate`` calls per second (a minimum interval between starts)."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def retrying(call: Callable[[], T], *, what: str, polite: Politeness, throttle: Throttle,
             on_request: Callable[[], None] | None = None,
             sleep: Callable[[float], None] | None = None) -> T:
    """Run ``call`` with throttling and bounded retries; see the module docstring."""
    sleep = sleep or _sleep
    last = "no attempt"
    for attempt in range(max(1, polite.attempts)):
        throttle.wait()
        if on_request:
            on_request()
        try:
            return call()
        except Retry as exc:
            last = exc.reason
            if attempt + 1 >= polite.attempts:
                break
            delay = exc.delay if exc.delay is not None else polite.backoff * (2 ** attempt)
            if delay > polite.max_retry_after:
                last = f"{exc.reason} (asked to wait {delay:.0f}s)"
                break
            sleep(delay)
    raise WikidataUnavailable(f"{what}: {last} after {polite.attempts} attempt(s)")


# ---- exception maps: third-party -> Retry / LinkingError ------------------------------------

def check_response(resp: requests.Response, *, what: str) -> None:
    """Raise Retry or LinkingError for a bad ``requests`` response."""
    if resp.status_code in RETRY_STATUS:
        delay = parse_retry_after(resp.headers.get("Retry-After"))
        raise Retry(f"HTTP {resp.status_code}", delay=delay)
    if resp.status_code >= 400:
        raise LinkingError(f"{what}: HTTP {resp.status_code}: {resp.text[:200]}")


def requests_call(call: Callable[[], requests.Response], *, what: str) -> requests.Response:
    """Do one ``requests`` call, translating its exceptions."""
    try:
        resp = call()
    except requests.Timeout as exc:
        raise Retry(f"timed out ({type(exc).__name__})") from exc
    except (requests.ConnectionError, http.client.HTTPException) as exc:
        raise Retry(f"connection failed ({type(exc).__name__})") from exc
    except requests.RequestException as exc:
        raise LinkingError(f"{what}: {exc}") from exc
    check_response(resp, what=what)
    return resp


def sparqlwrapper_call(call: Callable[[], T], *, what: str) -> T:
    """Do one SPARQLWrapper call, translating urllib's and SPARQLWrapper's exceptions."""
    try:
        with warnings.catch_warnings():  # "unknown response content type": handled by the caller
            warnings.simplefilter("ignore", RuntimeWarning)
            return call()
    except urllib.error.HTTPError as exc:
        if exc.code in RETRY_STATUS:
            delay = parse_retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            raise Retry(f"HTTP {exc.code}", delay=delay) from exc
        raise LinkingError(f"{what}: HTTP {exc.code}") from exc
    except SPARQLExceptions.EndPointInternalError as exc:
        raise Retry("HTTP 500") from exc
    except (SPARQLExceptions.QueryBadFormed, SPARQLExceptions.Unauthorized,
            SPARQLExceptions.URITooLong) as exc:
        raise LinkingError(f"{what}: {str(exc)[:300]}") from exc
    except SPARQLExceptions.EndPointNotFound as exc:
        raise WikidataUnavailable(f"{what}: endpoint not found (HTTP 404)") from exc
    except TimeoutError as exc:
        raise Retry("timed out") from exc
    except urllib.error.URLError as exc:
        raise Retry(f"connection failed ({exc.reason})") from exc
    except (ConnectionError, http.client.HTTPException, OSError) as exc:
        raise Retry(f"connection failed ({type(exc).__name__})") from exc
    except ValueError as exc:  # unreadable JSON
        raise Retry(f"unreadable answer ({exc})") from exc
