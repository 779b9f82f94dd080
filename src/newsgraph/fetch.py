"""Fetch: sources (files, folders, http(s) URLs, RSS/Atom feeds) -> raw pages.

Contract: ``Fetcher.fetch(sources) -> Iterator[RawPage | SetAside]``. Reads the file system and
the network; writes only its HTTP validator cache (ETag / Last-Modified). Every failure becomes a
:class:`SetAside` with a one-line reason naming the input; nothing raises past this boundary.

- Folders are walked recursively; only page types (.txt, .html, .htm) and feed files (.xml,
  .rss, .atom) are read, anything else (such as the corpus's ``.gold.json``) is skipped quietly.
- URLs: only http and https; loopback and private addresses are refused unless the setting
  ``allow_private_urls`` is on (so a feed cannot make newsgraph read internal services);
  redirects are followed by hand (capped, each hop checked); time-outs, a size cap, retries
  with backoff (urllib3's Retry, honouring Retry-After), a User-Agent, conditional GET.
- Feeds are parsed with feedparser; each item's link is fetched as a page.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
import urllib3.connection
import urllib3.util.connection
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ._models import RawPage, SetAside
from .errors import FetchError, FetchTimeout, HTTPStatusError, InputError, TooLarge, UnsafeURL
from .settings import Settings

PAGE_SUFFIXES = {".txt": "text/plain", ".html": "text/html", ".htm": "text/html"}
FEED_SUFFIXES = {".xml", ".rss", ".atom"}
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
              "text/xml", "application/feed+json")
MAX_FEED_ITEMS = 500

log = logging.getLogger(__name__)


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_url(source: str) -> bool:
    return "://" in source[:16]


def looks_like_feed(content: bytes, media_type: str = "") -> bool:
    if any(t in media_type for t in ("rss", "atom")):
        return True
    head = content[:4096].lstrip().lower()
    if head.startswith((b"<?xml", b"<rss", b"<feed")):
        return b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head
    return False


class ValidatorCache:
    """ETag / Last-Modified per URL, so a re-fetch of an unchanged page costs a 304."""

    def __init__(self, path: Path) -> None:
        self.path: Path | None = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db, db:
                db.execute("CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, "
                           "last_modified TEXT, sha256 TEXT, media_type TEXT)")
        except (sqlite3.Error, OSError) as exc:  # a full disk or an unreadable file costs speed, not the run
            log.warning("HTTP validator cache %s not usable (%s); fetching without it", path, exc)
            self.path = None

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def get(self, url: str) -> tuple[str | None, str | None, str | None, str | None]:
        if self.path is None:
            return (None, None, None, None)
        try:
            with closing(self._connect()) as db:
                row = db.execute("SELECT etag, last_modified, sha256, media_type FROM validators WHERE url = ?",
                                 (url,)).fetchone()
        except sqlite3.Error as exc:
            log.warning("HTTP validator cache %s not read: %s", self.path, exc)
            return (None, None, None, None)
        return (row[0], row[1], row[2], row[3]) if row else (None, None, None, None)

    def put(self, url: str, etag: str | None, last_modified: str | None, sha256: str, media_type: str) -> None:
        if self.path is None:
            return
        try:
            with closing(self._connect()) as db, db:
                db.execute("INSERT OR REPLACE INTO validators VALUES (?, ?, ?, ?, ?)",
                           (url, etag, last_modified, sha256, media_type))
        except sqlite3.Error as exc:  # a full disk: the page itself still goes to the archive (or fails there)
            log.warning("HTTP validator cache %s not written: %s", self.path, exc)


def _is_internal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return bool(ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast
                or ip.is_unspecified)


def vetted_addresses(host: str, port: int, *, allow_private: bool, source: str | None = None) -> list[str]:
    """The addresses ``host`` resolves to, all of them public unless ``allow_private``.

    Raises UnsafeURL when any address is internal, FetchError when the name does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"host {host!r} cannot be resolved", source=source or host) from exc
    addresses: list[str] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not allow_private and _is_internal(ip):
            raise UnsafeURL(f"refusing to fetch a private or loopback address ({ip}); "
                            "set NEWSGRAPH_ALLOW_PRIVATE_URLS=1 to allow it", source=source or host)
        if str(ip) not in addresses:
            addresses.append(str(ip))
    return addresses


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse anything but http(s), and private/loopback addresses unless allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL(f"only http and https URLs are fetched, not {parts.scheme or 'no scheme'!r}", source=url)
    if not parts.hostname:
        raise UnsafeURL("URL has no host", source=url)
    if allow_private:
        return
    vetted_addresses(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                     allow_private=False, source=url)


