"""The indexed attribute ruler finds exactly the stock ``AttributeRuler``'s matches.

Compared match for match (the same tuples in the same order) and annotation for annotation (tag,
POS, morphology, lemma, dependency), on texts that reach every kind of pattern in the model -
single tokens by tag, by word, by word in a list, by dependency, several tokens, regular
expressions, alternatives - and on the dev corpus's pages.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.pipeline import AttributeRuler

from newsgraph.extract._attribute_ruler import IndexedAttributeRuler, index_attribute_ruler
from newsgraph.settings import load_settings

DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "corpus" / "dev"

#: Sentences that reach the model's rarer patterns: contractions ("ain't", "gonna", "gotta",
#: "y'all", "nothin'", "c'mon", "let's"), "there is" (expl + verb), gets/got, pronouns in subject
#: and object position, auxiliaries, "that" as determiner and relative, whitespace tokens.
TEXTS = [
    "I ain't gonna lie: y'all gotta see this, 'cause there's nothin' like it. C'mon, let's go!",
    "She gets what she wants and he got nothing; it was them, not us, who'd done it.",
    "There are talks in Geneva. There were none before. It's said that this is what those want.",
    "You told me you'd come, and I believe you.  They have done it themselves.\n\nWe do. Does it?",
    "The president, who had met his counterpart, said that the deal, which was signed, is final.",
    "Gon na, got ta, ol' somethin' 'em 'll 'nuff doin' goin' - AI can't, won't, shan't, ca n't.",
    "A text that ends on the first word of a two-word pattern: gon",  # nothing past the last token
]


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    try:
        return spacy.load(load_settings().spacy_model)
    except OSError as exc:
        pytest.skip(f"spaCy model missing: {exc}")


def _indexed_copy(stock: AttributeRuler) -> IndexedAttributeRuler:
    fast = IndexedAttributeRuler(stock.vocab)
    fast.add_patterns(stock.patterns)
    return fast


def _texts() -> list[str]:
    pages = sorted(DEV.glob("*.txt"))[:12] if DEV.is_dir() else []
    return TEXTS + [p.read_text(encoding="utf-8", errors="replace") for p in pages]


def test_the_same_matches_in_the_same_order_as_the_stock_ruler(nlp) -> None:  # type: ignore[no-untyped-def]
    stock = nlp.get_pipe("attribute_ruler")
    fast = _indexed_copy(stock)
    docs = list(nlp.pipe(_texts(), disable=["attribute_ruler", "lemmatizer", "ner"]))
    matched_patterns: set[int] = set()
    for doc in docs:
        expected = stock.match(doc)
        assert fast.match(doc) == expected, doc.text[:60]
        matched_patterns |= {n for n, *_ in expected}
    # the texts reach the multi-token, regular-expression and alternative patterns, not just tags
    multi = {i for i, p in enumerate(stock.patterns) if any(len(alt) > 1 for alt in p["patterns"])}
    regex = {i for i, p in enumerate(stock.patterns) if "REGEX" in str(p["patterns"])}
    alternatives = {i for i, p in enumerate(stock.patterns) if len(p["patterns"]) > 1}
    assert multi & matched_patterns and regex & matched_patterns and alternatives & matched_patterns


def test_a_pipeline_with_the_index_annotates_every_token_alike(nlp) -> None:  # type: ignore[no-untyped-def]
    texts = _texts()
    expected = [[(t.tag_, t.pos_, str(t.morph), t.lemma_, t.dep_) for t in d] for d in nlp.pipe(texts)]
    swapped = spacy.load(load_settings().spacy_model)
    index_attribute_ruler(swapped)
    assert isinstance(swapped.get_pipe("attribute_ruler"), IndexedAttributeRuler)
    assert swapped.pipe_names == nlp.pipe_names
    assert swapped.get_pipe("attribute_ruler").patterns == nlp.get_pipe("attribute_ruler").patterns
    got = [[(t.tag_, t.pos_, str(t.morph), t.lemma_, t.dep_) for t in d] for d in swapped.pipe(texts)]
    assert got == expected


def test_patterns_the_index_cannot_read_still_match(nlp) -> None:  # type: ignore[no-untyped-def]
    """Operators and other attributes go to a Matcher of their own; a word by regular expression or
    NOT_IN is checked at every token. Either way the matches are the stock ones."""
    unreadable = [
        {"patterns": [[{"LOWER": "very", "OP": "+"}, {"POS": "ADJ"}]], "attrs": {"LEMMA": "VERY"}},
        {"patterns": [[{"LENGTH": 7, "TAG": "NNP"}]], "attrs": {"MORPH": "Long=Yes"}},
        {"patterns": [[{"TAG": "NN"}, {"IS_PUNCT": True}]], "attrs": {"LEMMA": "END"}},
    ]
    scanned = [
        {"patterns": [[{"TAG": "NN", "LOWER": {"NOT_IN": ["deal", "talks"]}}]], "attrs": {"LEMMA": "THING"}},
        {"patterns": [[{"TAG": "NN", "LOWER": {"REGEX": "^d"}}, {"LOWER": ","}]], "attrs": {"LEMMA": "D"}},
    ]
    stock = AttributeRuler(nlp.vocab)
    stock.add_patterns(nlp.get_pipe("attribute_ruler").patterns + unreadable + scanned)
    fast = _indexed_copy(stock)
    docs = list(nlp.pipe(TEXTS + ["A very very good deal, signed by Ukraine's Zelensky on a damp day, in time."]))
    for doc in docs:
        assert fast.match(doc) == stock.match(doc)
    assert fast._index is not None and len(fast._index.rest) == len(unreadable)
    new = {len(stock.patterns) - k for k in range(1, 6)}
    assert new <= {n for doc in docs for n, *_ in stock.match(doc)}  # each extra pattern matched somewhere


def test_patterns_added_later_are_found(nlp) -> None:  # type: ignore[no-untyped-def]
    fast = _indexed_copy(nlp.get_pipe("attribute_ruler"))
    doc = nlp("Ukraine and Poland signed a deal.")
    before = fast.match(doc)
    fast.add([[{"LOWER": "deal"}]], {"LEMMA": "agreement"})
    after = fast.match(doc)
    assert len(after) == len(before) + 1 and after[-1][2:] == (5, 6)
    fast.set_annotations(doc, after)
    assert doc[5].lemma_ == "agreement"
    fast.clear()
    assert fast.match(doc) == []
