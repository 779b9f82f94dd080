"""Events: placeholder until the rules land."""
from __future__ import annotations

from spacy.tokens import Doc

from .._models import Entity, Event, Section


def find_events(doc: Doc, entities: list[Entity], by_token: dict[int, Entity],
                sections: list[tuple[int, Section]]) -> tuple[list[Event], list[Event]]:
    return [], []
