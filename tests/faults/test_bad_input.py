"""Bad input through the whole pipeline (fetch -> parse -> extract -> map/SHACL -> load): no crash, no
hang, a reason recorded for every page set aside, every other page read.

Two parts: the corpus of nasty pages in tests/nasty/ (plus a few made here because they are big)
through the real `ingest` flow, and a property test (hypothesis) that runs generated pages through
every stage function. Time per page is bounded in the code, not by a timer here: the fetch cap
(20 MB), the page cap (parse.MAX_PAGE_CHARS) and the per-article cap on what reaches spaCy
(parse.MAX_ARTICLE_CHARS).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsgraph._models import RawPage
from newsgraph.parse import MAX_ARTICLE_CHARS
from newsgraph.pipeline import extract_articles, load_graphs, map_articles, parse_pages
from newsgraph.settings import Settings
from newsgraph.store import open_store

NASTY = Path(__file__).resolve().parents[1] / "nasty"

READ = {"good.txt", "russian.txt", "arabic.txt", "chinese.html", "numbers-only.txt", "processing-instruction.html",
        "right-to-left-override.txt", "unclosed-tags.html", "many-articles.txt"}
SET_ASIDE = {  # file -> words its reason must contain
    "random-bytes.txt": "binary", "nul-bytes.txt": "binary", "utf16-bom.txt": "binary",
    "truncated-utf8.txt": "UTF-8", "mixed-encodings.txt": "UTF-8", "empty.txt": "empty", "whitespace-only.txt": "empty",
    "no-sentences.txt": "no article", "only-markup.html": "no article",
    "huge.txt": "cap", "no-breaks.txt": "cap for one article", "xml-bomb.xml": "XML bomb", "xxe.xml": "XML bomb",
    "not-a-feed.xml": "not an RSS/Atom feed",
}
FEED_ITEMS = {"http://127.0.0.1:9/admin": "loopback", "file://etc/passwd": "only http and https"}  # as feedparser gives it


def nasty_inputs(folder: Path) -> Path:
    shutil.copytree(NASTY, folder)
    with open(folder / "huge.txt", "wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # 200 MB on paper, no disk used
    depth = 50_000
    (folder / "deep.html").write_text("<html><body><article><h1>Deep</h1>" + "<div>" * depth + "<p>"
                                      + "word " * 30 + "</p>" + "</div>" * depth + "</article></body></html>")
    (folder / "no-breaks.txt").write_text("Endless\n\n" + " ".join(["minister met president in capital"] * 30_000))
    good = (NASTY / "good.txt").read_text(encoding="utf-8")
    (folder / "many-articles.txt").write_text("\n\n\n\n".join(good.replace("Friday", f"day {i}") for i in range(30)))
    return folder


@pytest.mark.slow
def test_nasty_pages_through_ingest(prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.ingest import ingest

    monkeypatch.setenv("NEWSGRAPH_LINKING", "off")
    monkeypatch.setenv("NEWSGRAPH_STORE", "embedded")
    inputs = nasty_inputs(tmp_path / "in")
    data = tmp_path / "data"
    summary = ingest(sources=[str(inputs)], data_dir=str(data), linking=False, publish_report=False)

    aside: dict[str, list[str]] = {}
    for item in summary["set_aside"]:
        name = item["source"] if item["source"] in FEED_ITEMS else Path(item["source"]).name
        aside.setdefault(name, []).append(item["reason"])
    assert all(len(reasons) == 1 and reasons[0] for reasons in aside.values()), aside  # one reason each
    for name, words in {**SET_ASIDE, **FEED_ITEMS}.items():
        assert name in aside and words in aside[name][0], (name, sorted(aside))
    quarantined = {Path(str(r)).name for r in (data / "quarantine").glob("*.json")}
    assert len(quarantined) == len(summary["set_aside"])

    with open_store(Settings(data_dir=data), read_only=True) as store:
        rows = store.query("SELECT DISTINCT ?source WHERE { ?a ng:page ?p . ?p ng:source ?source }").values("source")
    read = {Path(str(s)).name for s in rows}
    assert READ <= read, READ - read
    assert not read & set(aside)  # each page is read or set aside, never both
    pages = {p.name for p in inputs.iterdir() if p.suffix in (".txt", ".html")}
    assert pages == read | (set(aside) & pages)  # and never neither
    assert summary["articles"] >= len(READ) + 29


# ---- property: generated pages through every stage ---------------------------------------------
WORDS = st.sampled_from(["the", "minister", "met", "president", "of", "Egypt", "Jordan", "Iran", "in", "Cairo", "Tehran", "signed", "an", "agreement", "attack", "killed", "12", "people", "on", "Friday", "said", "officials", '"}', ";", "DROP", "ALL", ";", "#", "\x00", "O'Neil", "Ünïcødé", "北京", "مصر", "\u202e", "\ufeff"])
SENTENCE = st.lists(WORDS, min_size=1, max_size=25).map(lambda ws: " ".join(ws) + st_choice_end(ws))


def st_choice_end(ws: list[str]) -> str:
    return "." if len(ws) % 3 else ""  # some paragraphs have no sentence break at all


TEXT_PAGE = st.lists(st.lists(SENTENCE, min_size=1, max_size=4).map(" ".join), min_size=1, max_size=6).map(
    lambda ps: "\n\n".join(ps))
HTML_PAGE = TEXT_PAGE.map(lambda t: "<html><body><article><h1>" + t.split("\n")[0][:80] + "</h1>"
                          + "".join(f"<p>{p}</p>" for p in t.split("\n\n")) + "</article></body></html>")


@st.composite
def page_bytes(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["text", "html", "random", "truncated", "mixed"]))
    if kind == "random":
        return draw(st.binary(max_size=2048)), "text/plain"
    text = draw(HTML_PAGE if kind == "html" else TEXT_PAGE)
    data = text.encode("utf-8")
    if kind == "truncated":
        data = data[: draw(st.integers(0, len(data)))]
    if kind == "mixed":
        data = data + text.encode("latin-1", "replace")
    return data, "text/html" if kind == "html" else "text/plain"


@pytest.fixture(scope="module")
def pipeline_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("prop"), store="memory", linking=False)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(page_bytes(), min_size=1, max_size=4))
def test_any_pages_are_read_or_set_aside_with_a_reason(pipeline_settings: Settings,
                                                       pages: list[tuple[bytes, str]]) -> None:
    raw = [RawPage(source=f"/in/p{i}", name=f"p{i}.txt", content=c, media_type=m, fetched_at="2026-01-01T00:00:00Z")
           for i, (c, m) in enumerate(pages)]
    parsed = parse_pages(pipeline_settings, raw)
    assert parsed.pages_read + len(parsed.set_aside) == len(raw)
    assert all(s.reason and s.source.startswith("/in/p") for s in parsed.set_aside)
    assert all(len(a.text) <= MAX_ARTICLE_CHARS + 1000 for a in parsed.articles)
    articles = extract_articles(pipeline_settings, parsed.articles)
    mapped = map_articles(pipeline_settings, articles, extracted_at="2026-01-01T00:00:00Z")
    assert len(mapped.graphs) + len(mapped.set_aside) == len(articles)
    assert all(s.reason for s in mapped.set_aside)
    written, _size = load_graphs(pipeline_settings, mapped.graphs)
    assert (written > 0) == bool(mapped.graphs)
