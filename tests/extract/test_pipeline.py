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
