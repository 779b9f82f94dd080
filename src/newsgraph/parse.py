"""Parse: a fetched page -> its articles.

Contract: ``parse_page(RawPage) -> list[Article]``; reads ``page.content``/``media_type``, writes
nothing. Raises :class:`ParseError` (with the page's source) when the page holds no article.

Text pages (the scraper layout of FORMAT.md): articles are separated by three blank lines; each
repeats its headline and photo caption and carries share-widget residue ("TT", a bare share
count). We keep one headline, the caption(s) as metadata with their credit split off, and the
body paragraphs. HTML pages: each ``<article>`` element (or the whole page when there is none)
is read with trafilatura, a well-kept article extractor; headline, caption and ``<time>`` come
from the markup.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from ._models import Article, Caption, RawPage
from .errors import ParseError

MAX_PAGE_CHARS = 5_000_000  # a page beyond this is not an article page
#: The longest article text fed to spaCy (long news features are ~40,000). Extraction time grows with
#: the text (faster than linearly when a text has no sentence breaks), so this bounds the time per article.
MAX_ARTICLE_CHARS = 100_000

_ARTICLE_SEP = re.compile(r"\n[ \t]*\n[ \t]*\n[ \t]*\n+")  # three or more blank lines
_SHARE_RESIDUE = re.compile(r"^(TT|T T|Share|SHARE|\d{1,3}(?:[,.]\d{3})*|\d+(?:\.\d+)?[KkMm])$")
_CREDIT = re.compile(r"\s*\(([^()]{2,200})\)\s*$")
_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}
_MONTH_RE = "(" + "|".join(m.capitalize() for m in _MONTHS) + r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
_DATE_MDY = re.compile(_MONTH_RE + r"\s+(\d{1,2}),?\s+(\d{4})")
_DATE_DMY = re.compile(r"\b(\d{1,2})\s+" + _MONTH_RE + r",?\s+(\d{4})")


def _month(name: str) -> int:
    name = name.lower().rstrip(".")
    for full, num in _MONTHS.items():
        if full.startswith(name):
            return num
    raise ValueError(name)


def find_absolute_date(text: str) -> str | None:
    """The last absolute calendar date ("February 3, 2023", "4 February 2025") in ``text``, ISO."""
    found: list[tuple[int, str]] = []
    for m in _DATE_MDY.finditer(text):
        try:
            found.append((m.start(), date(int(m.group(3)), _month(m.group(1)), int(m.group(2))).isoformat()))
        except ValueError:
            pass
    for m in _DATE_DMY.finditer(text):
        try:
            found.append((m.start(), date(int(m.group(3)), _month(m.group(2)), int(m.group(1))).isoformat()))
        except ValueError:
            pass
    return max(found)[1] if found else None


def split_caption(line: str) -> Caption:
    """Split a photo caption into its text and its trailing parenthesised credit."""
    text, credit = line.strip(), None
    m = _CREDIT.search(text)
    if m and not re.fullmatch(r"[RL]|[RL] and [RL]|left|right|center|C", m.group(1).strip()):
        credit = m.group(1).strip()
        text = text[: m.start()].rstrip()
    return Caption(text=text, credit=credit, date=find_absolute_date(text))


def _looks_like_caption(line: str) -> bool:
    return bool(_CREDIT.search(line)) and len(line) > 40


def _paragraphs(chunk: str) -> list[str]:
    return [" ".join(p.split()) for p in chunk.split("\n") if p.strip()]


def split_text_article(chunk: str) -> tuple[str, list[Caption], list[str]] | None:
    """One article's chunk of a text page -> (headline, captions, body paragraphs)."""
    paras = _paragraphs(chunk)
    if not paras:
        return None
    headline = paras[0]
    rest = paras[1:]
    # The header region ends after the last repeat of the headline, or after the share residue.
    header_end = 0
    for i, p in enumerate(rest):
        if p == headline or _SHARE_RESIDUE.match(p):
            header_end = i + 1
    seen_caption_lines: list[str] = []
    body: list[str] = []
    for i, p in enumerate(rest):
        if p == headline or _SHARE_RESIDUE.match(p):
            continue
        in_header = i < header_end
        if p in seen_caption_lines:
            continue  # the caption's scraped repeat
        if in_header or (not body and _looks_like_caption(p) and rest.count(p) > 1):
            seen_caption_lines.append(p)
            continue
        if not body and not seen_caption_lines and _looks_like_caption(p) and len(rest) > 1:
            seen_caption_lines.append(p)  # a single caption with no repeat, straight under the headline
            continue
        body.append(p)
    captions = [split_caption(c) for c in seen_caption_lines]
    return headline, captions, body


def parse_text_page(text: str) -> list[tuple[str, list[Caption], list[str], str | None]]:
    out: list[tuple[str, list[Caption], list[str], str | None]] = []
    for chunk in _ARTICLE_SEP.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        parts = split_text_article(chunk)
        if parts and _is_article_body(parts[2]):
            out.append((*parts, None))
    return out


