"""Linking decisions against the real subset served by oxigraph (SPARQL only, as the evaluation runs)."""
from __future__ import annotations

import pytest

from newsgraph._models import NIL


@pytest.fixture
def linker(make, sparql_url):
    return make(sparql=sparql_url)


def link(linker, art, *entities):
    linker(art(*entities))
    return [e.link for e in entities]


@pytest.mark.parametrize("kind, mentions, qid", [
    ("state", ["Jordan", "Jordanian"], "Q810"),
    ("state", ["Georgia"], "Q230"),
    ("place", ["Georgia"], "Q1428"),  # the US state is a place, not a sovereign state
    ("state", ["Chad", "Chadian"], "Q657"),
    ("state", ["Niger"], "Q1032"),
    ("state", ["Nigeria", "Nigerian"], "Q1033"),
    ("state", ["Turkish", "Ankara"], "Q43"),  # demonym and capital-as-metonym
    ("state", ["Moscow"], "Q159"),
    ("state", ["Copenhagen"], "Q35"),  # not the Danish Realm, whose capital it also is
    ("state", ["Türkiye"], "Q43"),
    ("state", ["Iranians"], "Q794"),
    ("state", ["U.S."], "Q30"),
    ("organization", ["U.N."], "Q1065"),
    ("place", ["Kurdistan region"], "Q205047"),  # case differs from the label
    ("place", ["Gulf"], "Q34675"),  # alias "the Gulf"
    ("organization", ["ISIS"], "Q2429253"),
    ("person", ["Recep Tayyip Erdoğan", "Erdogan"], "Q39259"),
    ("person", ["Nicolas Maduro", "Maduro"], "Q58132"),  # not his son Maduro Guerra
    ("person", ["Ahmed al-Sharaa", "Sharaa"], "Q7934206"),
    ("person", ["Hafez al-Assad"], "Q118725"),
    ("person", ["Bashar al-Assad", "Assad"], "Q44329"),
    ("person", ["President Erdogan"], "Q39259"),
    ("person", ["Jordanian King Abdullah II"], "Q57464"),  # a title extraction left on the name
    ("person", ["Qatari Emir Tamim bin Hamad Al Thani"], "Q1855372"),
    ("person", ["Mohammed bin Zayed Al Nahyan"], "Q1951896"),  # Wikidata spells it "Mohamed"
])
def test_links_in_context(linker, ent, art, kind, mentions, qid):
    (got,) = link(linker, art, ent(kind, *mentions))
    assert got.qid == qid, got
    assert got.method.startswith("sparql:")
    assert got.candidates and got.candidates[0].qid == qid and got.score > 0


def test_one_word_names_need_the_article(linker, ent, art):
    """'Salman' and 'Abdullah' alone name a king only when the article says which state."""
    salman, saudi = ent("person", "Salman"), ent("state", "Saudi Arabia")
    abdullah, jordan = ent("person", "Abdullah"), ent("state", "Jordan")
    link(linker, art, salman, saudi, abdullah, jordan)
    assert salman.link.qid == "Q367825"  # King Salman, not the crown prince of Bahrain
    assert abdullah.link.qid == "Q57464"


def test_role_and_role_of_choose_between_namesakes(linker, ent, art):
    salman = ent("person", "Salman", roles=["crown prince"], role_of="Bahrain")
    (got,) = link(linker, art, salman)
    assert got.qid == "Q58140", got


def test_role_of_a_different_state_counts_against(linker, ent, art):
    (got,) = link(linker, art, ent("person", "Assad", roles=["president"], role_of="Venezuela"))
    assert got.qid == NIL


@pytest.mark.parametrize("kind, mentions", [
    ("person", ["Mohammed bin Salman", "Mohammed"]),  # not King Salman, whatever "Salman" says
    ("person", ["Hassan Rouhani", "Rouhani"]),  # not in the subset
    ("person", ["Hussein"]),  # Jordan's crown prince, not Saddam Hussein
    ("person", ["Sabah al-Ahmad al-Sabah"]),  # not Mishal al-Ahmad al-Jaber al-Sabah
    ("person", ["Jordan"]),  # a country or a river, never a person here
    ("organization", ["Emirates"]),  # the airline; "Emirates" is an alias of the UAE (a state)
    ("organization", ["Hezbollah"]),  # not "Turkish Hezbollah"
    ("place", ["Sochi"]),
    ("place", ["Jordan"]),  # the state's label, only an alias of the river
    ("state", ["White House"]),  # a place is not a state
])
def test_nil_rather_than_the_nearest_item(linker, ent, art, kind, mentions):
    jordan = ent("state", "Jordan")
    (got, _) = link(linker, art, ent(kind, *mentions), jordan)
    assert got.qid == NIL, got
    assert got.method.startswith("nil:") and not got.needs_relink


def test_wrong_type_is_kept_visible_but_never_accepted(linker, ent, art):
    (got,) = link(linker, art, ent("person", "Jordan"))
    assert got.qid == NIL and "wrong type" in got.method
    assert {c.qid for c in got.candidates} >= {"Q810"}
    assert all(c.score == 0.0 for c in got.candidates)


def test_predict_does_not_write(linker, ent, art):
    a = art(ent("state", "Syria"))
    (links,) = linker.predict([a])
    assert links[0].qid == "Q858" and a.entities[0].link is None


def test_surname_borrows_the_fuller_name_of_the_article(linker, ent, art):
    """'Lukashenko' alone and 'Alexander Lukashenko' as separate entities (extraction did not merge)."""
    full, short = ent("person", "Alexander Lukashenko"), ent("person", "Lukashenko")
    link(linker, art, full, short)
    assert full.link.qid == short.link.qid == "Q2866"
