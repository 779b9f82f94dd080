"""Fetching files, folders, URLs and feeds, against a real local HTTP server."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from newsgraph import RawPage, SetAside
from newsgraph.errors import UnsafeURL
from newsgraph.fetch import Fetcher, check_url
from newsgraph.pipeline import fetch_pages
from newsgraph.settings import load_settings

from ..conftest import DEV_CORPUS
from .conftest import Site


def settings_for(data_dir: Path, **kw: object):  # type: ignore[no-untyped-def]
    options = {"allow_private_urls": True, "fetch_retries": 2, **kw}
    return load_settings(env={}, data_dir=data_dir, **options)


def split(items: list[RawPage | SetAside]) -> tuple[list[RawPage], list[SetAside]]:
    return [i for i in items if isinstance(i, RawPage)], [i for i in items if isinstance(i, SetAside)]


def test_folder_is_walked_recursively_reading_only_page_types(tmp_path: Path) -> None:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "a.txt").write_text("x")
    (tmp_path / "in" / "sub" / "b.html").write_text("<p>x</p>")
    (tmp_path / "in" / "a.gold.json").write_text("{}")
    (tmp_path / "in" / "notes.md").write_text("x")
    pages, aside = split(list(Fetcher(settings_for(tmp_path / "d")).fetch([str(tmp_path / "in")])))
    assert sorted(p.name for p in pages) == ["a.txt", "b.html"]
    assert aside == []  # other files are skipped quietly


def test_missing_and_oversized_files_are_set_aside_with_reason(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(3 * 1024 * 1024)
    s = settings_for(tmp_path / "d", fetch_max_bytes=1024 * 1024)
    pages, aside = split(list(Fetcher(s).fetch([str(tmp_path / "nope.txt"), str(big)])))
    assert pages == []
    reasons = {Path(a.source).name: a.reason for a in aside}
    assert "no such file" in reasons["nope.txt"]
    assert "over the 1 MB cap" in reasons["big.txt"]


def test_url_fetch_sends_user_agent_and_uses_conditional_get(site: str, tmp_path: Path) -> None:
    s = settings_for(tmp_path / "d")
    first = fetch_pages(s, [f"{site}/page.html"])
    assert len(first.pages) == 1 and first.pages[0].http["etag"] == '"v1"'
    assert any(k.startswith("ua:newsgraph/") for k in Site.hits)
    second = fetch_pages(s, [f"{site}/page.html"])
    assert second.pages[0].http["status"] == "304"
    assert second.pages[0].sha256 == first.pages[0].sha256  # answered from the raw archive


def test_redirects_are_followed_and_capped(site: str, tmp_path: Path) -> None:
    pages, aside = split(list(Fetcher(settings_for(tmp_path / "d")).fetch([f"{site}/redirect", f"{site}/loop"])))
    assert len(pages) == 1 and pages[0].http["final_url"].endswith("/page.html")
    assert "redirects" in aside[0].reason and aside[0].source.endswith("/loop")


def test_http_errors_timeouts_and_size_cap_are_set_aside(site: str, tmp_path: Path) -> None:
    s = settings_for(tmp_path / "d", fetch_timeout=0.5, fetch_max_bytes=1024 * 1024, fetch_retries=0)
    pages, aside = split(list(Fetcher(s).fetch([f"{site}/missing", f"{site}/slow", f"{site}/big"])))
    assert pages == []
    reasons = {a.source.rsplit("/", 1)[1]: a.reason for a in aside}
    assert "404" in reasons["missing"]
    assert "no answer within" in reasons["slow"]
    assert "cap" in reasons["big"]


def test_unreachable_url_is_set_aside(tmp_path: Path) -> None:
    pages, aside = split(list(Fetcher(settings_for(tmp_path / "d", fetch_retries=0)).fetch(["http://127.0.0.1:9/x"])))
    assert pages == [] and "unreachable" in aside[0].reason


def test_retries_with_backoff_on_503(site: str, tmp_path: Path) -> None:
    pages, aside = split(list(Fetcher(settings_for(tmp_path / "d")).fetch([f"{site}/flaky"])))
    assert len(pages) == 1 and aside == []


def test_feed_items_are_fetched_as_pages(site: str, tmp_path: Path) -> None:
    result = fetch_pages(settings_for(tmp_path / "d"), [f"{site}/feed.xml"])
    assert [p.source for p in result.pages] == [f"{site}/page.html"]
    assert result.pages[0].feed == f"{site}/feed.xml"
    assert [a.source for a in result.set_aside] == [f"{site}/missing"]


@pytest.mark.parametrize("path, words", [("/notfeed.xml", "not an RSS/Atom feed"), ("/bomb.xml", "XML bomb")])
def test_bad_feeds_are_set_aside(site: str, tmp_path: Path, path: str, words: str) -> None:
    result = fetch_pages(settings_for(tmp_path / "d"), [site + path])
    assert result.pages == []
    assert words in result.set_aside[0].reason


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x", "http://127.0.0.1/",
                                 "http://localhost:8080/", "http://10.0.0.1/", "http://[::1]/", "http://169.254.169.254/"])
def test_only_public_http_urls_are_fetched_by_default(url: str) -> None:
    with pytest.raises(UnsafeURL):
        check_url(url, allow_private=False)


def test_raw_pages_are_kept_content_addressed(site: str, tmp_path: Path) -> None:
    s = settings_for(tmp_path / "d")
    result = fetch_pages(s, [f"{site}/page.html"])
    sha = result.pages[0].sha256
    kept = s.raw_dir / sha[:2] / sha
    assert kept.read_bytes() == result.pages[0].content
    assert kept.with_name(sha + ".json").is_file()


def test_a_run_can_leave_page_bytes_in_the_archive_and_parse_them_from_there(tmp_path: Path) -> None:
    """The ingest flow fetches with keep_content=False: it holds no page's bytes until that page is
    parsed (memory does not grow with the number of pages a run reads), and parsing reads them back
    from the raw archive - the same articles as from the bytes in hand."""
    from dataclasses import asdict

    from newsgraph.pipeline import parse_pages

    pages_dir = tmp_path / "in"
    pages_dir.mkdir()
    for page in sorted(DEV_CORPUS.glob("*.txt"))[:2]:
        shutil.copy(page, pages_dir / page.name)
    s = settings_for(tmp_path / "d")
    held = fetch_pages(s, [str(pages_dir)])
    lean = fetch_pages(s, [str(pages_dir)], keep_content=False)
    assert [p.content for p in lean.pages] == [b"", b""] and all(p.archived for p in lean.pages)
    assert [p.sha256 for p in lean.pages] == [p.sha256 for p in held.pages]

    from_archive, from_bytes = parse_pages(s, lean.pages), parse_pages(s, held.pages)
    assert from_archive.set_aside == []
    assert [asdict(a) for a in from_archive.articles] == [asdict(a) for a in from_bytes.articles]
    assert len(from_archive.articles) >= 2


def test_a_page_gone_from_the_archive_is_set_aside_naming_its_source(tmp_path: Path) -> None:
    from newsgraph.pipeline import parse_pages

    page = shutil.copy(min(DEV_CORPUS.glob("*.txt")), tmp_path / "a.txt")
    s = settings_for(tmp_path / "d")
    lean = fetch_pages(s, [str(page)], keep_content=False)
    (s.raw_dir / lean.pages[0].sha256[:2] / lean.pages[0].sha256).unlink()
    parsed = parse_pages(s, lean.pages)
    assert parsed.articles == []
    [aside] = parsed.set_aside
    assert aside.source.endswith("a.txt") and aside.stage == "parse"
    assert "gone from the archive" in aside.reason and "\n" not in aside.reason
