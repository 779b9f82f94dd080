"""The shipped state gazetteer covers the world, not one corpus."""
from __future__ import annotations

from newsgraph.extract._gazetteer import load_gazetteer


def test_covers_all_sovereign_states() -> None:
    g = load_gazetteer()
    assert len(g.names) >= 190
    with_demonym = {f.qid for f in g.forms if f.via == "demonym"}
    assert len(with_demonym) >= 180


def test_forms_point_at_wikidata_names() -> None:
    forms = load_gazetteer().by_text()
    assert forms["Venezuelan"].state == "Venezuela"
    assert forms["Turkey"].state == forms["Türkiye"].state == "Türkiye"
    assert forms["US"].state == "United States of America"
    assert forms["Emiratis"].state == "United Arab Emirates"
    assert forms["Ankara"].via == "capital" and forms["Ankara"].place == "Ankara"
    assert forms["Kremlin"].via == "seat"


def test_a_form_two_states_share_is_left_out() -> None:
    assert "Dominican" not in load_gazetteer().by_text()
