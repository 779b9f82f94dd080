"""Fetching follows only http/https, refuses loopback and private addresses unless allowed (at every
redirect hop and for every feed item), caps redirects and size.

tests/pipeline/test_fetch.py covers ``check_url`` and the caps against a loopback site with private
URLs allowed. Here private URLs are *not* allowed, so the site must look public: the name
``news.test`` resolves (for newsgraph's check) to a public address, and the TCP connection for that
name is routed to the loopback site, the way /etc/hosts or a DNS answer would. Everything the site
is asked is logged, so a test can show that a refused URL was never requested.
"""
from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import urllib3.util.connection

from newsgraph import RawPage, SetAside
from newsgraph.fetch import Fetcher
from newsgraph.pipeline import fetch_pages
from newsgraph.settings import Settings

PUBLIC = "93.184.215.14"  # a global address (example.com's), never contacted: connections are routed
PAGE = (b"<html><body><article><h1>Talks</h1><p>" + b"The ministers met in the capital and discussed trade. " * 5
        + b"</p></article></body></html>")


class Site(BaseHTTPRequestHandler):
    log: list[str] = []  # noqa: RUF012 - shared by the handler instances on purpose
    port = 0

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
              ctype: str = "text/html") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        Site.log.append(f"{self.headers.get('Host', '').split(':')[0]}{self.path}")
        loop = f"127.0.0.1:{Site.port}"
        routes = {
            "/page": lambda: self._send(200, PAGE),
            "/secret": lambda: self._send(200, b"internal admin page " * 20),
            "/to-loopback": lambda: self._send(302, headers={"Location": f"http://{loop}/secret"}),
            "/to-localhost": lambda: self._send(301, headers={"Location": f"http://localhost:{Site.port}/secret"}),
            "/to-metadata": lambda: self._send(307, headers={"Location": "http://169.254.169.254/latest/meta-data/"}),
            "/to-file": lambda: self._send(302, headers={"Location": "file:///etc/passwd"}),
            "/to-page": lambda: self._send(302, headers={"Location": "/page"}),
            "/big": lambda: self._send(200, b"x" * (2 * 1024 * 1024)),
            "/feed.xml": lambda: self._send(200, (
                '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                f'<item><title>a</title><link>http://{loop}/secret</link></item>'
                '<item><title>b</title><link>http://[::1]/secret</link></item>'
                '<item><title>c</title><link>http://10.0.0.1/secret</link></item>'
                '<item><title>d</title><link>http://news.test/to-loopback</link></item>'
                '<item><title>e</title><link>http://news.test/page</link></item>'
                '</channel></rss>').encode(), ctype="application/rss+xml"),
        }
        if self.path.startswith("/chain/"):
            n = int(self.path.rsplit("/", 1)[1])
            return self._send(302, headers={"Location": f"/chain/{n + 1}"})
        routes.get(self.path, lambda: self._send(404, b"no"))()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """The fetcher hanging up mid-body is what its size cap does (/big): not the site's error."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def site() -> Iterator[int]:
    server = _Server(("127.0.0.1", 0), Site)
    server.daemon_threads = True
    Site.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Site.port
    server.shutdown()
    server.server_close()


@pytest.fixture
def public_news_test(site: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``news.test`` resolves to a public address, and connections to that address go to the site.
    ``rebind.test`` answers public to the first look-up and loopback to every later one (DNS
    rebinding)."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, urllib3.util.connection.create_connection
    lookups: dict[str, int] = {}

    def getaddrinfo(host, port, *args, **kw):  # type: ignore[no-untyped-def]
        if host in ("news.test", "rebind.test"):
            lookups[host] = lookups.get(host, 0) + 1
            ip = PUBLIC if host == "news.test" or lookups[host] == 1 else "127.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port or 80))]
        return real_getaddrinfo(host, port, *args, **kw)

    def create_connection(address, *args, **kw):  # type: ignore[no-untyped-def]
        host = address[0]
        if host == PUBLIC:  # "the public web server": the test site stands in for it
            return real_connect(("127.0.0.1", site), *args, **kw)
        if host in ("news.test", "rebind.test"):  # a client connecting by name resolves again
            ip = getaddrinfo(host, address[1])[0][4][0]
            return create_connection((ip, address[1]), *args, **kw)
        assert host in ("127.0.0.1", "localhost", "::1"), f"a test tried to reach {host}"
        return real_connect(address, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    Site.log.clear()
    yield


def fetch(tmp_path: Path, *urls: str, **kw: object) -> tuple[list[RawPage], list[SetAside]]:
    settings = Settings(data_dir=tmp_path / "d", fetch_retries=0, fetch_timeout=5, **kw)  # type: ignore[arg-type]
    fetcher = Fetcher(settings)
    try:
        items = list(fetcher.fetch(list(urls)))
    finally:
        fetcher.close()
    return [i for i in items if isinstance(i, RawPage)], [i for i in items if isinstance(i, SetAside)]


def test_a_public_page_is_fetched(public_news_test: None, tmp_path: Path) -> None:
    pages, aside = fetch(tmp_path, "http://news.test/page", "http://news.test/to-page")
    assert len(pages) == 2 and aside == []


@pytest.mark.parametrize("path, words", [("/to-loopback", "loopback"), ("/to-localhost", "loopback"),
                                         ("/to-metadata", "private"), ("/to-file", "only http and https")])
def test_a_redirect_to_an_internal_address_is_refused(public_news_test: None, tmp_path: Path, path: str,
                                                       words: str) -> None:
    pages, aside = fetch(tmp_path, f"http://news.test{path}")
    assert pages == [] and len(aside) == 1 and words in aside[0].reason
    assert aside[0].source == f"http://news.test{path}"
    assert not any(entry.endswith("/secret") for entry in Site.log)  # never requested


def test_feed_items_pointing_inside_are_refused(public_news_test: None, tmp_path: Path) -> None:
    result = fetch_pages(Settings(data_dir=tmp_path / "d", fetch_retries=0, fetch_timeout=5),
                         ["http://news.test/feed.xml"])
    assert [p.source for p in result.pages] == ["http://news.test/page"]
    reasons = {a.source: a.reason for a in result.set_aside}
    assert set(reasons) == {f"http://127.0.0.1:{Site.port}/secret", "http://[::1]/secret", "http://10.0.0.1/secret",
                            "http://news.test/to-loopback"}
    assert all("private or loopback" in r for r in reasons.values()), reasons
    assert not any(entry.endswith("/secret") for entry in Site.log)


def test_loopback_is_fetched_only_when_allowed(site: int, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{site}/page"
    assert fetch(tmp_path, url)[0] == []
    assert len(fetch(tmp_path, url, allow_private_urls=True)[0]) == 1


def test_redirects_and_size_are_capped(public_news_test: None, tmp_path: Path) -> None:
    pages, aside = fetch(tmp_path, "http://news.test/chain/0", "http://news.test/big", fetch_max_bytes=1024 * 1024)
    assert pages == []
    reasons = {a.source.rsplit("/", 1)[-1]: a.reason for a in aside}
    assert "more than 5 redirects" in reasons["0"]
    assert "cap" in reasons["big"]
    assert sum(e.startswith("news.test/chain/") for e in Site.log) == 6  # the first request and 5 hops, no more


def test_dns_rebinding_is_refused(public_news_test: None, tmp_path: Path) -> None:
    """The name answers public to the check and loopback when connecting: the connection goes only
    to an address vetted in the same step, so the internal page is never requested."""
    pages, aside = fetch(tmp_path, "http://rebind.test/secret")
    assert pages == [] and "loopback" in aside[0].reason
    assert not any(e.endswith("/secret") for e in Site.log)