class _PinnedConnection:
    """Connects to an address that was vetted in the same step, never to a second DNS answer:
    a name that answers public when checked and internal when connected (DNS rebinding) cannot
    reach an internal service. TLS still verifies the certificate against the host name."""

    def _new_conn(self):  # type: ignore[no-untyped-def]
        host, port = self._dns_host, self.port  # type: ignore[attr-defined]
        error: Exception | None = None
        for address in vetted_addresses(host, port, allow_private=False):
            try:
                return urllib3.util.connection.create_connection(
                    (address, port), self.timeout, source_address=self.source_address,  # type: ignore[attr-defined]
                    socket_options=self.socket_options)  # type: ignore[attr-defined]
            except TimeoutError as exc:
                raise urllib3.exceptions.ConnectTimeoutError(
                    self, f"Connection to {host} timed out. (connect timeout={self.timeout})") from exc  # type: ignore[attr-defined]
            except OSError as exc:
                error = exc
        raise urllib3.exceptions.NewConnectionError(  # self: always mixed into an HTTPConnection (below)
            self, f"Failed to establish a new connection: {error}")  # type: ignore[arg-type]


class _PinnedHTTPConnection(_PinnedConnection, urllib3.connection.HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnection, urllib3.connection.HTTPSConnection):
    pass


