"""Property: whatever bytes arrive, parsing either yields articles or raises ParseError — never
another exception, never a hang."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsgraph import RawPage
from newsgraph.errors import ParseError
from newsgraph.parse import parse_page


def raw(content: bytes, media_type: str = "text/plain") -> RawPage:
    return RawPage(source="/in/x", name="x.txt", content=content, media_type=media_type,
                   fetched_at="2026-01-01T00:00:00Z")


def parse_or_reason(page: RawPage) -> str | int:
    try:
        return len(parse_page(page))
    except ParseError as exc:
        assert str(exc).startswith("/in/x: ")
        return exc.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096), st.sampled_from(["text/plain", "text/html"]))
def test_random_bytes_never_crash(content: bytes, media_type: str) -> None:
    parse_or_reason(raw(content, media_type))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=3000), st.integers(min_value=0, max_value=3))
def test_truncated_utf8_and_mixed_encodings_never_crash(text: str, cut: int) -> None:
    data = text.encode("utf-8")
    parse_or_reason(raw(data[: max(0, len(data) - cut)]))
    parse_or_reason(raw(text.encode("utf-8", "ignore")[:1000] + text.encode("latin-1", "ignore")))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=200),
                min_size=1, max_size=30))
def test_any_text_layout_parses_or_is_set_aside(paragraphs: list[str]) -> None:
    result = parse_or_reason(raw("\n\n".join(paragraphs).encode("utf-8")))
    assert isinstance(result, (int, str))


@pytest.mark.parametrize("depth", [2_000, 50_000])
def test_deeply_nested_html_is_bounded(depth: int) -> None:
    html = ("<html><body><article><h1>Deep</h1>" + "<div>" * depth + "<p>" + "word " * 30 + "</p>"
            + "</div>" * depth + "</article></body></html>").encode()
    parse_or_reason(raw(html, "text/html"))


def test_page_in_another_language_is_read_as_text() -> None:
    body = ("Заголовок новости\n\nПрезидент встретился с министром иностранных дел в столице "
            "в понедельник, сообщили официальные лица после переговоров.")
    assert parse_or_reason(raw(body.encode("utf-8"))) == 1
