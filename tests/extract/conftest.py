from __future__ import annotations

from collections.abc import Callable

import pytest

from newsgraph._models import Article, Caption

spacy = pytest.importorskip("spacy")


@pytest.fixture(scope="session")
def extractor():  # type: ignore[no-untyped-def]
    from newsgraph.errors import ExtractionError
    from newsgraph.extract import make_extractor
    from newsgraph.settings import load_settings

    try:
        return make_extractor(model=load_settings().spacy_model)
    except ExtractionError as exc:  # the model package is not installed
        pytest.skip(f"spaCy model missing: {exc}")


@pytest.fixture(scope="session")
def read(extractor) -> Callable[..., Article]:  # type: ignore[no-untyped-def]
    """Extract one article made of a body (and optionally a headline, caption, publication date)."""

    def _read(*body: str, headline: str = "World news", caption: str | None = None,
              caption_date: str | None = None, published: str | None = None) -> Article:
        captions = [Caption(text=caption, date=caption_date)] if caption else []
        art = Article(id="t", headline=headline, body=list(body), captions=captions, published=published)
        return extractor([art])[0]

    return _read