class _PinnedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """requests' adapter whose connections go only to public addresses vetted at connect time."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PinnedHTTPPool, "https": _PinnedHTTPSPool}
        self.poolmanager.key_fn_by_scheme = dict(self.poolmanager.key_fn_by_scheme)


class Fetcher:
    """Turns the sources a user gives into raw pages (and set-aside records)."""

    def __init__(self, settings: Settings, *, archive: object | None = None) -> None:
        self.settings = settings
        self.archive = archive  # a RawArchive, used to answer 304 Not Modified from what we kept
        self.validators = ValidatorCache(settings.http_cache_path)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = settings.user_agent
        self.session.max_redirects = settings.max_redirects
        retry = Retry(total=settings.fetch_retries, connect=settings.fetch_retries, read=settings.fetch_retries,
                      status=settings.fetch_retries, backoff_factor=0.5, backoff_max=10,
                      status_forcelist=(429, 500, 502, 503, 504), allowed_methods=("GET",),
                      respect_retry_after_header=True, raise_on_status=False, redirect=False)
        adapter = (HTTPAdapter if settings.allow_private_urls else PinnedAdapter)(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        self.session.close()

    # ---- entry point -------------------------------------------------------------------
    def fetch(self, sources: Iterable[str]) -> Iterator[RawPage | SetAside]:
        for source in sources:
            source = str(source)
            try:
                if is_url(source):
                    yield from self._fetch_url_or_feed(source)
                else:
                    yield from self._fetch_path(Path(source).expanduser())
            except InputError as exc:
                yield SetAside(source=source, reason=exc.message)

    # ---- files ---------------------------------------------------------------------------
    def _fetch_path(self, path: Path) -> Iterator[RawPage | SetAside]:
        if not path.exists():
            raise FetchError("no such file or folder", source=str(path))
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not child.name.startswith(".") and (
                        child.suffix.lower() in PAGE_SUFFIXES or child.suffix.lower() in FEED_SUFFIXES):
                    try:
                        yield from self._fetch_file(child)
                    except InputError as exc:
                        yield SetAside(source=str(child), reason=exc.message)
            return
        yield from self._fetch_file(path)

    def _fetch_file(self, path: Path) -> Iterator[RawPage | SetAside]:
        size = path.stat().st_size
        if size > self.settings.fetch_max_bytes:
            raise TooLarge(f"file is {size / 1e6:.0f} MB, over the {self.settings.fetch_max_bytes / 1e6:.0f} MB cap",
                           source=str(path))
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise FetchError(f"cannot read file: {exc.strerror}", source=str(path)) from exc
        suffix = path.suffix.lower()
        if suffix in FEED_SUFFIXES or looks_like_feed(content):
            yield from self._feed_items(content, feed_source=str(path.resolve()))
            return
        media_type = PAGE_SUFFIXES.get(suffix, "text/plain")
        yield RawPage(source=str(path.resolve()), name=path.name, content=content, media_type=media_type,
                      fetched_at=utcnow(), http={})

    # ---- http(s) -------------------------------------------------------------------------
    def _fetch_url_or_feed(self, url: str) -> Iterator[RawPage | SetAside]:
        page = self.fetch_url(url)
        if looks_like_feed(page.content, page.media_type):
            yield from self._feed_items(page.content, feed_source=url, feed_page=page)
        else:
            yield page

    def fetch_url(self, url: str) -> RawPage:
        """GET one URL with every safeguard; raises a FetchError subclass naming the URL."""
        etag, last_modified, known_sha, known_type = self.validators.get(url)
        headers = {"Accept": "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
                             "text/plain;q=0.9,*/*;q=0.5"}
        have_copy = bool(known_sha and self.archive is not None and self.archive.has(known_sha))  # type: ignore[attr-defined]
        if have_copy and etag:
            headers["If-None-Match"] = etag
        if have_copy and last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            check_url(current, allow_private=self.settings.allow_private_urls)
            try:
                resp = self.session.get(current, headers=headers, stream=True, allow_redirects=False,
                                        timeout=(min(10.0, self.settings.fetch_timeout), self.settings.fetch_timeout))
            except requests.Timeout as exc:
                raise FetchTimeout(f"no answer within {self.settings.fetch_timeout:g} s", source=url) from exc
            except requests.exceptions.RetryError as exc:
                raise HTTPStatusError("server kept failing after retries", status=503, source=url) from exc
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                reason = getattr(exc.args[0], "reason", None) if exc.args else None
                if isinstance(reason, (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ConnectTimeoutError)) \
                        and not isinstance(reason, urllib3.exceptions.NewConnectionError):
                    raise FetchTimeout(f"no answer within {self.settings.fetch_timeout:g} s", source=url) from exc
                raise FetchError("unreachable: connection failed", source=url) from exc
            except requests.RequestException as exc:
                raise FetchError(f"request failed: {type(exc).__name__}", source=url) from exc
            if resp.is_redirect and "location" in resp.headers:
                current = urljoin(current, resp.headers["location"])
                resp.close()
                continue
            break
        else:
            raise FetchError(f"more than {self.settings.max_redirects} redirects", source=url)
        with closing(resp):
            if resp.status_code == 304 and have_copy:
                content = self.archive.read(known_sha)  # type: ignore[union-attr]
                return RawPage(source=url, name=_url_name(url), content=content, media_type=known_type or "text/html",
                               fetched_at=utcnow(), http={"status": "304", "final_url": current})
            if resp.status_code >= 400:
                raise HTTPStatusError(f"HTTP {resp.status_code} {resp.reason or ''}".strip(),
                                      status=resp.status_code, source=url)
            declared = resp.headers.get("content-length")
            cap = self.settings.fetch_max_bytes
            if declared and declared.isdigit() and int(declared) > cap:
                raise TooLarge(f"response is {int(declared) / 1e6:.0f} MB, over the {cap / 1e6:.0f} MB cap", source=url)
            chunks, total = [], 0
            deadline = time.monotonic() + self.settings.fetch_timeout * 3
            try:
                for chunk in resp.iter_content(65536):
                    total += len(chunk)
                    if total > cap:
                        raise TooLarge(f"response exceeds the {cap / 1e6:.0f} MB cap", source=url)
                    if time.monotonic() > deadline:
                        raise FetchTimeout("download took too long", source=url)
                    chunks.append(chunk)
            except requests.RequestException as exc:
                raise FetchError("connection dropped while downloading", source=url) from exc
            content = b"".join(chunks)
            ctype = resp.headers.get("content-type", "")
            media_type = ctype.split(";")[0].strip().lower() or "text/html"
            http = {"status": str(resp.status_code), "final_url": current, "content-type": ctype}
            for h in ("etag", "last-modified"):
                if h in resp.headers:
                    http[h] = resp.headers[h]
            page = RawPage(source=url, name=_url_name(url), content=content, media_type=media_type,
                           fetched_at=utcnow(), http=http)
            self.validators.put(url, resp.headers.get("etag"), resp.headers.get("last-modified"), page.sha256,
                                media_type)
            return page

    # ---- feeds ---------------------------------------------------------------------------
    def _feed_items(self, content: bytes, *, feed_source: str, feed_page: RawPage | None = None
                    ) -> Iterator[RawPage | SetAside]:
        import feedparser

        if b"<!ENTITY" in content[:65536]:
            raise FetchError("feed declares XML entities (refused: possible XML bomb)", source=feed_source)
        parsed = feedparser.parse(content)
        problem = parsed.get("bozo_exception")
        if parsed.get("bozo") and (not parsed.get("entries") or "well-formed" in str(problem)
                                   or type(problem).__name__ == "SAXParseException"):
            raise FetchError(f"not an RSS/Atom feed (not well-formed XML: {str(problem)[:80]})", source=feed_source)
        if not parsed.get("version") and not parsed.get("entries"):
            raise FetchError("not an RSS/Atom feed", source=feed_source)
        if feed_page is not None:
            yield RawPage(source=feed_page.source, name=feed_page.name, content=feed_page.content,
                          media_type="application/rss+xml", fetched_at=feed_page.fetched_at,
                          http=feed_page.http, feed="self")
        for entry in parsed.entries[:MAX_FEED_ITEMS]:
            link = entry.get("link")
            if not link:
                continue
            try:
                page = self.fetch_url(link)
            except InputError as exc:
                yield SetAside(source=link, reason=exc.message)
                continue
            page.feed = feed_source
            yield page


def _url_name(url: str) -> str:
    parts = urlsplit(url)
    tail = parts.path.rstrip("/").rsplit("/", 1)[-1] or parts.hostname or "page"
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in tail)[:100] or "page"


def fetch_metadata(page: RawPage) -> dict[str, object]:
    return {"source": page.source, "name": page.name, "media_type": page.media_type,
            "fetched_at": page.fetched_at, "sha256": page.sha256, "http": page.http, "feed": page.feed,
            "bytes": len(page.content)}


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True)