def parse_html_page(markup: str) -> list[tuple[str, list[Caption], list[str], str | None]]:
    import trafilatura
    from lxml import etree
    from lxml import html as lxml_html

    try:
        doc = lxml_html.document_fromstring(markup)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"malformed HTML: {exc}") from exc
    for bad in doc.xpath("//script|//style|//noscript|//nav|//footer|//aside|//form"):
        bad.getparent().remove(bad)
    nodes = doc.xpath("//article[not(ancestor::article)]") or [doc]
    page_title = " ".join(doc.xpath("string(//title)").split()) or None
    out = []
    for node in nodes:
        headline = ""
        for xp in (".//h1", ".//h2", ".//header//*[contains(@class,'title')]"):
            found = node.xpath(xp)
            if found:
                headline = " ".join(found[0].text_content().split())
                break
        captions = [split_caption(" ".join(fc.text_content().split())) for fc in node.xpath(".//figcaption")]
        published = None
        for dt in node.xpath(".//time/@datetime") + doc.xpath(
            "//meta[@property='article:published_time']/@content|//meta[@name='date']/@content"
        ):
            m = re.match(r"(\d{4}-\d{2}-\d{2})", dt.strip())
            if m:
                published = m.group(1)
                break
        fragment = "<html><body>" + lxml_html.tostring(node, encoding="unicode") + "</body></html>"
        result = trafilatura.bare_extraction(
            fragment, include_comments=False, include_tables=False, include_images=False,
            with_metadata=False, favor_precision=True,
        )
        text = getattr(result, "text", None) if result is not None else None
        if not text:
            continue
        caption_texts = {" ".join(c.text.split()) for c in captions}
        body = [p for p in _paragraphs(text)
                if p != headline and split_caption(p).text not in caption_texts and not _SHARE_RESIDUE.match(p)]
        if not headline:
            headline = page_title or (body[0][:120] if body else "")
        if _is_article_body(body):
            out.append((headline, captions, body, published))
    return out


MIN_BODY_WORDS = 12


def _words(paragraph: str) -> int:
    """Words in a paragraph; in scripts written without spaces (Chinese, Japanese) two characters count as one."""
    return len(paragraph.split()) + sum(1 for ch in paragraph if "\u3040" <= ch <= "\u9fff") // 2


def _is_article_body(body: list[str]) -> bool:
    """Enough running text to be an article (not a menu, a stub or a lone line)."""
    return sum(_words(p) for p in body) >= MIN_BODY_WORDS


def decode_page(page: RawPage) -> str:
    """The page's text; ParseError for empty, binary or undecodable content."""
    data = page.content
    if not data.strip():
        raise ParseError("empty page", source=page.source)
    if b"\x00" in data[:8192]:
        raise ParseError("binary content, not a text or HTML page", source=page.source)
    if len(data) > MAX_PAGE_CHARS * 4:
        raise ParseError(f"page is {len(data) // 1_000_000} MB, over the {MAX_PAGE_CHARS * 4 // 1_000_000} MB cap",
                         source=page.source)
    charset = None
    ctype = page.http.get("content-type", "")
    m = re.search(r"charset=([\w-]+)", ctype)
    if m:
        charset = m.group(1)
    for enc in [e for e in (charset, "utf-8") if e]:
        try:
            text = data.decode(enc)
            break
        except (LookupError, UnicodeDecodeError):
            continue
    else:
        raise ParseError("not valid UTF-8 text (and no charset declared)", source=page.source)
    text = text.lstrip("\ufeff")
    bad = sum(1 for c in text[:20000] if (ord(c) < 32 and c not in "\n\r\t") or c == "\ufffd")
    if bad > 10:
        raise ParseError("binary or garbled content, not a text page", source=page.source)
    return text


def is_html(page: RawPage, text: str) -> bool:
    if "html" in page.media_type:
        return True
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or "<body" in head


def parse_page(page: RawPage) -> list[Article]:
    """Split a page into articles, with stable ids. Raises ParseError when it holds none."""
    text = decode_page(page)
    try:
        raw = parse_html_page(text) if is_html(page, text) else parse_text_page(text)
    except ParseError as exc:
        exc.source = exc.source or page.source  # every error names its input
        raise
    if not raw:
        raise ParseError("no article found on the page", source=page.source)
    articles = []
    for i, (headline, captions, body, published) in enumerate(raw):
        size = len(headline) + sum(len(c.text) for c in captions) + sum(len(p) + 2 for p in body)
        if size > MAX_ARTICLE_CHARS:
            raise ParseError(f"article {i + 1} is {size:,} characters, over the {MAX_ARTICLE_CHARS:,} cap for "
                             "one article", source=page.source)
        articles.append(Article(
            id=Article.make_id(headline, body), headline=headline, body=body, captions=captions,
            published=published, page_name=page.name, page_sha256=page.sha256, source=page.source,
            index=i, fetched_at=page.fetched_at,
        ))
    return articles


def parse_pages(pages: Iterable[RawPage]) -> Iterable[Article]:
    for page in pages:
        yield from parse_page(page)
