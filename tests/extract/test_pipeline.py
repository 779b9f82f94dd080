"""The extractor is a stock spaCy pipeline plus newsgraph's components, registered by name."""
from __future__ import annotations

from spacy.language import Language

from newsgraph._models import Article


def test_components_are_registered_by_name() -> None:
    import newsgraph.extract  # noqa: F401  (registers the factories)

    for name in ("newsgraph_paragraphs", "newsgraph_gazetteer", "newsgraph_dates"):
        assert Language.has_factory(name)


def test_components_sit_around_the_stock_pipeline(extractor) -> None:  # type: ignore[no-untyped-def]
    names = extractor.nlp.pipe_names
    assert names.index("newsgraph_paragraphs") < names.index("parser")
    assert names.index("ner") < names.index("newsgraph_gazetteer") < names.index("newsgraph_dates")


def test_a_batch_fills_every_article_in_place(extractor) -> None:  # type: ignore[no-untyped-def]
    arts = [Article(id=str(i), headline="News", body=[f"Kenyan President William Ruto visited Oslo on day {i}."])
            for i in range(5)]
    out = extractor(arts)
    assert out is arts
    assert all(a.extractor and any(e.name == "Kenya" for e in a.entities) for a in arts)


def test_every_event_keeps_its_evidence(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Gabriel Boric met Javier Milei in Santiago on Monday.", published="2024-03-05")
    for ev in art.events + art.non_events:
        assert ev.evidence
        e = ev.evidence[0]
        assert art.text[e.start:e.end].strip() == e.sentence
        assert e.rule and 0 < e.confidence <= 1


def test_odd_articles_do_not_break_the_batch(extractor) -> None:  # type: ignore[no-untyped-def]
    arts = [
        Article(id="a", headline="", body=[""]),
        Article(id="b", headline="Only A Headline", body=[]),
        Article(id="c", headline="x", body=["\u0627\u0644\u0631\u0626\u064a\u0633 " * 50]),
        Article(id="d", headline="x", body=["Talks, talks, talks; met met met. " * 200]),
        Article(id="e", headline="x", body=["On Friday.", "Last June.", "22 at a"],
                captions=[], published="not a date"),
    ]
    out = extractor(arts)
    assert [a.extractor is not None for a in out] == [True] * 5


def test_an_overlong_article_is_read_up_to_spacys_limit(extractor) -> None:  # type: ignore[no-untyped-def]
    limit = extractor.nlp.max_length
    try:
        extractor.nlp.max_length = 200
        art = Article(id="long", headline="x", body=["Gabriel Boric met Javier Milei in Lima. " * 20])
        extractor([art])
        assert art.extractor is not None
        assert all(m.end <= 200 for e in art.entities for m in e.mentions)
    finally:
        extractor.nlp.max_length = limit


def test_a_missing_model_is_a_readable_error() -> None:
    import pytest

    from newsgraph.errors import ExtractionError
    from newsgraph.extract import make_extractor

    with pytest.raises(ExtractionError, match="no_such_model_xyz"):
        make_extractor(model="no_such_model_xyz")


def test_the_loaded_model_is_left_out_of_the_cyclic_collector() -> None:
    """Loading the extractor (once a process) freezes what the process holds by then, the model's
    objects above all: the collector's full passes stop walking them batch after batch."""
    import subprocess
    import sys

    code = ("import gc\n"
            "from newsgraph.pipeline import get_extractor\n"
            "from newsgraph.settings import load_settings\n"
            "before = gc.get_freeze_count()\n"
            "get_extractor(load_settings().spacy_model)\n"
            "print(before, gc.get_freeze_count(), len(gc.get_objects()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    before, frozen, tracked = map(int, out.stdout.split())
    assert before == 0
    assert frozen > 50_000  # the model, spaCy and its libraries
    assert tracked < frozen // 10  # what the collector still walks
