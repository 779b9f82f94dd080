"""The state gazetteer: every sovereign state by name, demonym, capital and seat of government.

Loaded from the package data ``data/states.json`` (built by ``data/make_states.py`` from the
Wikidata subset plus a demonym table), so the runtime never reads ``shared/``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

Via = Literal["name", "demonym", "capital", "seat"]


@dataclass(frozen=True)
class StateForm:
    """One surface form that can point at a state."""

    text: str
    qid: str
    state: str  # the state's canonical English name
    via: Via
    place: str | None = None  # for capitals and seats: the place's own name ("Ankara")
    place_qid: str | None = None


@dataclass(frozen=True, eq=False)
class Gazetteer:
    forms: tuple[StateForm, ...]
    names: dict[str, str]  # qid -> canonical name

    def by_text(self) -> dict[str, StateForm]:
        return _by_text(self)


@lru_cache(maxsize=4)
def _by_text(g: Gazetteer) -> dict[str, StateForm]:
    return {f.text: f for f in g.forms}


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The shipped gazetteer (cached: one per process)."""
    raw = json.loads(resources.files("newsgraph.extract").joinpath("data/states.json").read_text("utf-8"))
    forms: dict[str, StateForm] = {}
    names: dict[str, str] = {}

    def add(form: StateForm) -> None:
        # a form claimed by two states (e.g. "Dominican") is ambiguous: drop it
        if len(form.text) < 2:
            return
        old = forms.get(form.text)
        if old is not None and old.qid != form.qid:
            if old.via == form.via:
                forms[form.text] = StateForm(form.text, "", "", "name")
            elif form.via == "name":
                forms[form.text] = form
            return
        if old is None or (old.via != "name" and form.via == "name"):
            forms[form.text] = form

    for st in raw["states"]:
        qid, name = st["qid"], st["name"]
        names[qid] = name
        for n in st["names"]:
            add(StateForm(n, qid, name, "name"))
        for d in st["demonyms"]:
            add(StateForm(d, qid, name, "demonym"))
        cap = st.get("capital")
        if cap:
            for c in [cap["name"], *cap["aliases"]]:
                if c not in ("D.C.",):
                    add(StateForm(c, qid, name, "capital", cap["name"], cap["qid"]))
        for s in st.get("seats", []):
            add(StateForm(s, qid, name, "seat", s, None))
    return Gazetteer(tuple(f for f in forms.values() if f.qid), names)
