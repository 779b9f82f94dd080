"""Parsing a page into articles: the scraper's text layout and HTML pages."""
from __future__ import annotations

import json

import pytest

from newsgraph import Article, RawPage
from newsgraph.errors import ParseError
from newsgraph.parse import parse_page, split_caption

from ..conftest import DEV_CORPUS

CAPTION = ("Minister A (R) meets Minister B (L) at the palace in Testville on March 5, 2021. "
           "(Photo by JANE DOE / Agency)")


B1 = "The foreign ministers of two neighbouring states held talks in the capital on Monday."
B2 = "Officials said the talks covered trade, border security and a planned railway link."
B3 = "A second, unrelated story about a storm that closed the port for two days running."


def page(text: str, name: str = "p.txt", media_type: str = "text/plain") -> RawPage:
    return RawPage(source=f"/in/{name}", name=name, content=text.encode("utf-8"), media_type=media_type,
                   fetched_at="2026-01-01T00:00:00Z")


def scraped_article(headline: str, body: list[str], *, share: str | None = "17") -> str:
    residue = ["TT"] + ([share] if share else [])
    lines = [headline, "", CAPTION, CAPTION, *residue, "", headline, "", CAPTION, CAPTION, ""]
    return "\n".join(lines) + "\n" + "\n\n".join(body)


def test_text_page_splits_into_articles_and_drops_scraping_residue() -> None:
    text = (scraped_article("First Headline Here", [B1, B2]) + "\n\n\n\n"
            + scraped_article("Second Headline", [B3], share=None))
    arts = parse_page(page(text))
    assert [a.headline for a in arts] == ["First Headline Here", "Second Headline"]
    assert arts[0].body == [B1, B2]
    assert arts[1].body == [B3]
    for a in arts:
        assert all(p not in ("TT", "17") and p != a.headline for p in a.body)
        assert len(a.captions) == 1  # the repeated caption is kept once, as metadata


def test_caption_credit_is_metadata_not_text() -> None:
    cap = split_caption(CAPTION)
    assert cap.credit == "Photo by JANE DOE / Agency"
    assert "JANE DOE" not in cap.text
    assert "(R)" in cap.text  # a position marker is not a credit
    assert cap.date == "2021-03-05"


def test_article_ids_are_stable_and_content_based() -> None:
    text = scraped_article("Same Headline", [B1])
    a1 = parse_page(page(text, "one.txt"))[0]
    a2 = parse_page(page(text, "two.txt"))[0]
    assert a1.id == a2.id == Article.make_id("Same Headline", [B1])
    other = parse_page(page(scraped_article("Same Headline", [B2])))[0]
    assert other.id != a1.id


def test_offsets_point_into_article_text() -> None:
    a = parse_page(page(scraped_article("H", [B1, B3])))[0]
    assert a.text.startswith("H\n\n")
    assert a.text[a.body_start:].startswith(B1)


HTML = """<!DOCTYPE html><html><head><title>Site - Page</title><script>var x = 1;</script></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav>
<article><h1>Leaders Meet in Testville</h1>
<time datetime="2021-03-06T10:00:00+00:00">6 March 2021</time>
<div class="share"><span class="share-count">1,204</span> <a href="#">Facebook</a></div>
<figure><img src="x.jpg"><figcaption>Two leaders shake hands, March 5, 2021. (Agency)</figcaption></figure>
<p>The two leaders held talks in Testville on Friday about trade and security cooperation between them.</p>
<p>They agreed to meet again next year, officials from both delegations told reporters after the talks.</p>
</article>
<aside><h3>Most read</h3><ul><li><a href="/a">Something else entirely</a></li></ul></aside>
</body></html>"""


def test_html_page_is_read_with_headline_caption_and_date() -> None:
    arts = parse_page(page(HTML, "p.html", "text/html"))
    assert len(arts) == 1
    a = arts[0]
    assert a.headline == "Leaders Meet in Testville"
    assert a.published == "2021-03-06"
    assert a.captions[0].credit == "Agency"
    assert any("held talks" in p for p in a.body)
    assert not any("Most read" in p or "Facebook" in p or "1,204" in p for p in a.body)


def test_html_page_with_two_articles() -> None:
    two = HTML.replace("</article>", "</article><article><h1>Second Story</h1>"
                       "<p>A second story body with enough words to count as a real paragraph of news.</p>"
                       "</article>", 1)
    arts = parse_page(page(two, "p.html", "text/html"))
    assert [a.headline for a in arts] == ["Leaders Meet in Testville", "Second Story"]


@pytest.mark.parametrize("content, reason", [
    (b"", "empty"),
    (b"   \n\n  ", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
    ("Caf\u00e9 na\u00efve".encode("latin-1") * 50, "UTF-8"),
    (b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "no article"),
])
def test_unreadable_pages_raise_parse_error_naming_the_page(content: bytes, reason: str) -> None:
    raw = RawPage(source="/in/bad.txt", name="bad.txt", content=content, media_type="text/plain",
                  fetched_at="2026-01-01T00:00:00Z")
    with pytest.raises(ParseError) as err:
        parse_page(raw)
    assert reason in str(err.value)
    assert "/in/bad.txt" in str(err.value)


@pytest.mark.skipif(not DEV_CORPUS.is_dir(), reason="shared corpus not present")
def test_every_dev_page_splits_into_its_gold_headlines() -> None:
    for path in sorted(DEV_CORPUS.iterdir()):
        if path.suffix not in (".txt", ".html"):
            continue
        gold = json.loads(path.with_name(path.stem + ".gold.json").read_text(encoding="utf-8"))
        mt = "text/html" if path.suffix == ".html" else "text/plain"
        arts = parse_page(RawPage(source=str(path), name=path.name, content=path.read_bytes(), media_type=mt,
                                  fetched_at="2026-01-01T00:00:00Z"))
        assert [a.headline for a in arts] == [g["headline"] for g in gold["articles"]], path.name
