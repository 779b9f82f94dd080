"""Properties: any text can be looked up safely, and no link is ever of the wrong type."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsgraph._models import NIL
from newsgraph.link._names import norm, variants

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)
KINDS = st.sampled_from(["person", "state", "place", "organization"])
ODD = st.sampled_from(['Jordan"', "O'Neil \\", "Georgia\n", "“Assad”", "al-Sharaa’s", "ISIS.", "  Chad  ",
                       "{Turkey}", "Iran@en", "<Syria>", "Türkiye", "Erdoğan"])


@given(TEXT, KINDS)
def test_variants_are_few_and_bounded(form, kind):
    out = variants(form, kind, titles=["King", "President", "Sheikh"])
    assert len(out) <= 12
    assert all(0 < len(v) <= 200 for v in out)
    assert len(set(out)) == len(out)


@given(TEXT)
def test_norm_is_idempotent(text):
    assert norm(norm(text)) == norm(text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(forms=st.lists(st.one_of(TEXT, ODD), min_size=1, max_size=4), kind=KINDS)
def test_any_text_links_to_nil_or_an_item_of_its_kind(make, sparql_url, ent, art, forms, kind):
    linker = make(sparql=sparql_url)
    e = ent(kind, *forms)
    linker(art(e))
    assert e.link is not None and not e.link.needs_relink, e.link
    if e.link.qid != NIL:
        (top,) = [c for c in e.link.candidates if c.qid == e.link.qid]
        assert top.score >= 0.7
